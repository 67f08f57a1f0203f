"""The England & Wales working-day calendar (docs/rules.md).

A working day is Monday–Friday except Christmas Day, Good Friday and the bank holidays of England and Wales,
substitute and one-off days included. Christmas Eve, New Year's Eve and council closure days ARE working days
for statutory counting; closure days are kept apart and only ever affect when reminders are delivered.

The calendar covers an explicit range of years. Any question about a date outside it raises
`CalendarCoverageError`: a missing holiday list is an error, never a silent working day.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from itertools import accumulate
from typing import TYPE_CHECKING, NamedTuple

from ptrack.calendars.errors import CalendarCoverageError

if TYPE_CHECKING:  # numpy is imported by the bulk path only: most commands never use it (a tenth of start-up)
    import numpy as np
    import numpy.typing as npt

_EPOCH = date(1970, 1, 1).toordinal()


class SkippedDay(NamedTuple):
    """A non-working day passed over by a count, with its name ("Good Friday", "Saturday")."""

    day: date
    name: str


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Working days for a range of years, built from a holiday table.

    `holidays` maps each non-working weekday (and any holiday falling at a weekend, for naming) to its name.
    `closure_days` are council closures: working days for counting, reported separately for delivery.
    """

    first_year: int
    last_year: int
    holidays: Mapping[date, str]
    closure_days: frozenset[date] = frozenset()
    source: str = "custom"
    _working: list[int] = field(init=False, repr=False, compare=False)
    _off: list[int] = field(init=False, repr=False, compare=False)  # non-working day ordinals, sorted
    _off_days: list[SkippedDay] = field(init=False, repr=False, compare=False)
    _off_tuple: tuple[SkippedDay, ...] = field(init=False, repr=False, compare=False)  # slices are tuples
    # For the engine's many single counts: the working days as dates, and for each day of the coverage how many
    # working days fall on or before it (what bisect_right over `_working` answers, looked up instead).
    _working_dates: list[date] = field(init=False, repr=False, compare=False)
    _rank: list[int] = field(init=False, repr=False, compare=False)
    _first_ordinal: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.first_year > self.last_year:
            raise ValueError(f"calendar coverage {self.first_year}-{self.last_year} is empty")
        start = date(self.first_year, 1, 1).toordinal()
        end = date(self.last_year, 12, 31).toordinal()
        working = [
            o for o in range(start, end + 1)
            if date.fromordinal(o).weekday() < 5 and date.fromordinal(o) not in self.holidays
        ]
        object.__setattr__(self, "_working", working)
        object.__setattr__(self, "_working_dates", [date.fromordinal(o) for o in working])
        flags = [0] * (end - start + 1)
        for o in working:
            flags[o - start] = 1
        object.__setattr__(self, "_rank", list(accumulate(flags)))
        object.__setattr__(self, "_first_ordinal", start)
        off = [
            SkippedDay(date.fromordinal(o), name)
            for o in range(start, end + 1)
            if (name := self.name_of(date.fromordinal(o))) is not None
        ]
        object.__setattr__(self, "_off_days", off)
        object.__setattr__(self, "_off_tuple", tuple(off))
        object.__setattr__(self, "_off", [s.day.toordinal() for s in off])

    # -- coverage -------------------------------------------------------------------------------------------

    @property
    def start(self) -> date:
        return date(self.first_year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.last_year, 12, 31)

    @property
    def version(self) -> str:
        """Changes whenever any holiday, closure day or the coverage changes; recorded on every deadline."""
        digest = hashlib.sha256()
        for d in sorted(self.holidays):
            digest.update(f"{d.isoformat()}={self.holidays[d]};".encode())
        for d in sorted(self.closure_days):
            digest.update(f"closure={d.isoformat()};".encode())
        return f"{self.source}/{self.first_year}-{self.last_year}/{digest.hexdigest()[:12]}"

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def check(self, day: date) -> None:
        if not self.covers(day):
            raise CalendarCoverageError(day, self.first_year, self.last_year)

    # -- single dates ---------------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        self.check(day)
        return day.weekday() < 5 and day not in self.holidays

    def is_closure_day(self, day: date) -> bool:
        return day in self.closure_days

    def is_delivery_day(self, day: date) -> bool:
        """A day on which reminders may be delivered: a working day that is not a council closure day."""
        return self.is_working_day(day) and not self.is_closure_day(day)

    def name_of(self, day: date) -> str | None:
        """The holiday's name, "Saturday"/"Sunday" for a weekend, None for a working day."""
        if day in self.holidays:
            return self.holidays[day]
        if day.weekday() >= 5:
            return day.strftime("%A")
        return None

    def add_working_days(self, anchor: date, n: int) -> date:
        """The n-th working day after `anchor` (anchor is day 0; if it is not a working day, day 1 is the next
        working day). n may be 0 (the anchor itself if working, else the previous working day) or negative."""
        if not self.first_year <= anchor.year <= self.last_year:
            raise CalendarCoverageError(anchor, self.first_year, self.last_year)
        idx = self._rank[anchor.toordinal() - self._first_ordinal] - 1 + n
        if idx < 0 or idx >= len(self._working):
            raise self._ran_off(anchor + timedelta(days=int(n * 1.4)), before_start=idx < 0)
        return self._working_dates[idx]

    def count_working_days(
        self, anchor: date, n: int, anchor_day_counts: bool = False
    ) -> tuple[date, tuple[SkippedDay, ...]]:
        """`add_working_days(anchor, n)` (less one if `anchor_day_counts` and the anchor is a working day) and the
        named non-working days in (anchor, due]: a WD count, as `counting.count_due` makes it, with one coverage
        check and no search (the engine makes one per deadline counted in working days)."""
        if not self.first_year <= anchor.year <= self.last_year:
            raise CalendarCoverageError(anchor, self.first_year, self.last_year)
        offset = anchor.toordinal() - self._first_ordinal
        rank = self._rank[offset]  # working days on or before the anchor
        if anchor_day_counts and n > 0 and self.is_working_day(anchor):
            n -= 1
        idx = rank - 1 + n
        if idx < 0 or idx >= len(self._working):
            raise self._ran_off(anchor + timedelta(days=int(n * 1.4)), before_start=idx < 0)
        due = self._working_dates[idx]
        due_offset = self._working[idx] - self._first_ordinal
        if due_offset <= offset:
            return due, ()
        # Non-working days on or before a day = days so far - working days so far (the due day is working day
        # idx + 1): the slice of `_off` that bisect_right over (anchor, due] finds.
        return due, self._off_tuple[offset + 1 - rank:due_offset - idx]

    def last_and_soon(self, day: date, n: int) -> tuple[date, date]:
        """`last_working_day(day)`, and the n-th working day before that (`add_working_days(day, -n)`), or the
        calendar's first day if that lies before the coverage: a deadline's last working day and, counted back
        from its due date, the day it becomes due soon. `day` must be covered."""
        idx = self._rank[day.toordinal() - self._first_ordinal] - 1
        if idx < 0:
            return self.add_working_days(day, 0), self.start  # raises: no working day on or before `day`
        back = idx - n
        return self._working_dates[idx], self._working_dates[back] if 0 <= back < len(self._working) else self.start

    def _ran_off(self, estimate: date, *, before_start: bool) -> CalendarCoverageError:
        """A count whose answer lies past the coverage: name a date on the right side of it, never inside."""
        if before_start:
            day = min(estimate, self.start - timedelta(days=1))
        else:
            day = max(estimate, self.end + timedelta(days=1))
        return CalendarCoverageError(day, self.first_year, self.last_year)

    def last_working_day(self, day: date) -> date:
        """The latest working day on or before `day`."""
        return self.add_working_days(day, 0)

    def next_working_day(self, day: date) -> date:
        """The earliest working day on or after `day`."""
        self.check(day)
        idx = bisect.bisect_left(self._working, day.toordinal())
        if idx >= len(self._working):
            raise CalendarCoverageError(day + timedelta(days=7), self.first_year, self.last_year)
        return date.fromordinal(self._working[idx])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days after `start` `end` is (negative if before)."""
        self.check(start)
        self.check(end)
        a = bisect.bisect_right(self._working, start.toordinal())
        b = bisect.bisect_right(self._working, end.toordinal())
        return b - a

    def non_working_days(self, start: date, end: date) -> list[SkippedDay]:
        """Every non-working day in (start, end], named."""
        self.check(start)
        self.check(end)
        lo = bisect.bisect_right(self._off, start.toordinal())
        hi = bisect.bisect_right(self._off, end.toordinal())
        return self._off_days[lo:hi]

    def holidays_in(self, year: int) -> list[tuple[date, str]]:
        self.check(date(year, 1, 1))
        return sorted((d, n) for d, n in self.holidays.items() if d.year == year)

    # -- bulk -----------------------------------------------------------------------------------------------

    @cached_property
    def _working_np(self) -> npt.NDArray[np.int64]:
        import numpy as np

        return np.array([o - _EPOCH for o in self._working], dtype=np.int64)

    def add_working_days_bulk(self, anchors: npt.NDArray[np.int64], n: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Vectorised `add_working_days` over days-since-1970 integers (numpy datetime64[D] as int64).

        For recomputing many cases at once; same semantics and the same coverage errors as the scalar path."""
        import numpy as np

        anchors = np.asarray(anchors, dtype=np.int64)
        lo = date(self.first_year, 1, 1).toordinal() - _EPOCH
        hi = date(self.last_year, 12, 31).toordinal() - _EPOCH
        if anchors.size and (anchors.min() < lo or anchors.max() > hi):
            bad = int(anchors.min()) if anchors.min() < lo else int(anchors.max())
            raise CalendarCoverageError(date.fromordinal(bad + _EPOCH), self.first_year, self.last_year)
        idx = np.searchsorted(self._working_np, anchors, side="right") - 1 + np.asarray(n, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self._working_np)):
            before_start = bool(idx.min() < 0)
            raise self._ran_off(self.start if before_start else self.end, before_start=before_start)
        result: npt.NDArray[np.int64] = self._working_np[idx]
        return result


def to_days(dates: Iterable[date]) -> npt.NDArray[np.int64]:
    """Dates as days since 1970-01-01 (the integer form of numpy's datetime64[D])."""
    import numpy as np

    return np.fromiter((d.toordinal() - _EPOCH for d in dates), dtype=np.int64)


def from_days(days: npt.NDArray[np.int64]) -> list[date]:
    return [date.fromordinal(int(d) + _EPOCH) for d in days]
