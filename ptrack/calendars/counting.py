"""The counting methods (docs/rules.md): how a legal wording turns an anchor date into a due date.

| unit   | wording                                   | due                                                        |
|--------|-------------------------------------------|------------------------------------------------------------|
| WD     | within N working days of X                | the N-th working day after X (X is day 0)                  |
| CD     | within N days                             | X + N                                                      |
| WK     | within / not more than N weeks            | X + 7N                                                     |
| MO     | not more than N months after              | same day-of-month N months on, else that month's last day  |
| BW     | N weeks beginning with the day X          | X + 7N - 1 (X is day 1)                                    |
| BEFORE | at least N weeks before Y                 | Y - 7N                                                     |
| AGE    | by age Y years M months                   | DOB + Y years M months with the MO rule                    |

Calendar units never roll over weekends or holidays: the legal due date stands, and `last_working_day` is
advice. INT ("at intervals of not more than") is not a unit: it says the anchor is the previous event's actual
date, which the rules engine decides.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple

from ptrack.calendars.errors import CountingError
from ptrack.calendars.working_days import SkippedDay, WorkingDayCalendar


class Unit(StrEnum):
    WD = "WD"
    CD = "CD"
    WK = "WK"
    MO = "MO"
    BW = "BW"
    BEFORE = "BEFORE"
    AGE = "AGE"

    @classmethod
    def parse(cls, text: str) -> Unit:
        aliases = {
            "WORKING_DAYS": "WD", "DAYS": "CD", "D": "CD", "WEEKS": "WK", "W": "WK", "MONTHS": "MO", "M": "MO",
        }
        key = text.strip().upper()
        key = aliases.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise CountingError(
                f"unknown counting unit {text!r}; use one of {', '.join(u.value for u in cls)}"
            ) from None


@dataclass(frozen=True)
class Count:
    """An amount in a unit. For AGE, `n` is years and `months` the extra months (15½ = Count(AGE, 15, 6))."""

    unit: Unit
    n: int
    months: int = 0

    @cached_property
    def words(self) -> str:
        """`str(count)`, worked out once: every deadline records its count's wording."""
        return str(self)

    @cached_property
    def shift(self) -> timedelta | None:
        """What a CD, WK, BW or BEFORE count adds to its anchor (a fixed number of days); None for the others."""
        unit, n = self.unit, self.n
        if unit is Unit.CD:
            return timedelta(days=n)
        if unit is Unit.WK:
            return timedelta(weeks=n)
        if unit is Unit.BW:
            return timedelta(weeks=n) - timedelta(days=1)
        if unit is Unit.BEFORE:
            return -timedelta(weeks=n)
        return None

    @cached_property
    def in_months(self) -> int | None:
        """The months an MO or AGE count adds to its anchor; None for the others."""
        if self.unit is Unit.MO:
            return self.n
        if self.unit is Unit.AGE:
            return self.n * 12 + self.months
        return None

    def __str__(self) -> str:
        words = {
            Unit.WD: "working days", Unit.CD: "calendar days", Unit.WK: "weeks", Unit.MO: "months",
            Unit.BW: "weeks beginning with the anchor day", Unit.BEFORE: "weeks before",
        }
        if self.unit is Unit.AGE:
            return f"age {self.n} years {self.months} months" if self.months else f"age {self.n}"
        return f"{self.n} {words[self.unit]} ({self.unit.value})"


class CountResult(NamedTuple):  # a tuple: built for every deadline
    due: date
    skipped: tuple[SkippedDay, ...]  # non-working days passed over by a WD count

    @property
    def skipped_names(self) -> list[str]:
        return [f"{s.name} {s.day.isoformat()}" for s in self.skipped]


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: date, months: int) -> date:
    """Same day-of-month `months` later (or earlier); if that month is shorter, its last day."""
    year, month0 = divmod(day.year * 12 + (day.month - 1) + months, 12)
    if day.day <= 28:
        return date(year, month0 + 1, day.day)
    last = 29 if month0 == 1 and _cal.isleap(year) else _MONTH_DAYS[month0]
    return date(year, month0 + 1, min(day.day, last))


def count_due(
    calendar: WorkingDayCalendar, anchor: date, count: Count, *, anchor_day_counts: bool = False
) -> CountResult:
    """The due date `count` after (or, for BEFORE, before) `anchor`."""
    if count.n < 0 or count.months < 0:
        raise CountingError(f"a count cannot be negative: {count}")
    shift = count.shift
    if shift is not None:
        return CountResult(anchor + shift, ())
    months = count.in_months
    if months is not None:
        return CountResult(add_months(anchor, months), ())
    if count.unit is Unit.WD:
        due, skipped = calendar.count_working_days(anchor, count.n, anchor_day_counts)
        return CountResult(due, skipped)
    raise CountingError(f"unknown unit {count.unit}")  # pragma: no cover - Unit is exhaustive


def add(calendar: WorkingDayCalendar, anchor: date, n: int, unit: str | Unit) -> CountResult:
    """`ptrack calendar add DATE N UNIT`: one count, for people checking a date by hand."""
    u = unit if isinstance(unit, Unit) else Unit.parse(unit)
    return count_due(calendar, anchor, Count(u, n))
