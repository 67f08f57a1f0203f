"""A case's timeline cut into the scopes rules live in: periods of care, placements, proceedings, private
fostering arrangements, placements for adoption, disputes, and the case as a whole.

Events are ordered by date; on the same date, opening events come first and closing events last, so a review
on the day a child becomes looked after belongs to that period and a visit on the day a placement ends still
counts for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from ptrack.tracker.model import Event, Timeline

OPENERS = {
    "looked_after_start": 0, "placement_start": 1, "proceedings_issued": 1, "pf_notified": 1,
    "placed_for_adoption": 2, "dispute_raised": 1, "temporary_approval": 2,
}
CLOSERS = {
    "placement_end": 8, "proceedings_concluded": 8, "pf_end": 8, "dispute_resolved": 8, "looked_after_end": 9,
}
# Planned dates: known before they happen, so they are kept even when dated after the as-of date.
SCHEDULED_KINDS = frozenset({"final_care_plan_due", "panel_date"})


def event_order(event: Event) -> int:
    return OPENERS.get(event.kind, CLOSERS.get(event.kind, 5))


@dataclass
class Scope:
    """One instance of a scope: [start, end] inclusive, with the events inside it in order."""

    within: str
    key: str  # stable identity: the event_id of the opening event ("case" for the whole case)
    start_event: Event | None
    end: date | None = None
    end_reason: str = ""
    events: list[Event] = field(default_factory=list)
    placement_kind: str = ""
    intended_until_18: bool | None = None
    short_break: bool = False

    @property
    def start(self) -> date | None:
        return self.start_event.date if self.start_event else None

    def contains(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def of_kind(self, kinds: Iterable[str]) -> list[Event]:
        wanted = set(kinds)
        return [e for e in self.events if e.kind in wanted]


@dataclass
class CaseScopes:
    timeline: Timeline
    events: list[Event]
    by_within: dict[str, list[Scope]]

    @property
    def dob(self) -> date | None:
        return self.timeline.case.dob

    def scope_at(self, within: str, day: date) -> Scope | None:
        for scope in self.by_within.get(within, []):
            if scope.contains(day):
                return scope
        return None

    def in_proceedings(self, day: date) -> bool:
        return any(
            s.start is not None and s.start <= day and (s.end is None or day < s.end)
            for s in self.by_within.get("proceedings", [])
        )

    def proceedings_concluded(self, day: date) -> bool:
        return any(s.end is not None and s.end <= day for s in self.by_within.get("proceedings", []))

    def first_after(self, kinds: Iterable[str], day: date) -> Event | None:
        wanted = set(kinds)
        for event in self.events:
            if event.kind in wanted and event.date >= day:
                return event
        return None


def build_scopes(timeline: Timeline, as_of: date, count_additional_reviews: bool = True) -> CaseScopes:
    """Cut the timeline into scopes, ignoring events after `as_of` (except planned ones)."""
    events = [
        e for e in timeline.events
        if (e.date <= as_of or e.kind in SCHEDULED_KINDS)
        and (count_additional_reviews or not (e.kind == "review_held" and e.subkind == "additional"))
    ]
    events.sort(key=lambda e: (e.date, event_order(e)))
    by_within: dict[str, list[Scope]] = {
        "period": _spans(events, "period", {"looked_after_start"}, {"looked_after_end": "left care"}),
        "proceedings": _spans(events, "proceedings", {"proceedings_issued"},
                              {"proceedings_concluded": "proceedings concluded"}),
        "private_fostering": _spans(events, "private_fostering", {"pf_notified"},
                                    {"pf_end": "private fostering ended"}),
        "dispute": _spans(events, "dispute", {"dispute_raised"}, {"dispute_resolved": "dispute resolved"}),
        "placement": _spans(events, "placement", {"placement_start"},
                            {"placement_end": "placement ended", "looked_after_end": "left care"},
                            restart_closes=True),
        "adoption": _spans(events, "adoption", {"placed_for_adoption"},
                           {"placement_end": "placement ended", "looked_after_end": "left care"}),
        "case": [Scope("case", "case", None, events=list(events))],
    }
    for period in by_within["period"]:
        period.short_break = bool(period.start_event and period.start_event.short_break)
    for placement in by_within["placement"]:
        assert placement.start_event is not None
        placement.placement_kind = placement.start_event.placement_kind
        placement.intended_until_18 = placement.start_event.intended_until_18
        home = next((p for p in by_within["period"] if p.contains(placement.start_event.date)), None)
        placement.short_break = bool(home and home.short_break)
    return CaseScopes(timeline, events, by_within)


def _spans(
    events: list[Event], within: str, openers: set[str], closers: dict[str, str], restart_closes: bool = False
) -> list[Scope]:
    """Scopes opened by an opener event and closed by a closer; an opener while open either continues the open
    scope (a duplicate start) or, with `restart_closes`, closes it and opens a new one (a placement move)."""
    scopes: list[Scope] = []
    current: Scope | None = None
    for event in events:
        if event.kind in openers:
            if current is not None and not restart_closes:
                current.events.append(event)
                continue
            if current is not None:
                current.end = event.date
                current.end_reason = "next placement started"
            current = Scope(within, event.event_id, event)
            scopes.append(current)
        if current is None:
            continue
        if event is not current.start_event:
            current.events.append(event)
        if event.kind in closers:
            current.end = event.date
            current.end_reason = f"{closers[event.kind]} ({event.kind} {event.date.isoformat()})"
            current = None
    return scopes
