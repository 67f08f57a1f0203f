"""Working-day calendars and the counting methods (docs/rules.md). Pure: no I/O beyond the holidays table."""

from ptrack.calendars.counting import Count, Unit, add, count_due
from ptrack.calendars.england import england_and_wales
from ptrack.calendars.errors import CalendarCoverageError, CalendarError, CountingError
from ptrack.calendars.working_days import SkippedDay, WorkingDayCalendar, from_days, to_days

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
