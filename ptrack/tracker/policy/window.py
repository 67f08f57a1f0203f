"""When a message may be delivered: inside the window, on a working day that is not a council closure day.

A message owed outside it is deferred to the next window opening, never dropped: owed at 19:00 on a Friday,
it goes at 08:00 on Monday (or on Tuesday after a bank holiday Monday). Times are Europe/London civil time;
the instants returned are aware datetimes in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.policy.types import Reason, Window

LONDON = ZoneInfo("Europe/London")


def local_day(now: datetime) -> date:
    """The civil date in London at the instant `now` (which must be aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(LONDON).date()


def opening(day: date, window: Window) -> datetime:
    """The window's opening on `day`, as an aware UTC instant (DST handled by zoneinfo)."""
    return datetime.combine(day, window.opens, tzinfo=LONDON).astimezone(UTC)


def delivery_slot(now: datetime, calendar: WorkingDayCalendar, window: Window) -> tuple[Reason, datetime]:
    """(QUEUED, now) inside the window on a delivery day; otherwise the reason it waits and when it may go."""
    local = now.astimezone(LONDON)
    day, clock = local.date(), local.time()
    if not calendar.is_working_day(day):
        reason = Reason.DEFERRED_NON_WORKING_DAY
    elif calendar.is_closure_day(day):
        reason = Reason.DEFERRED_CLOSURE_DAY
    elif window.opens <= clock < window.closes:
        return Reason.QUEUED, now.astimezone(UTC)
    else:
        reason = Reason.DEFERRED_OUTSIDE_WINDOW
    first = day if clock < window.opens else day + timedelta(days=1)
    return reason, opening(next_delivery_day(first, calendar), window)


def next_delivery_day(day: date, calendar: WorkingDayCalendar) -> date:
    """The first working day on or after `day` that is not a closure day."""
    while not calendar.is_delivery_day(day):
        day = calendar.next_working_day(day + timedelta(days=1))
    return day
