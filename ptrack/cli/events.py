"""`ptrack events void EVENT_ID --reason TEXT`: void an event the case system deleted (kept in history, with
an audit line naming who and why), and recompute its case."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Annotated

import typer

from ptrack.cli import output
from ptrack.cli.state import state
from ptrack.tracker import services

app = typer.Typer(help="Events: void one the case system deleted.", no_args_is_help=True)


@app.command("void")
def void(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(metavar="EVENT_ID", help="The event's id (as imported).")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it is void (kept in the audit).")],
    source: Annotated[str | None, typer.Option(
        "--source", metavar="SOURCE", help="csv, ssda903 or ssd, when the id exists in several sources.",
    )] = None,
) -> None:
    """Void an event by hand: timelines stop reading it, its case is recomputed, and the audit keeps who and why."""
    s = state(ctx)
    actor = getpass.getuser()
    result = services.void_event(s.store, event_id, source=source, reason=reason, actor=actor,
                                 now=datetime.now(UTC), today=s.as_of, ruleset=s.ruleset, calendar=s.calendar)
    e = result.event
    if result.already_voided:
        output.line(f"event {e.event_id} ({e.source}, case {e.case_id}, {e.kind} {e.date.isoformat()}) was already "
                    f"voided on {e.voided_at:%Y-%m-%d %H:%M}Z; nothing changed")
        return
    output.line(f"voided event {e.event_id} ({e.source}, case {e.case_id}, {e.kind} {e.date.isoformat()}) by "
                f"{actor}: {reason.strip()}; recomputed case {e.case_id}")
