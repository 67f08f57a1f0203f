"""The synthetic timelines' series of short breaks (reg 48), mixed into the timeline builder of
`ptrack.tracker.synthetic`. Each child draws them from a stream of its own, so adding them left every other
part of a child's timeline as it was."""

from __future__ import annotations

import random
from abc import abstractmethod

# One generated event: (kind, day ordinal, placement_kind, intended_until_18, subkind, weeks)
RawEvent = tuple[str, int, str, str, str, str]


class ShortBreaks:
    """Mixed into the timeline builder, which supplies the state and the basic steps."""

    events: list[RawEvent]
    dob: int
    today: int
    horizon: int

    @abstractmethod
    def add(self, kind: str, day: int, pk: str = "", u18: str = "", sub: str = "", weeks: str = "") -> bool: ...

    @abstractmethod
    def late(self, day: int, share: float, most: int) -> int: ...

    @abstractmethod
    def care(self, start: int) -> None: ...

    # -- short breaks (reg 48) ------------------------------------------------------------------------------

    def short_breaks(self, start: int, rng: random.Random) -> None:
        """A series of short breaks, each a period of care of a few days (`kind=short_breaks`), reviewed within
        three months of the first break and six-monthly, visited on break days; about one series in four ends with the
        child entering full care."""
        full_care = start + rng.randint(90, 400) if rng.random() < 0.3 else None
        review, visit = self.late(start + 80, 0.15, 30), start + rng.randint(20, 80)
        day = start
        while day <= self.today and (full_care is None or day < full_care):
            end = day + rng.randint(1, 4)
            self.add("looked_after_start", day, sub="short_breaks")
            self.add("placement_start", day, pk="short_break", u18="no")
            if visit <= end and day <= min(self.horizon, self.today):
                self.add("visit", min(max(visit, day), end, self.today))
                visit = self.late(day + 160, 0.15, 40)
            if end <= self.today:
                self.add("looked_after_end", end)
            day = end + rng.randint(14, 60)
            while review < day and review <= self.horizon:
                self.add("review_held", review)
                review = self.late(review + 175, 0.12, 30)
        if full_care is not None and full_care <= self.today:
            self.care(max(full_care, day))

