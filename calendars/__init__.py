"""Working-day calendars and the counting methods of SPEC §3. Pure: no I/O beyond the holidays table."""

from calendars.counting import Count, Unit, add, count_due
from calendars.england import england_and_wales
from calendars.errors import CalendarCoverageError, CalendarError, CountingError
from calendars.working_days import SkippedDay, WorkingDayCalendar, from_days, to_days

__all__ = [
    "CalendarCoverageError",
    "CalendarError",
    "Count",
    "CountingError",
    "SkippedDay",
    "Unit",
    "WorkingDayCalendar",
    "add",
    "count_due",
    "england_and_wales",
    "from_days",
    "to_days",
]
