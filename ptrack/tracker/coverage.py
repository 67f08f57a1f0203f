"""Source-aware deadlines (docs/rules.md, `ptrack coverage`): which event kinds this deployment's sources have
supplied, and so which rules can be judged.

A rule is judged on its meeting evidence, its `met_by` event kinds. When no source has ever supplied any of
them (a deployment fed by SSDA903 alone never sees a `placement_plan_agreed`), the rule is `untracked`: its
deadlines are shown as such and never nagged, escalated or counted as overdue, because "no evidence" would
otherwise read as "not done". It becomes tracked when the evidence starts arriving, or at once when the admin
declares a source that can carry it complete (`[import] complete_sources`): then no event means it did not
happen. ptrack's own dispute commands are a complete source of dispute events. Pure: the store supplies
the figures."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from ptrack.tracker.model import EVENT_KINDS
from ptrack.tracker.rules import RuleSet

DISPUTE_SOURCE = "ptrack-disputes"  # `ptrack dispute` records its own events
_CASE_SYSTEM_KINDS = frozenset({
    "looked_after_start", "looked_after_end", "placement_start", "placement_end", "review_held",
})
# The event kinds each source can carry. A reader that learns a new kind adds it here.
SOURCE_KINDS: dict[str, frozenset[str]] = {
    "csv": EVENT_KINDS,
    "ssda903": _CASE_SYSTEM_KINDS | {"missing_start", "missing_end", "authority_to_place", "placed_for_adoption"},
    "ssd": _CASE_SYSTEM_KINDS | {"visit", "placed_for_adoption", "permanence_achieved", "missing_start",
                                 "missing_end", "health_assessment", "pa_visit", "pathway_plan_reviewed",
                                 "authority_to_place"},
    DISPUTE_SOURCE: frozenset({"dispute_raised", "dispute_stage_started", "dispute_resolved"}),
}


# What a source cannot say about a kind it seems to cover, added to an untracked rule's explanation.
SOURCE_LIMITS: dict[str, str] = {
    "return_home_interview": "the SSD (ssd_missing) records whether a return home interview was offered or "
                             "accepted, not its date: whether it was held within 72 hours cannot be judged from it",
}


@dataclass(frozen=True)
class Supply:
    """What one source has supplied of one event kind."""

    kind: str
    source: str
    events: int
    last_date: date | None
    last_imported_at: datetime | None


@dataclass(frozen=True)
class RuleCoverage:
    rule_id: str
    needs: tuple[str, ...]  # the rule's meeting evidence
    supplied: tuple[Supply, ...]  # what has arrived of it, by source
    tracked: bool
    why: str

    @property
    def verdict(self) -> str:
        return "tracked" if self.tracked else "untracked"


def judge(ruleset: RuleSet, supply: Iterable[Supply], complete_sources: Collection[str] = ()) -> list[RuleCoverage]:
    """Every active rule's verdict, in rule order."""
    by_kind: dict[str, list[Supply]] = {}
    for s in supply:
        if s.events > 0:
            by_kind.setdefault(s.kind, []).append(s)
    out: list[RuleCoverage] = []
    for rule in sorted(ruleset.rules.values(), key=lambda r: r.order):
        needs = tuple(sorted(rule.met_by))
        supplied = tuple(s for kind in needs for s in sorted(by_kind.get(kind, []), key=lambda s: s.source))
        complete = sorted(src for src in {*complete_sources, DISPUTE_SOURCE}
                          if set(needs) & SOURCE_KINDS.get(src, frozenset()))
        if supplied:
            why = "evidence arriving from " + ", ".join(sorted({s.source for s in supplied}))
        elif complete:
            why = f"no evidence yet, but source {', '.join(complete)} is declared complete (import.complete_sources)"
        else:
            why = (f"no {' or '.join(needs)} events ever imported from any source: its deadlines cannot be "
                   f"judged; add them to events.csv, or declare the source complete")
            limits = [SOURCE_LIMITS[k] for k in needs if k in SOURCE_LIMITS]
            if limits:
                why += "; " + "; ".join(limits)
        out.append(RuleCoverage(rule.rule_id, needs, supplied, bool(supplied or complete), why))
    return out


def untracked_rules(coverage: Iterable[RuleCoverage]) -> frozenset[str]:
    return frozenset(c.rule_id for c in coverage if not c.tracked)
