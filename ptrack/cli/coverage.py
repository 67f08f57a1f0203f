"""`ptrack coverage`: per active rule, the event kinds it needs as evidence, which sources have supplied them
and when last, and the verdict (tracked or untracked)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ptrack.cli import output
from ptrack.cli.state import state
from ptrack.tracker import services
from ptrack.tracker.coverage import RuleCoverage, Supply


class CoverageFormat(StrEnum):
    table = "table"
    json = "json"


def coverage(
    ctx: typer.Context,
    fmt: Annotated[CoverageFormat, typer.Option("--format", help="Output format.")] = CoverageFormat.table,
) -> None:
    """What ptrack can see: per rule, the evidence it needs, who supplies it, and tracked or untracked."""
    s = state(ctx)
    rows = services.coverage(s.store, s.ruleset, s.config.import_settings.complete_sources)
    if fmt is CoverageFormat.json:
        output.write_json([as_json(r) for r in rows])
        return
    output.table(
        f"Coverage of the active rules ({sum(not r.tracked for r in rows)} untracked)",
        ("rule", "needs", "supplied by", "verdict", "why"),
        ((r.rule_id, ", ".join(r.needs), "; ".join(_supply(x) for x in r.supplied) or "nothing", r.verdict,
          r.why) for r in rows),
    )


def _supply(s: Supply) -> str:
    when = f", last imported {s.last_imported_at:%Y-%m-%d}" if s.last_imported_at else ""
    latest = f", latest dated {s.last_date.isoformat()}" if s.last_date else ""
    return f"{s.kind} from {s.source} ({s.events} events{latest}{when})"


def as_json(r: RuleCoverage) -> dict[str, object]:
    return {
        "rule_id": r.rule_id, "needs": list(r.needs), "verdict": r.verdict, "why": r.why,
        "supplied": [
            {"kind": s.kind, "source": s.source, "events": s.events,
             "last_date": s.last_date.isoformat() if s.last_date else None,
             "last_imported_at": s.last_imported_at.isoformat() if s.last_imported_at else None}
            for s in r.supplied
        ],
    }
