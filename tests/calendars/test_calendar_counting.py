"""SPEC §3 counting methods, one wording at a time, on the real England calendar."""

from __future__ import annotations

from datetime import date

import pytest

from ptrack.calendars import CalendarCoverageError, Count, CountingError, Unit, WorkingDayCalendar, add, count_due
from ptrack.calendars.counting import add_months


def d(text: str) -> date:
    return date.fromisoformat(text)


def assert_due(
    calendar: WorkingDayCalendar, anchor: str, count: Count, due: str, *, anchor_day_counts: bool = False
) -> None:
    result = count_due(calendar, d(anchor), count, anchor_day_counts=anchor_day_counts)
    assert result.due == d(due), f"{count} from {anchor}: expected {due}, got {result.due}"


# -- the five examples of SPEC §3 -------------------------------------------------------------------------


def test_first_review_skips_christmas_boxing_day_and_new_year(england: WorkingDayCalendar) -> None:
    result = count_due(england, d("2024-12-19"), Count(Unit.WD, 20))
    assert result.due == d("2025-01-21")
    named = {s.day: s.name for s in result.skipped}
    assert named[d("2024-12-25")] == "Christmas Day"
    assert named[d("2024-12-26")] == "Boxing Day"
    assert named[d("2025-01-01")] == "New Year's Day"


def test_first_review_from_a_saturday_counts_30_may_2022_as_working(england: WorkingDayCalendar) -> None:
    result = count_due(england, d("2022-05-28"), Count(Unit.WD, 20))
    assert result.due == d("2022-06-28")
    assert d("2022-05-30") not in {s.day for s in result.skipped}
    assert {d("2022-06-02"), d("2022-06-03")} <= {s.day for s in result.skipped}


def test_second_review_on_easter_monday_stands_with_last_working_day_advice(
    england: WorkingDayCalendar,
) -> None:
    result = count_due(england, d("2025-01-21"), Count(Unit.MO, 3))
    assert result.due == d("2025-04-21")
    assert result.skipped == ()
    assert england.last_working_day(result.due) == d("2025-04-17")


def test_second_review_lands_on_leap_day(england: WorkingDayCalendar) -> None:
    assert_due(england, "2023-11-30", Count(Unit.MO, 3), "2024-02-29")


def test_care_proceedings_26_weeks_beginning_with_issue_day(england: WorkingDayCalendar) -> None:
    result = count_due(england, d("2024-01-08"), Count(Unit.BW, 26))
    assert result.due == d("2024-07-07")
    assert result.due.strftime("%A") == "Sunday"
    assert england.last_working_day(result.due) == d("2024-07-05")


# -- WD ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "n", "due"),
    [
        ("2025-03-03", 1, "2025-03-04"),  # Mon -> Tue: the anchor is day 0
        ("2025-03-07", 1, "2025-03-10"),  # Fri -> Mon over the weekend
        ("2025-03-03", 5, "2025-03-10"),
        ("2025-04-17", 1, "2025-04-22"),  # Thu before Easter -> Tue after
        ("2025-03-03", 0, "2025-03-03"),
    ],
)
def test_working_days(england: WorkingDayCalendar, anchor: str, n: int, due: str) -> None:
    assert_due(england, anchor, Count(Unit.WD, n), due)


@pytest.mark.parametrize(
    ("anchor", "due"),
    [
        ("2025-03-08", "2025-03-10"),  # Saturday: day 1 is Monday
        ("2025-03-09", "2025-03-10"),  # Sunday
        ("2025-04-18", "2025-04-22"),  # Good Friday: day 1 is the Tuesday after Easter Monday
        ("2025-04-21", "2025-04-22"),  # Easter Monday
        ("2025-12-25", "2025-12-29"),  # Christmas Day (Thu): Boxing Day and the weekend are skipped too
    ],
)
def test_wd_anchor_on_a_non_working_day_counts_from_the_next_working_day(
    england: WorkingDayCalendar, anchor: str, due: str
) -> None:
    assert_due(england, anchor, Count(Unit.WD, 1), due)


def test_wd_skipped_days_are_named(england: WorkingDayCalendar) -> None:
    result = count_due(england, d("2025-04-17"), Count(Unit.WD, 1))
    assert result.skipped_names == [
        "Good Friday 2025-04-18", "Saturday 2025-04-19", "Sunday 2025-04-20", "Easter Monday 2025-04-21",
    ]


def test_anchor_day_counts_makes_a_working_anchor_day_one(england: WorkingDayCalendar) -> None:
    assert_due(england, "2025-03-03", Count(Unit.WD, 5), "2025-03-07", anchor_day_counts=True)
    assert_due(england, "2025-03-03", Count(Unit.WD, 5), "2025-03-10", anchor_day_counts=False)


def test_anchor_day_counts_has_no_effect_when_the_anchor_is_not_a_working_day(
    england: WorkingDayCalendar,
) -> None:
    assert_due(england, "2025-03-08", Count(Unit.WD, 5), "2025-03-14", anchor_day_counts=True)
    assert_due(england, "2025-03-08", Count(Unit.WD, 5), "2025-03-14", anchor_day_counts=False)


def test_first_review_with_anchor_day_counting(england: WorkingDayCalendar) -> None:
    assert_due(england, "2024-12-19", Count(Unit.WD, 20), "2025-01-20", anchor_day_counts=True)


# -- calendar units never roll -----------------------------------------------------------------------------


def test_calendar_days(england: WorkingDayCalendar) -> None:
    assert_due(england, "2025-12-06", Count(Unit.CD, 20), "2025-12-26")  # lands on Boxing Day and stays
    assert_due(england, "2024-02-28", Count(Unit.CD, 1), "2024-02-29")
    assert_due(england, "2025-03-03", Count(Unit.CD, 0), "2025-03-03")


