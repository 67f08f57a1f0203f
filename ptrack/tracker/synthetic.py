"""A deterministic synthetic caseload: realistic timelines for demos, tests and benchmarks.

Each child gets its own seeded random stream, so child `i` is the same whatever the caseload size and the files stream
out one child at a time (100,000 children and millions of events in constant memory). Timelines use the event vocabulary
(docs/importing.md): periods of care (some children come back for a second), placements of several kinds
(connected-person ones with Reg 24 temporary approval), reviews at statutory intervals, visits every six weeks or three
months, PPMs, care proceedings with extensions, assessments, placement support meetings, panels, adoption, private
fostering, leaving care and short breaks (reg 48: a series of few-day periods, some children later entering
full care). A share of reviews and visits are late, so a caseload always has overdue and met-late
deadlines. Only initials and `@example.org` addresses: no real names.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ptrack.tracker.model import Case, Event, Person
from ptrack.tracker.synthetic_extras import RawEvent, ShortBreaks
from ptrack.tracker.synthetic_timetable import TimetableEvents

CASES_HEADER = ("case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email")
PEOPLE_HEADER = ("email", "name", "role", "team", "slack_user_id", "channel", "sw_id")
EVENTS_HEADER = (
    "event_id", "case_id", "event", "date", "placement_kind", "intended_until_18", "kind", "weeks", "note",
)
# Measured over the generator's own output (events ~ fixed + rate * years): used to size histories.
EVENTS_PER_YEAR_IN_CARE = 25.0
_FIXED_EVENTS = 11.0
_LETTERS = "ABCDEFGHJKLMNPRSTW"
_PLACEMENTS = (
    ("foster", 55), ("connected_person", 15), ("residential", 12), ("with_parent", 6), ("other", 4),
    ("foster_long_term", 8),
)

# Every `_PROFILE_EVERY`-th child follows a path rarer than chance gives a small caseload, so even the 60-child
# demo has evidence for every rule (`ptrack doctor` checks that no active rule is untracked): a care leaver
# (eligible at 16, pathway plan, missing episodes, personal adviser visits), a baby adopted from care and a
# privately fostered child.
_PROFILE_EVERY = 20
_PROFILES = {3: "care_leaver", 11: "adoption", 17: "private_fostering"}


@dataclass(frozen=True)
class CaseloadShape:
    """How big and how deep a synthetic caseload is."""

    children: int = 60
    teams: int = 3
    workers_per_team: int = 4
    seed: int = 1
    as_of: date = date(2026, 11, 25)
    events_per_child: float = 43.0  # mean; sets how far back histories start (43: about 15 months)
    timelines: str = "standard"  # or "visit_heavy" (`synthetic_visit_heavy`): real case systems' rhythm

    def team_name(self, t: int) -> str:
        return f"Team {chr(ord('A') + t)}" if self.teams <= 26 else f"Team {t + 1}"


@dataclass(frozen=True)
class SyntheticFiles:
    cases: Path
    people: Path
    events: Path
    children: int
    event_count: int


def sw_id_of(email: str) -> str:
    """A made-up Social Work England number for a synthetic worker (SSDA903 SW_ID, SSD prof_staff_id)."""
    return "SW" + "".join(f"{ord(c) % 100:02d}" for c in email.split("@")[0].removeprefix("worker."))


def people(shape: CaseloadShape) -> list[Person]:
    """Workers, a manager and an IRO per team, plus one admin: roles and teams, no real names."""
    out = [Person("admin@example.org", "Admin", "admin", "", "", "email")]
    for t in range(shape.teams):
        team, tag = shape.team_name(t), _team_tag(t)
        out.append(Person(f"manager.{tag}@example.org", f"Manager {tag.upper()}", "manager", team, "",
                          "teams"))
        out.append(Person(f"iro.{tag}@example.org", f"IRO {tag.upper()}", "iro", team, "", "email"))
        for w in range(shape.workers_per_team):
            channel = ("teams", "email", "slack")[w % 3]
            slack = f"U{t:03d}{w:03d}" if channel == "slack" else ""
            out.append(Person(f"worker.{tag}{w + 1}@example.org", f"Worker {tag.upper()}{w + 1}", "worker",
                              team, slack, channel, sw_id_of(f"worker.{tag}{w + 1}@example.org")))
    return out


def caseload(shape: CaseloadShape) -> Iterator[tuple[Case, list[Event]]]:
    """Every child with its events, oldest first, one child at a time."""
    for i in range(shape.children):
        case, raw = _child(shape, i)
        yield case, [_to_event(case.case_id, n, r) for n, r in enumerate(raw)]


def write_csvs(directory: Path, shape: CaseloadShape, *, channels: bool = True) -> SyntheticFiles:
    """Write cases.csv, people.csv and events.csv into `directory`, streaming. `channels=False` leaves people's
    channel empty (the deployment's default routing), for a deployment that configures none."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = SyntheticFiles(directory / "cases.csv", directory / "people.csv", directory / "events.csv", 0, 0)
    with paths.people.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(PEOPLE_HEADER)
        w.writerows((p.email, p.name, p.role, p.team, p.slack_user_id, p.channel if channels else "", p.sw_id)
                    for p in people(shape))
    count = 0
    with paths.cases.open("w", newline="", encoding="utf-8") as cf, \
            paths.events.open("w", newline="", encoding="utf-8") as ef:
        cases_w, events_w = csv.writer(cf), csv.writer(ef)
        cases_w.writerow(CASES_HEADER)
        events_w.writerow(EVENTS_HEADER)
        iso = _IsoCache()
        for i in range(shape.children):
            case, raw = _child(shape, i)
            dob = case.dob.isoformat() if case.dob else ""
            cases_w.writerow((case.case_id, case.initials, dob, case.team, case.worker_email,
                              case.manager_email, case.iro_email))
            cid = case.case_id
            events_w.writerows(
                (f"{cid}-{n}", cid, k, iso[d], pk, u18, sub, wk, "")
                for n, (k, d, pk, u18, sub, wk) in enumerate(raw)
            )
            count += len(raw)
    return SyntheticFiles(paths.cases, paths.people, paths.events, shape.children, count)


class _IsoCache(dict[int, str]):
    def __missing__(self, ordinal: int) -> str:
        text = date.fromordinal(ordinal).isoformat()
        self[ordinal] = text
        return text


def _team_tag(t: int) -> str:
    return chr(ord("a") + t) if t < 26 else f"t{t + 1}"


def _to_event(case_id: str, n: int, raw: RawEvent) -> Event:
    kind, day, pk, u18, sub, weeks = raw
    return Event(
        event_id=f"{case_id}-{n}", case_id=case_id, kind=kind, date=date.fromordinal(day), placement_kind=pk,
        intended_until_18=None if not u18 else u18 == "yes", subkind=sub, weeks=int(weeks) if weeks else None,
    )


def _child(shape: CaseloadShape, i: int) -> tuple[Case, list[RawEvent]]:
    if shape.timelines == "visit_heavy":
        from ptrack.tracker.synthetic_visit_heavy import visit_heavy_child

        return visit_heavy_child(shape, i)
    if shape.timelines != "standard":
        raise ValueError(f"unknown synthetic timelines {shape.timelines!r}: standard or visit_heavy")
    rng = random.Random(shape.seed * 1_000_003 + i)
    t = rng.randrange(shape.teams)
    tag = _team_tag(t)
    history_days = int(365 * max(shape.events_per_child - _FIXED_EVENTS, 1.0) / EVENTS_PER_YEAR_IN_CARE)
    today = shape.as_of.toordinal()
    start = today - int(rng.uniform(0.05, 2.0) * history_days) - 1
    age_days = int(rng.triangular(0, 17.5, 9) * 365.25)
    dob = start - age_days
    worker = rng.randrange(shape.workers_per_team) + 1
    timetable_rng = random.Random((shape.seed * 1_000_003 + i) * 7 + 3)
    profile = _PROFILES.get(i % _PROFILE_EVERY, "")
    if profile == "care_leaver":  # came into care at 14 or 15, stayed until 18, left some months ago
        dob = today - int(timetable_rng.uniform(18.3, 20.5) * 365.25)
        start = dob + int(timetable_rng.uniform(14.0, 15.5) * 365.25)
    elif profile == "adoption":  # a baby in care, adopted about a year later
        dob = today - int(timetable_rng.uniform(1.6, 3.5) * 365.25)
        start = dob + timetable_rng.randint(10, 120)
    case = Case(
        case_id=f"C{i + 1:06d}", initials=rng.choice(_LETTERS) + rng.choice(_LETTERS),
        dob=date.fromordinal(dob), team=shape.team_name(t), worker_email=f"worker.{tag}{worker}@example.org",
        manager_email=f"manager.{tag}@example.org", iro_email=f"iro.{tag}@example.org",
    )
    builder = _Timeline(rng, dob, today, timetable_rng, profile)
    # About one child in eleven under 13 has short breaks (reg 48); drawn from its own stream so that every other
    # child's timeline is the same as before short breaks were generated (and the older children, who reach the
    # leaving-care rules, are all still there).
    if not profile and age_days < 13 * 365 and random.Random(shape.seed * 7_927 + i).random() < 0.11:
        builder.short_breaks(start, random.Random(shape.seed * 104_729 + i))
    elif rng.random() < 0.04 or profile == "private_fostering":
        builder.private_fostering(start)
    else:
        builder.care(start)
    return case, builder.finish()


class _Timeline(ShortBreaks):
    """Builds one child's events up to (and including) `today`; nothing is dated later."""

    def __init__(self, rng: random.Random, dob: int, today: int, timetable_rng: random.Random,
                 profile: str = "") -> None:
        self.rng, self.dob, self.today, self.profile = rng, dob, today, profile
        self.events: list[RawEvent] = []
        self.permanent = False
        # A worker who has fallen behind: recurring visits, reviews and PPMs stop some weeks before today.
        self.horizon = today - rng.randint(30, 120) if rng.random() < 0.35 else today
        self.timetable = TimetableEvents(timetable_rng, self.add, dob, today, care_leaver=profile == "care_leaver")

    def add(self, kind: str, day: int, pk: str = "", u18: str = "", sub: str = "", weeks: str = "") -> bool:
        if day > self.today:
            return False
        self.events.append((kind, max(day, self.dob), pk, u18, sub, weeks))
        return True

    def late(self, day: int, share: float, most: int) -> int:
        """`day`, or with probability `share` up to `most` days after it (a late review or visit)."""
        return day + self.rng.randint(1, most) if self.rng.random() < share else day - self.rng.randint(0, 5)

    def finish(self) -> list[RawEvent]:
        self.events.sort(key=lambda e: e[1])
        return self.events

    # -- a period of care -----------------------------------------------------------------------------------

    def care(self, start: int) -> None:
        end = self.period(start)
        if end is not None and self.rng.random() < 0.12 and self.profile != "care_leaver":
            again = end + self.rng.randint(60, 400)
            if again < self.dob + int(18 * 365.25):  # nobody comes back into care as an adult
                self.care(again)

    def period(self, start: int) -> int | None:
        """One period of care from `start`: the day it ended, or None while the child is still in care."""
        if not self.add("looked_after_start", start):
            return None
        self.permanent = False
        end = self.planned_end(start)
        stop = min(end, self.today)
        self.add("care_plan_agreed", self.late(start + 10, 0.15, 20))
        self.timetable.period(start, stop, self.horizon)
        self.proceedings(start, stop)
        self.reviews(start, stop)
        self.pathway(start, stop)
        self.placements(start, stop)
        self.ppms(start, stop)
        self.yearly(start, stop, "assessment_completed", 365, 0.3)
        if end <= self.today:
            self.leave(start, end)
            return end
        return None

    def planned_end(self, start: int) -> int:
        age18 = self.dob + int(18 * 365.25)
        stay = int(self.rng.expovariate(1 / (365 * 3.0))) + 30
        if self.profile == "care_leaver":
            return age18
        if self.profile == "adoption":
            return start + 300 + stay % 200
        return min(start + stay, age18)

    def leave(self, start: int, end: int) -> None:
        kind = self.rng.choice(("return_home", "sgo", "cao", "adoption_order"))
        kind = "adoption_order" if self.profile == "adoption" else kind
        if end - self.dob < 5 * 365 and kind == "adoption_order":
            placed = max(start + 30, end - 200)
            self.add("placed_for_adoption", placed)
            for offset in (28, 28 + 91):
                self.add("adoption_review_held", self.late(placed + offset, 0.1, 10))
            self.timetable.adoption(start, placed)
        elif end - self.dob >= int(17.9 * 365.25):
            kind = ""
            self.timetable.care_leaver(end)
        if kind:
            self.add("permanence_achieved", end, sub=kind)
            self.permanent = True
        self.add("looked_after_end", end)

    def reviews(self, start: int, stop: int) -> None:
        held = self.late(start + 28, 0.15, 20)
        number = 1
        while held <= min(stop, self.horizon):
            self.add("review_held", held)
            if number == 2 and self.rng.random() < 0.85:
                self.add("permanence_plan_agreed", held)
            held = self.late(held + (91 if number == 1 else 182), 0.12, 30)
            number += 1

    def pathway(self, start: int, stop: int) -> None:
        """Needs assessment and pathway plan for a child in care at 16 (the "eligible" route)."""
        sixteen = self.dob + int(16 * 365.25)
        if start <= sixteen <= stop:
            self.add("needs_assessment_completed", self.late(max(sixteen, start + 91), 0.2, 40))
            agreed = self.late(max(sixteen, start + 91) + 30, 0.2, 40)
            self.add("pathway_plan_agreed", agreed)
            self.timetable.eligible(agreed, min(stop, self.horizon))

    def proceedings(self, start: int, stop: int) -> None:
        if self.rng.random() > 0.45:
            return
        issued = start + self.rng.randint(0, 20)
        if issued > stop:
            return
        self.add("proceedings_issued", issued)
        self.timetable.proceedings(issued)
        if issued + 7 * 20 <= stop:
            self.add("final_care_plan_due", issued + 7 * 20)
        length = 7 * 26 - 1
        if self.rng.random() < 0.25 and issued + 7 * 24 <= stop:
            self.add("proceedings_extended", issued + 7 * 24, weeks="8")
            length += 7 * 8
        concluded = issued + length - self.rng.randint(0, 40)
        if stop < self.today:  # the period of care ended first: the proceedings ended with it
            concluded = min(concluded, stop)
        if concluded <= stop:
            self.add("proceedings_concluded", concluded)
            self.add("care_order_made", concluded)

    def placements(self, start: int, stop: int) -> None:
        day = start
        while day <= stop:
            kind = self.placement_kind()
            length = int(self.rng.expovariate(1 / 420)) + 14
            end = min(day + length, stop)
            self.placement(day, end, kind)
            if day + length > stop:
                return
            self.add("placement_end", end)
            day = end

    def placement_kind(self) -> str:
        pick = self.rng.randrange(100)
        for kind, weight in _PLACEMENTS:
            if pick < weight:
                return kind
            pick -= weight
        return "foster"

    def placement(self, start: int, end: int, kind: str) -> None:
        until18 = "yes" if kind == "foster_long_term" else "no"
        kind = "foster" if kind == "foster_long_term" else kind
        self.add("pre_placement_meeting", start + self.rng.randint(-3, 6))
        self.add("placement_start", start, pk=self.timetable.placement(start, kind), u18=until18)
        self.add("placement_plan_agreed", self.late(start + 5, 0.15, 15))
        if kind == "connected_person":
            self.add("temporary_approval", start)
            if end - start > 16 * 7 and self.rng.random() < 0.4:
                self.add("approval_extended", start + 15 * 7, weeks="8")
            if end - start > 20 * 7:
                self.add("carer_approved", start + 20 * 7 - self.rng.randint(0, 30))
        if kind in ("foster", "connected_person"):
            self.yearly(start, end, "placement_support_meeting", 182, 0.15)
        self.visits(start, end, until18 == "yes", weekly_first=kind in ("connected_person", "with_parent"))

    def visits(self, start: int, end: int, until18: bool, weekly_first: bool) -> None:
        day = self.late(start + 7, 0.1, 5)
        weekly_until = start + 28 if weekly_first else start
        while day <= min(end, self.horizon):
            self.add("visit", day)
            interval = 7 if day < weekly_until else (91 if until18 and day - start > 365 else 42)
            day = self.late(day + interval, 0.1, 21)

    def ppms(self, start: int, stop: int) -> None:
        day = start + self.rng.randint(10, 25)
        while day <= min(stop, self.horizon) and not self.permanent:
            self.add("ppm_held", day)
            day = self.late(day + 42, 0.15, 20)

    def yearly(self, start: int, stop: int, kind: str, interval: int, late_share: float) -> None:
        day = start + interval
        while day <= stop:
            self.add(kind, self.late(day, late_share, 30))
            if kind == "assessment_completed" and self.rng.random() < 0.1:
                self.add("panel_date", day + 14)
            day += interval

    # -- private fostering ----------------------------------------------------------------------------------

    def private_fostering(self, start: int) -> None:
        self.add("pf_notified", start)
        day = self.late(start + 9, 0.1, 5)
        end = start + int(self.rng.expovariate(1 / 300)) + 60
        while day <= min(end, self.today):
            self.add("pf_visit", day)
            day = self.late(day + (42 if day - start < 365 else 84), 0.1, 14)
        self.add("pf_end", end)
