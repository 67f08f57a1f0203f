"""The England & Wales working-day calendar: which days work, closure days, coverage (SPEC §3)."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest

from ptrack.calendars import CalendarCoverageError, WorkingDayCalendar, england_and_wales, from_days, to_days


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2022-06-02", "Spring Bank Holiday"),  # moved from Mon 30 May for the jubilee
        ("2022-06-03", "Platinum Jubilee of Elizabeth II"),
        ("2022-09-19", "State Funeral of Queen Elizabeth II"),
        ("2023-05-08", "Coronation of Charles III"),
        ("2022-12-27", "Christmas Day (observed)"),  # Christmas fell on a Sunday
        ("2022-01-03", "New Year's Day (observed)"),
        ("2021-12-28", "Boxing Day (observed)"),
        ("2025-04-18", "Good Friday"),
        ("2025-04-21", "Easter Monday"),  # only with subdiv ENG
        ("2025-08-25", "Late Summer Bank Holiday"),  # only with subdiv ENG
        ("2020-05-08", "May Day"),  # moved to the Friday for VE Day 75
    ],
)
def test_one_off_substitute_and_regional_days_are_not_working(
    england: WorkingDayCalendar, day: str, name: str
) -> None:
    assert not england.is_working_day(d(day))
    assert england.name_of(d(day)) == name


@pytest.mark.parametrize(
    "day",
    [
        "2022-05-30",  # the usual late-May bank holiday that 2022 moved to 2 June
        "2020-05-04",  # the usual early-May bank holiday that 2020 moved to 8 May
        "2024-12-24",  # Christmas Eve
        "2024-12-31",  # New Year's Eve
        "2025-12-24",
        "2025-12-31",
    ],
)
def test_days_people_often_think_are_holidays_are_working_days(england: WorkingDayCalendar, day: str) -> None:
    assert england.is_working_day(d(day))
    assert england.name_of(d(day)) is None


def test_weekends_do_not_work_and_are_named(england: WorkingDayCalendar) -> None:
    assert not england.is_working_day(d("2025-03-08"))
    assert england.name_of(d("2025-03-08")) == "Saturday"
    assert england.name_of(d("2025-03-09")) == "Sunday"


def test_a_weekend_christmas_keeps_its_name_and_its_substitute(england: WorkingDayCalendar) -> None:
    assert england.name_of(d("2022-12-25")) == "Christmas Day"
    assert england.name_of(d("2022-12-26")) == "Boxing Day"
    assert not england.is_working_day(d("2022-12-27"))
    assert england.is_working_day(d("2022-12-28"))


def test_eight_bank_holidays_in_an_ordinary_year(england: WorkingDayCalendar) -> None:
    weekday_holidays = [day for day, _ in england.holidays_in(2025) if day.weekday() < 5]
    assert len(weekday_holidays) == 8


def test_working_days_between_counts_after_start_up_to_end(england: WorkingDayCalendar) -> None:
    assert england.working_days_between(d("2024-12-19"), d("2025-01-21")) == 20
    assert england.working_days_between(d("2025-01-21"), d("2024-12-19")) == -20
    assert england.working_days_between(d("2025-03-05"), d("2025-03-05")) == 0


# -- closure days: working for counting, not for delivery -------------------------------------------------


@pytest.fixture(scope="module")
def with_closures() -> WorkingDayCalendar:
    return england_and_wales(closure_days=[d("2026-12-29"), d("2026-12-30"), d("2026-12-31")])


def test_closure_days_are_working_days_for_counting(with_closures: WorkingDayCalendar) -> None:
    for day in ("2026-12-29", "2026-12-30", "2026-12-31"):
        assert with_closures.is_working_day(d(day))
        assert with_closures.is_closure_day(d(day))
        assert not with_closures.is_delivery_day(d(day))
    assert with_closures.add_working_days(d("2026-12-24"), 1) == d("2026-12-29")
    assert with_closures.last_working_day(d("2027-01-01")) == d("2026-12-31")


def test_closure_days_do_not_move_due_dates(
    england: WorkingDayCalendar, with_closures: WorkingDayCalendar
) -> None:
    for n in range(0, 30):
        anchor = d("2026-12-01")
        assert with_closures.add_working_days(anchor, n) == england.add_working_days(anchor, n)


def test_ordinary_working_days_are_delivery_days(with_closures: WorkingDayCalendar) -> None:
    assert with_closures.is_delivery_day(d("2027-01-04"))
    assert not with_closures.is_delivery_day(d("2027-01-01"))  # New Year's Day: not even a working day


def test_closure_days_change_the_calendar_version(
    england: WorkingDayCalendar, with_closures: WorkingDayCalendar
) -> None:
    assert england.version != with_closures.version
    assert england.version == england_and_wales().version
    assert england.version.startswith("ENG(holidays ")


def test_an_extra_holiday_announced_late_is_honoured_and_versioned(england: WorkingDayCalendar) -> None:
    extra = england_and_wales(extra_holidays={d("2026-06-15"): "Extra bank holiday"})
    assert not extra.is_working_day(d("2026-06-15"))
    assert extra.add_working_days(d("2026-06-12"), 1) == d("2026-06-16")
    assert extra.version != england.version


# -- coverage: outside the covered years is an error, never a guess ----------------------------------------


@pytest.fixture(scope="module")
def narrow() -> WorkingDayCalendar:
    return england_and_wales(2024, 2025)


@pytest.mark.parametrize("day", ["2023-12-31", "2026-01-01", "1999-06-01"])
def test_scalar_questions_outside_coverage_raise_a_clear_error(narrow: WorkingDayCalendar, day: str) -> None:
    message = f"{day} is outside the working-day calendar (2024-2025); extend [calendar] first_year/last_year"
    for ask in (narrow.is_working_day, narrow.last_working_day, narrow.next_working_day):
        with pytest.raises(CalendarCoverageError, match=re.escape(message)):
            ask(d(day))
    with pytest.raises(CalendarCoverageError) as caught:
        narrow.add_working_days(d(day), 5)
    assert caught.value.day == d(day)
    assert (caught.value.first_year, caught.value.last_year) == (2024, 2025)


def test_a_count_that_runs_off_the_end_raises(narrow: WorkingDayCalendar) -> None:
    with pytest.raises(CalendarCoverageError) as caught:
        narrow.add_working_days(d("2025-12-15"), 20)
    assert caught.value.day > narrow.end


def test_a_count_that_runs_off_the_start_raises_with_a_date_before_it(narrow: WorkingDayCalendar) -> None:
    with pytest.raises(CalendarCoverageError) as caught:
        narrow.last_working_day(d("2024-01-01"))  # New Year's Day: the previous working day is in 2023
    assert caught.value.day < narrow.start
    with pytest.raises(CalendarCoverageError) as caught:
        narrow.add_working_days(d("2024-01-10"), -20)
    assert caught.value.day < narrow.start


def test_next_working_day_past_the_end_raises() -> None:
    ends_on_a_saturday = england_and_wales(2021, 2022)
    with pytest.raises(CalendarCoverageError) as caught:
        ends_on_a_saturday.next_working_day(d("2022-12-31"))  # the next working day is in 2023
    assert caught.value.day > ends_on_a_saturday.end


def test_working_days_between_checks_both_ends(narrow: WorkingDayCalendar) -> None:
    with pytest.raises(CalendarCoverageError, match="2026-01-05"):
        narrow.working_days_between(d("2025-12-01"), d("2026-01-05"))


def test_holidays_in_an_uncovered_year_raises(narrow: WorkingDayCalendar) -> None:
    with pytest.raises(CalendarCoverageError, match="2030-01-01"):
        narrow.holidays_in(2030)


def test_bulk_anchor_outside_coverage_raises_naming_the_date(narrow: WorkingDayCalendar) -> None:
    inside = to_days([d("2024-06-03"), d("2025-06-02")])
    assert from_days(narrow.add_working_days_bulk(inside, 1)) == [d("2024-06-04"), d("2025-06-03")]
    for bad in ("2026-01-02", "2023-12-29"):
        anchors = to_days([d("2024-06-03"), d(bad)])
        with pytest.raises(CalendarCoverageError, match=f"{bad} is outside the working-day calendar"):
            narrow.add_working_days_bulk(anchors, 1)


def test_bulk_count_running_off_either_end_raises(narrow: WorkingDayCalendar) -> None:
    with pytest.raises(CalendarCoverageError) as caught:
        narrow.add_working_days_bulk(to_days([d("2025-12-15")]), 20)
    assert caught.value.day > narrow.end
    with pytest.raises(CalendarCoverageError) as caught:
        narrow.add_working_days_bulk(to_days([d("2024-01-01")]), 0)
    assert caught.value.day < narrow.start


def test_bulk_accepts_an_array_of_counts_and_an_empty_array(england: WorkingDayCalendar) -> None:
    anchors = to_days([d("2024-12-19"), d("2022-05-28"), d("2025-04-17")])
    due = england.add_working_days_bulk(anchors, np.array([20, 20, 1]))
    assert from_days(due) == [d("2025-01-21"), d("2022-06-28"), d("2025-04-22")]
    assert england.add_working_days_bulk(np.array([], dtype=np.int64), 5).size == 0


def test_empty_coverage_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        england_and_wales(2030, 2029)
