"""The synthetic timelines' statutory extras (`ptrack.tracker.synthetic`): health assessments, PEPs, missing
episodes and return home interviews, placement notifications, IRO allocation, adoption decisions and visits,
care leavers, and series of short breaks (reg 48). Each child draws them from a stream of its own, so adding
them left every other part of a child's timeline as it was."""

from __future__ import annotations

import random
from abc import abstractmethod

# One generated event: (kind, day ordinal, placement_kind, intended_until_18, subkind, weeks)
RawEvent = tuple[str, int, str, str, str, str]


class TimetableExtras:
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

    # -- the rest of the statutory timetable -----------------------------------------------------------------

    def extras(self, rng: random.Random) -> None:
        self.events.sort(key=lambda e: e[1])
        period: int | None = None
        for kind, day, _, _, sub, _ in list(self.events):
            if kind == "looked_after_start" and sub != "short_breaks":
                period = day
                self.period_extras(rng, day, self._period_end(day))
            elif kind == "placement_start" and period is not None and sub != "short_breaks":
                self.add("placement_notified", self.late(day + rng.randint(0, 4), 0.1, 10))
            elif kind == "placed_for_adoption" and not any(k == "authority_to_place" for k, *_ in self.events):
                self.add("authority_to_place", max(period or day, day - rng.randint(60, 200)))
            elif kind == "looked_after_end":
                if period is not None and day - self.dob >= int(17.9 * 365.25):
                    self.care_leaver(rng, day)
                period = None

    def _period_end(self, start: int) -> int:
        return next((d for k, d, *_ in sorted(self.events, key=lambda e: e[1])
                     if k == "looked_after_end" and d >= start), self.today)

    def period_extras(self, rng: random.Random, start: int, end: int) -> None:
        stop = min(end, self.horizon)
        self.add("iro_allocated", start + rng.randint(1, 8))
        day, kind = self.late(start + 25, 0.2, 30), "initial"
        while day <= stop:
            self.add("health_assessment", day, sub=kind)
            day, kind = self.late(day + (182 if day - self.dob < 5 * 365 else 365), 0.15, 40), "review"
        if 4 * 365 <= start - self.dob < 18 * 365:
            day = self.late(start + 25, 0.2, 30)
            while day <= stop:
                self.add("pep_reviewed", day)
                day = self.late(day + 120, 0.15, 30)
        if start - self.dob < 4 * 365 and rng.random() < 0.3:
            self.adoption(rng, start, stop)
        if start - self.dob >= 11 * 365 and rng.random() < 0.3:
            day = start + rng.randint(20, 200)
            while day <= min(end, self.today):
                back = day + rng.randint(0, 3)
                sub = "missing" if rng.random() < 0.8 else "away"
                self.add("missing_start", day, sub=sub)
                if back > min(end, self.today) or (self.today - day < 40 and rng.random() < 0.7):
                    break  # still missing (or the return is not yet recorded): an episode with no end
                self.add("missing_end", back, sub=sub)
                if rng.random() < 0.9:
                    self.add("return_home_interview", back + (rng.randint(0, 3) if rng.random() < 0.8
                                                              else rng.randint(4, 10)))
                day = back + rng.randint(30, 250)

    def adoption(self, rng: random.Random, start: int, stop: int) -> None:
        """Authority to place for adoption, then a placement for adoption: weekly visits until the first
        adoption review at four weeks, then reviews at three months."""
        authority = start + rng.randint(100, 250)
        if authority > stop:
            return
        self.add("authority_to_place", authority)
        placed = authority + rng.randint(40, 150)
        if placed > stop:
            return
        self.add("placed_for_adoption", placed)
        for week in range(1, 5):
            if placed + 7 * week <= stop:
                self.add("adoption_visit", self.late(placed + 7 * week, 0.1, 3))
        day = self.late(placed + 28, 0.1, 10)
        while day <= stop:
            self.add("adoption_review_held", day)
            day = self.late(day + 91, 0.1, 20)

    def care_leaver(self, rng: random.Random, left: int) -> None:
        """A care leaver: accommodation found, pathway plan reviews and personal adviser visits until 21."""
        until = min(self.today, self.dob + int(21 * 365.25))
        self.add("care_leaver_accommodation_start", left)
        day = left + rng.randint(30, 150)
        while day <= until:
            self.add("pathway_plan_reviewed", day)
            day = self.late(day + 182, 0.15, 30)
        day = left + rng.randint(3, 9)
        while day <= until:
            self.add("pa_visit", day)
            day = self.late(day + 56, 0.15, 20)

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

