"""Properties of working-day arithmetic, checked against numpy's independent business-day code.

`numpy.busday_offset(day, n, roll="backward", holidays=...)` rolls a non-working day back to the previous
working day, then moves n working days: exactly "the anchor is day 0; if it is not a working day, day 1 is the
next working day". Hypothesis runs with `deadline=None`: these tests check answers, never speed.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from ptrack.calendars import Count, Unit, count_due, england_and_wales, from_days, to_days

CALENDAR = england_and_wales()
WEEKDAY_HOLIDAYS: npt.NDArray[np.datetime64] = np.array(
    sorted(d for d in CALENDAR.holidays if d.weekday() < 5), dtype="datetime64[D]"
)

# From the first working day of 2000 (Sat 1 Jan, Mon 3 Jan observed): before it, rolling back leaves the
# calendar, which is a coverage error by design (tested in test_calendar_england.py).
anchors = st.dates(min_value=date(2000, 1, 4), max_value=date(2030, 12, 31))
amounts = st.integers(min_value=0, max_value=400)
slow_ok = settings(deadline=None, max_examples=300)


def numpy_add(day: date, n: int) -> date:
    result = np.busday_offset(np.datetime64(day, "D"), n, roll="backward", holidays=WEEKDAY_HOLIDAYS)
    return date.fromisoformat(str(result))


@slow_ok
@given(anchors, amounts)
def test_scalar_add_agrees_with_numpy_busday_offset(anchor: date, n: int) -> None:
    assert CALENDAR.add_working_days(anchor, n) == numpy_add(anchor, n)


@slow_ok
@given(st.lists(st.tuples(anchors, amounts), min_size=1, max_size=200))
def test_bulk_add_agrees_with_numpy_and_with_the_scalar_path(pairs: list[tuple[date, int]]) -> None:
    days = to_days(a for a, _ in pairs)
    ns = np.array([n for _, n in pairs], dtype=np.int64)
    bulk = CALENDAR.add_working_days_bulk(days, ns)
    expected = np.busday_offset(days.astype("datetime64[D]"), ns, roll="backward", holidays=WEEKDAY_HOLIDAYS)
    assert np.array_equal(bulk, expected.astype(np.int64))
    assert from_days(bulk) == [CALENDAR.add_working_days(a, n) for a, n in pairs]


@slow_ok
@given(st.lists(anchors, min_size=1, max_size=50), amounts)
def test_bulk_with_one_amount_for_every_anchor(days: list[date], n: int) -> None:
    assert from_days(CALENDAR.add_working_days_bulk(to_days(days), n)) == [
        CALENDAR.add_working_days(a, n) for a in days
    ]


@slow_ok
@given(anchors, st.integers(min_value=1, max_value=400))
def test_a_working_day_count_lands_on_a_working_day_after_the_anchor(anchor: date, n: int) -> None:
    due = count_due(CALENDAR, anchor, Count(Unit.WD, n)).due
    assert CALENDAR.is_working_day(due)
    assert due > anchor
    assert CALENDAR.working_days_between(anchor, due) == n


@slow_ok
@given(anchors, amounts)
def test_between_inverts_add_from_a_working_day(anchor: date, n: int) -> None:
    working = CALENDAR.next_working_day(anchor)
    assert CALENDAR.working_days_between(working, CALENDAR.add_working_days(working, n)) == n


@slow_ok
@given(anchors, st.integers(min_value=1, max_value=400))
def test_skipped_days_are_exactly_the_non_working_days_passed(anchor: date, n: int) -> None:
    result = count_due(CALENDAR, anchor, Count(Unit.WD, n))
    span = (result.due - anchor).days
    assert len(result.skipped) == span - n
    assert all(not CALENDAR.is_working_day(s.day) for s in result.skipped)


@slow_ok
@given(
    anchors,
    st.sampled_from([Unit.WD, Unit.CD, Unit.WK, Unit.MO, Unit.BW, Unit.AGE]),
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=11),
    st.booleans(),
)
def test_no_forward_due_date_precedes_its_anchor(
    anchor: date, unit: Unit, n: int, months: int, anchor_day_counts: bool
) -> None:
    count = Count(unit, n, months if unit is Unit.AGE else 0)
    assert count_due(CALENDAR, anchor, count, anchor_day_counts=anchor_day_counts).due >= anchor


@slow_ok
@given(anchors, st.integers(min_value=0, max_value=60))
def test_before_is_never_after_its_anchor(anchor: date, n: int) -> None:
    assert count_due(CALENDAR, anchor, Count(Unit.BEFORE, n)).due <= anchor


@slow_ok
@given(anchors, st.integers(min_value=0, max_value=120))
def test_months_keep_the_day_or_clamp_to_the_month_end(anchor: date, n: int) -> None:
    due = count_due(CALENDAR, anchor, Count(Unit.MO, n)).due
    assert (due.year * 12 + due.month) - (anchor.year * 12 + anchor.month) == n
    assert due.day == anchor.day or (due.day < anchor.day and (due + timedelta(days=1)).day == 1)


@slow_ok
@given(anchors)
def test_last_working_day_is_working_and_not_after(day: date) -> None:
    last = CALENDAR.last_working_day(day)
    following = CALENDAR.next_working_day(day)
    assert CALENDAR.is_working_day(last) and CALENDAR.is_working_day(following)
    assert last <= day <= following
    assert (last == day) == (following == day) == CALENDAR.is_working_day(day)
