"""Before a command reads deadlines: recompute what an interrupted import or a config change left stale, or say
clearly (on stderr, so CSV and JSON output stay clean) that it could not and what is stale."""

from __future__ import annotations

from datetime import UTC, datetime

from ptrack.cli import output
from ptrack.cli.state import AppState, today_in_london
from ptrack.tracker import freshness


def refreshed(s: AppState, command: str) -> freshness.Refresh:
    """Recompute what is stale as of today, whatever --as-of says: a command reading the past must not store
    deadlines that ignore the events since (deadlines keep dates, so any --as-of reads them as they are)."""
    r = freshness.refresh(s.store, s.ruleset, s.calendar, today_in_london(), datetime.now(UTC))
    if r.error:
        output.err.print(f"warning: {command}: could not refresh stale deadlines ({r.before.describe()}): "
                         f"{r.error}; the deadlines shown may be out of date: run `ptrack recompute` where the "
                         f"database can be written", markup=False)
        return r
    if r.recomputed:
        output.err.print(f"note: {command}: recomputed {r.recomputed} stale cases first "
                         f"({r.before.describe()})", markup=False)
    if r.after.stale:
        failed = r.report.failed if r.report is not None else []
        cause = "; ".join(f"{case}: {why}" for case, why in failed[:3])
        output.err.print(f"warning: {command}: still stale after recomputing: {r.after.describe()}"
                         + (f"; could not compute {cause}" if cause else ""), markup=False)
    return r
