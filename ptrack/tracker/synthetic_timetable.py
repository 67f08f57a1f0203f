"""The synthetic caseload's share of the rest of the statutory timetable (docs/rules.md): health assessments,
PEPs, missing episodes and return home interviews, IRO allocation, placement notifications, emergency foster
placements, interim care orders, authority to place and adoption visits, and care leavers' pathway plan
reviews, accommodation and personal adviser visits.

It draws from its own random stream, so the events the generator made before these rules existed stay exactly
as they were (the same seed gives the same older events); a share of everything here is late or missing, so a
demo caseload has met, late and overdue deadlines for every new rule."""

from __future__ import annotations

import random
from collections.abc import Callable

YEAR = 365.25
Add = Callable[..., bool]  # _Timeline.add(kind, day, pk="", u18="", sub="", weeks="")


class TimetableEvents:
    """Adds one child's timetable events through `add` (which drops anything dated after today)."""

    def __init__(self, rng: random.Random, add: Add, dob: int, today: int, *, care_leaver: bool = False) -> None:
        self.rng, self.add, self.dob, self.today = rng, add, dob, today
        self.care_leaver_profile = care_leaver  # always goes missing once in a while, always accommodated

    def late(self, day: int, share: float, most: int) -> int:
        return day + self.rng.randint(1, most) if self.rng.random() < share else day - self.rng.randint(0, 5)

    def age(self, day: int) -> float:
        return (day - self.dob) / YEAR

    def period(self, start: int, stop: int, horizon: int) -> None:
        """What every period of care brings: an IRO, health assessments, PEPs, perhaps missing episodes."""
        self.add("iro_allocated", self.late(start + 3, 0.12, 10))
        self.health(start, min(stop, horizon))
        self.education(start, min(stop, horizon))
        if self.care_leaver_profile or (self.age(start) >= 11 and self.rng.random() < 0.25):
            self.missing(start, stop)

    def health(self, start: int, stop: int) -> None:
        day, kind = self.late(start + 24, 0.2, 25), "initial"
        while day <= stop:
            self.add("health_assessment", day, sub=kind)
            if self.rng.random() < 0.3:
                self.add("health_assessment", day + self.rng.randint(5, 60), sub="other")  # dental, optician
            day, kind = self.late(day + (182 if self.age(day) < 5 else 365), 0.15, 40), "review"

    def education(self, start: int, stop: int) -> None:
        if not 3 <= self.age(start) < 18:
            return
        day = self.late(start + 25, 0.2, 20)
        while day <= stop and self.age(day) < 18:
            self.add("pep_reviewed", day)
            day = self.late(day + 110, 0.15, 30)

    def missing(self, start: int, stop: int) -> None:
        day = start + self.rng.randint(20, 200)
        for _ in range(self.rng.randint(1, 4)):
            if day > stop:
                return
            kind = "away" if self.rng.random() < 0.15 else "missing"
            self.add("missing_start", day, sub=kind)
            back = day + self.rng.randint(0, 3)
            if back > self.today and self.rng.random() < 0.5:
                return  # still missing on the day the data was taken
            self.add("missing_end", min(back, stop), sub=kind)
            if kind == "missing" and (self.care_leaver_profile or self.rng.random() < 0.85):
                late = self.rng.random() < 0.25
                self.add("return_home_interview", back + (self.rng.randint(4, 8) if late else self.rng.randint(0, 3)))
            day = back + self.rng.randint(15, 120)
        if stop >= self.today and self.rng.random() < 0.1:
            # Missing on the day the data was taken: an episode with no end yet (903 MIS_END empty).
            self.add("missing_start", max(day, self.today - self.rng.randint(0, 5)), sub="missing")

    def placement(self, start: int, kind: str) -> str:
        """The notification of a placement; one foster placement in twelve is an emergency with a carer not
        yet approved for the child, approved (mostly) within the six working days. Returns the kind used."""
        self.add("placement_notified", start + self.rng.randint(-5, 8))
        if kind == "foster" and self.rng.random() < 1 / 12:
            self.add("carer_approved", start + self.rng.randint(2, 12))
            return "emergency_foster"
        return kind

    def proceedings(self, issued: int) -> None:
        if self.rng.random() < 0.8:
            self.add("interim_care_order", issued)

    def adoption(self, start: int, placed: int) -> None:
        authority = max(start + 20, placed - self.rng.randint(60, 240))
        if authority < placed:
            self.add("authority_to_place", authority)
            review = self.late(authority + 85, 0.2, 20)
            while review < placed:  # reviewed while waiting (reg 36(1)), alongside the looked-after reviews
                self.add("adoption_review_held", review)
                review = self.late(review + 175, 0.2, 20)
        day = self.late(placed + 5, 0.1, 4)
        while day < placed + 28:
            self.add("adoption_visit", day)
            day = self.late(day + 7, 0.1, 4)
        self.add("adoption_visit", placed + 28)

    def eligible(self, agreed: int, stop: int) -> None:
        """A pathway plan agreed while in care is reviewed (with the looked-after reviews) six-monthly."""
        day = self.late(agreed + 175, 0.15, 30)
        while day <= stop:
            self.add("pathway_plan_reviewed", day)
            day = self.late(day + 175, 0.15, 30)

    def care_leaver(self, left: int) -> None:
        """A young person who left care at 18: pathway plan reviews and, when the council accommodates them,
        personal adviser visits, until the 21st birthday."""
        until = min(self.today, self.dob + int(21 * YEAR) - 1)
        day = self.late(left + 150, 0.2, 40)
        while day <= until:
            self.add("pathway_plan_reviewed", day)
            day = self.late(day + 175, 0.15, 40)
        if self.care_leaver_profile or self.rng.random() < 0.6:
            moved = left + self.rng.randint(0, 30)
            self.add("care_leaver_accommodation_start", moved)
            day = self.late(moved + 5, 0.15, 6)
            while day <= until:
                self.add("pa_visit", day)
                day = self.late(day + 55, 0.15, 20)
