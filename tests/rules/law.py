"""Helpers that let rule tests read like the law: a case timeline in, named due dates out."""

from __future__ import annotations

from datetime import date
from functools import cache

from ptrack.calendars import WorkingDayCalendar, england_and_wales
from ptrack.tracker.model import Case, Deadline, Event, Timeline
from ptrack.tracker.rules import RuleSet, compute, load_ruleset

ALL_PACKS = ("england", "tameside", "somerset", "enfield", "cheshire_east", "halton")
AS_OF = date(2026, 11, 25)


@cache
def calendar() -> WorkingDayCalendar:
    return england_and_wales()


@cache
def ruleset(packs: tuple[str, ...] = ("england",), settings: tuple[tuple[str, object], ...] = ()) -> RuleSet:
    return load_ruleset(list(packs), dict(settings))


def d(text: str) -> date:
    return date.fromisoformat(text)


class CaseBuilder:
    """`case(dob="2015-03-01").looked_after("2024-12-19").review("2025-01-21")`."""

    def __init__(self, dob: str | None = "2012-06-01", case_id: str = "C1") -> None:
        self.case = Case(case_id, "AB", d(dob) if dob else None, "Team A", "sw@example.org")
        self.events: list[Event] = []

    def event(self, kind: str, on: str, **extra: object) -> CaseBuilder:
        self.events.append(Event(f"{self.case.case_id}-{len(self.events)}", self.case.case_id, kind, d(on),
                                 **extra))  # type: ignore[arg-type]
        return self

    def looked_after(self, on: str, short_break: bool = False) -> CaseBuilder:
        return self.event("looked_after_start", on, short_break=short_break)

    def left_care(self, on: str) -> CaseBuilder:
        return self.event("looked_after_end", on)

    def review(self, on: str, **extra: object) -> CaseBuilder:
        return self.event("review_held", on, **extra)

    def placement(self, on: str, kind: str = "foster", until_18: bool | None = None) -> CaseBuilder:
        return self.event("placement_start", on, placement_kind=kind, intended_until_18=until_18)

    def visit(self, on: str) -> CaseBuilder:
        return self.event("visit", on)

    def timeline(self) -> Timeline:
        return Timeline(self.case, tuple(self.events))


def case(dob: str | None = "2012-06-01", case_id: str = "C1") -> CaseBuilder:
    return CaseBuilder(dob, case_id)


def deadlines(
    c: CaseBuilder, packs: tuple[str, ...] = ("england",), as_of: date = AS_OF, **settings: object
) -> list[Deadline]:
    return compute(c.timeline(), ruleset(packs, tuple(sorted(settings.items()))), calendar(), as_of)


def due_dates(c: CaseBuilder, rule_id: str, **kw: object) -> list[str]:
    """Every due date `rule_id` won, oldest first."""
    return sorted(x.due.isoformat() for x in deadlines(c, **kw) if x.rule_id == rule_id)  # type: ignore[arg-type]


def find(c: CaseBuilder, rule_id: str, nth: int = 1, **kw: object) -> Deadline:
    found = sorted((x for x in deadlines(c, **kw) if x.rule_id == rule_id), key=lambda x: x.due)  # type: ignore[arg-type]
    assert len(found) >= nth, f"no deadline #{nth} for {rule_id}; got {[x.rule_id for x in deadlines(c, **kw)]}"  # type: ignore[arg-type]
    return found[nth - 1]


def assert_due(c: CaseBuilder, rule_id: str, due: str, *, nth: int = 1, status: str | None = None,
               **kw: object) -> Deadline:
    got = find(c, rule_id, nth, **kw)
    assert got.due.isoformat() == due, f"{rule_id} #{nth}: due {got.due}, the law says {due}"
    if status is not None:
        assert got.status.value == status, f"{rule_id} #{nth}: status {got.status.value}, expected {status}"
    return got


def assert_no(c: CaseBuilder, rule_id: str, **kw: object) -> None:
    got = [x for x in deadlines(c, **kw) if x.rule_id == rule_id]  # type: ignore[arg-type]
    assert not got, f"{rule_id} should not apply; got {[(x.due, x.status) for x in got]}"