def test_weeks(england: WorkingDayCalendar) -> None:
    assert_due(england, "2025-03-03", Count(Unit.WK, 1), "2025-03-10")
    assert_due(england, "2025-03-14", Count(Unit.WK, 6), "2025-04-25")
    assert_due(england, "2025-03-11", Count(Unit.WK, 16), "2025-07-01")  # reg 24: + 112 days


def test_weeks_beginning_with_the_day(england: WorkingDayCalendar) -> None:
    assert_due(england, "2025-03-03", Count(Unit.BW, 1), "2025-03-09")
    assert_due(england, "2025-03-03", Count(Unit.BW, 26), "2025-08-31")


def test_before(england: WorkingDayCalendar) -> None:
    assert_due(england, "2025-06-20", Count(Unit.BEFORE, 6), "2025-05-09")
    assert_due(england, "2025-01-05", Count(Unit.BEFORE, 2), "2024-12-22")  # a Sunday: stands


@pytest.mark.parametrize(
    ("anchor", "n", "due"),
    [
        ("2025-08-31", 6, "2026-02-28"),  # SPEC: 31 Aug + 6 months = 28 Feb ...
        ("2023-08-31", 6, "2024-02-29"),  # ... or 29 Feb in a leap year
        ("2025-01-31", 1, "2025-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2025-01-30", 1, "2025-02-28"),
        ("2025-03-31", 1, "2025-04-30"),
        ("2025-10-31", 3, "2026-01-31"),  # over a year end
        ("2025-05-15", 12, "2026-05-15"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2025-06-10", 0, "2025-06-10"),
    ],
)
def test_months(england: WorkingDayCalendar, anchor: str, n: int, due: str) -> None:
    assert_due(england, anchor, Count(Unit.MO, n), due)


def test_months_do_not_chain_the_shortened_day() -> None:
    # 31 Jan + 2 months is 31 Mar, not (31 Jan + 1) + 1 = 28 Mar.
    assert add_months(d("2025-01-31"), 2) == d("2025-03-31")
    assert add_months(d("2025-03-31"), -1) == d("2025-02-28")


@pytest.mark.parametrize(
    ("dob", "years", "months", "due"),
    [
        ("2008-02-29", 15, 6, "2023-08-29"),  # 15½ from a leap-day birth
        ("2008-02-29", 16, 0, "2024-02-29"),  # 16th birthday in a leap year
        ("2008-02-29", 17, 0, "2025-02-28"),  # ... and in a common year: the last day of February
        ("2008-08-31", 15, 6, "2024-02-29"),  # 15½ from 31 Aug: the MO rule
        ("2009-08-31", 15, 6, "2025-02-28"),
        ("2010-03-31", 15, 6, "2025-09-30"),
    ],
)
def test_age(england: WorkingDayCalendar, dob: str, years: int, months: int, due: str) -> None:
    assert_due(england, dob, Count(Unit.AGE, years, months), due)


def test_calendar_units_report_no_skipped_days(england: WorkingDayCalendar) -> None:
    for unit in (Unit.CD, Unit.WK, Unit.MO, Unit.BW, Unit.BEFORE, Unit.AGE):
        assert count_due(england, d("2025-12-20"), Count(unit, 1)).skipped == ()


# -- advice: last / next working day --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "last", "following"),
    [
        ("2025-03-05", "2025-03-05", "2025-03-05"),  # a working Wednesday is both
        ("2025-03-08", "2025-03-07", "2025-03-10"),  # Saturday
        ("2025-04-18", "2025-04-17", "2025-04-22"),  # Good Friday
        ("2025-04-21", "2025-04-17", "2025-04-22"),  # Easter Monday
        ("2022-12-27", "2022-12-23", "2022-12-28"),  # Christmas Day (observed)
        ("2024-12-24", "2024-12-24", "2024-12-24"),  # Christmas Eve is a working day
        ("2026-01-01", "2025-12-31", "2026-01-02"),  # New Year's Eve is a working day
    ],
)
def test_last_and_next_working_day(england: WorkingDayCalendar, day: str, last: str, following: str) -> None:
    assert england.last_working_day(d(day)) == d(last)
    assert england.next_working_day(d(day)) == d(following)


# -- bad requests --------------------------------------------------------------------------------------------


def test_negative_count_is_an_error(england: WorkingDayCalendar) -> None:
    with pytest.raises(CountingError, match="cannot be negative"):
        count_due(england, d("2025-03-03"), Count(Unit.WD, -1))


@pytest.mark.parametrize(("text", "unit"), [("wd", Unit.WD), ("days", Unit.CD), ("weeks", Unit.WK),
                                              ("M", Unit.MO), ("BW", Unit.BW), (" before ", Unit.BEFORE)])
def test_unit_parse_accepts_codes_and_words(text: str, unit: Unit) -> None:
    assert Unit.parse(text) is unit


def test_unknown_unit_names_the_choices() -> None:
    with pytest.raises(CountingError, match="unknown counting unit 'fortnights'; use one of WD, CD"):
        Unit.parse("fortnights")


def test_calendar_add_is_count_due_by_hand(england: WorkingDayCalendar) -> None:
    assert add(england, d("2024-12-19"), 20, "WD").due == d("2025-01-21")
    assert add(england, d("2024-01-08"), 26, Unit.BW).due == d("2024-07-07")


def test_wd_past_coverage_is_an_error_not_a_guess(england: WorkingDayCalendar) -> None:
    with pytest.raises(CalendarCoverageError, match="outside the working-day calendar"):
        count_due(england, d("2040-12-20"), Count(Unit.WD, 20))
