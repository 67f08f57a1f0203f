"""Every event accounted for (docs/rules.md): after the engine has run, an event that anchored, met, extended or
stopped no deadline and opened or closed no scope is listed with the reason, for the import report and
`ptrack explain`. The reasons the engine knows as it goes (a second `dispute_raised` while one is open, an
extension after the approval expired) are kept; the rest are worked out here from the rule set and scopes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ptrack.tracker.model import Deadline, Event, IgnoredEvent
from ptrack.tracker.rules.conditions import Context
from ptrack.tracker.rules.packs import Rule, RuleSet
from ptrack.tracker.rules.scopes import CaseScopes

SCOPE_NAMES = {
    "period": "period of care", "placement": "placement", "proceedings": "care proceedings",
    "private_fostering": "private fostering arrangement", "adoption": "placement for adoption",
    "dispute": "open dispute", "short_break_series": "series of short breaks", "case": "case",
}
# Events that open or close scopes: used when they do, and only then.
STRUCTURAL = {
    "looked_after_start": "period", "looked_after_end": "period", "placement_start": "placement",
    "placement_end": "placement", "proceedings_issued": "proceedings", "proceedings_concluded": "proceedings",
    "pf_notified": "private_fostering", "pf_end": "private_fostering", "dispute_raised": "dispute",
    "dispute_resolved": "dispute", "placed_for_adoption": "adoption",
}


@dataclass(frozen=True)
class CaseResult:
    deadlines: list[Deadline]
    ignored: list[IgnoredEvent]


def unused_events(ctx: Context, deadlines: Iterable[Deadline], ruleset: RuleSet) -> list[IgnoredEvent]:
    scopes = ctx.scopes
    used = set(ctx.used) | _structural_ids(scopes)
    for d in deadlines:
        used.add(d.anchor_event_id)
        used.add(d.met_event_id)
    users = _rules_by_kind(ruleset)
    out: list[IgnoredEvent] = []
    returned = _returned(scopes) if "return_home_interview" in {r.obligation for r in users.get("missing_end", [])} \
        else {}
    for event in scopes.events:
        if event.event_id in used:
            continue
        if event.kind == "missing_start" and returned.get(event.event_id):
            continue  # it opened an episode that ended: the return home interview counts from the return
        reason = scopes.ignored.get(event.event_id) or ctx.ignored.get(event.event_id) \
            or (returned.get(event.event_id) is False and "a missing episode with no return yet: the return home "
                "interview is counted from the child's return (missing_end)") \
            or _why(event, scopes, users.get(event.kind, []))
        out.append(IgnoredEvent(event.event_id, event.case_id, event.kind, event.date, reason))
    return out


def _returned(scopes: CaseScopes) -> dict[str, bool]:
    """Each `missing_start`: whether a `missing_end` on or after it closes its episode."""
    out: dict[str, bool] = {}
    open_ids: list[str] = []
    for event in scopes.events:
        if event.kind == "missing_start":
            open_ids.append(event.event_id)
            out[event.event_id] = False
        elif event.kind == "missing_end":
            for event_id in open_ids:
                out[event_id] = True
            open_ids = []
    return out


def _structural_ids(scopes: CaseScopes) -> set[str]:
    ids: set[str] = set()
    for within, found in scopes.by_within.items():
        if within == "case":
            continue
        for scope in found:
            if scope.start_event is not None:
                ids.add(scope.start_event.event_id)
            if scope.end_event is not None:
                ids.add(scope.end_event.event_id)
    return ids


def _rules_by_kind(ruleset: RuleSet) -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    for rule in ruleset.rules.values():
        kinds = set(rule.met_by) | {e.event for e in rule.ends_when}
        if rule.anchor_kind == "first":
            kinds.add(rule.anchor_arg)
        if rule.anchor_kind in ("each", "start_then_each", "first_then_each"):
            kinds |= rule.anchor_each
        if rule.anchor_first:
            kinds.add(rule.anchor_first)
        if rule.extended_by is not None:
            kinds.add(rule.extended_by.event)
        for kind in kinds:
            out.setdefault(kind, []).append(rule)
    return out


def _why(event: Event, scopes: CaseScopes, rules: list[Rule]) -> str:
    structural = STRUCTURAL.get(event.kind)
    if structural is not None and not rules:
        return f"no {SCOPE_NAMES[structural]} was open for it to {_verb(event.kind)}"
    if not rules:
        return f"no active rule uses {event.kind} events"
    withins = sorted({r.within for r in rules})
    if not any(s.contains(event.date) for w in withins for s in scopes.by_within.get(w, [])):
        return "outside any " + " or ".join(SCOPE_NAMES[w] for w in withins)
    if any(event.kind in r.met_by for r in rules):
        return ("no deadline was waiting for it: what it could meet was already met by an earlier event, or had "
                "not started")
    return f"no rule it serves ({', '.join(sorted(r.rule_id for r in rules))}) applied on {event.date.isoformat()}"


def _verb(kind: str) -> str:
    return "end" if kind.endswith(("_end", "_concluded", "_resolved")) else "start"
