"""Calendar errors."""

from __future__ import annotations

from datetime import date

from ptrack.errors import PtrackError


class CalendarError(PtrackError):
    """Base of every calendar error."""


class CalendarCoverageError(CalendarError):
    """A date outside the years the calendar covers: never guessed."""

    def __init__(self, day: date, first_year: int, last_year: int) -> None:
        self.day = day
        self.first_year = first_year
        self.last_year = last_year
        super().__init__(
            f"{day.isoformat()} is outside the working-day calendar ({first_year}-{last_year}); "
            f"extend [calendar] first_year/last_year in the config"
        )


class CountingError(CalendarError):
    """A counting request that makes no sense (unknown unit, bad amount)."""
