"""`ptrack dispute open|advance|resolve|cafcass|list|show|report|prompt`: the IRO dispute ladder
(docs/digest-and-disputes.md).
Steps are dated --as-of (default today in London). Thin over `ptrack.tracker.disputes.service`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from ptrack.cli import output
from ptrack.cli.state import AppState, state
from ptrack.tracker.disputes.ladder import AnnualReport, Ladder, Standing

if TYPE_CHECKING:  # the dispute service is imported by the commands that use it (others start without it)
    from ptrack.notifiers.base import Notifier
    from ptrack.tracker.disputes import service as svc

MAX_ID = 2**63 - 1  # the largest id a database stores: a bigger number is a usage error, not an overflow
DisputeId = Annotated[int, typer.Argument(metavar="DISPUTE_ID", min=1, max=MAX_ID, help="The dispute's number.")]

app = typer.Typer(help="The IRO dispute ladder: open, advance, resolve, flag Cafcass, list, report.",
                  no_args_is_help=True)
CSV_COLUMNS = ("id", "case_id", "status", "stage", "stage_name", "stage_started_on", "stage_due",
               "stage_working_days_left", "raised_on", "total_due", "working_days_used", "total_working_days",
               "rag", "rag_reason", "bypassed", "cafcass_referred_on", "resolved_on")


class Status(StrEnum):
    open = "open"
    resolved = "resolved"
    all = "all"


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _ctx(s: AppState) -> svc.Ctx:
    from ptrack.tracker.disputes import service as svc

    return svc.Ctx(s.store, s.config, s.ruleset, s.calendar, s.as_of, datetime.now(UTC))


def _ladder(s: AppState) -> Ladder:
    return Ladder(s.config.disputes, s.calendar)


@app.command("open")
def open_command(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="CASE", help="The case reference.")],
    issue: Annotated[str, typer.Option("--issue", metavar="TEXT", help="What the dispute is about (kept in the "
                                       "database; never sent in a message).")],
    stage: Annotated[int, typer.Option("--stage", metavar="N", min=1,
                                       help="Start at this stage (later than 1: the earlier ones are bypassed).")] = 1,
) -> None:
    """Raise an IRO dispute on a case, dated --as-of."""
    from ptrack.tracker.disputes import service as svc

    print_standing("opened", svc.open_dispute(_ctx(state(ctx)), case, issue, stage), state(ctx))


@app.command("advance")
def advance_command(
    ctx: typer.Context,
    dispute_id: DisputeId,
    to_stage: Annotated[int | None, typer.Option(
        "--to-stage", metavar="N", min=1, max=99, help="Go to this stage (skipping stages is a recorded bypass).",
    )] = None,
    note: Annotated[str, typer.Option("--note", help="A note for the record (never sent in a message).")] = "",
) -> None:
    """Move a dispute to the next stage (or --to-stage N), dated --as-of. The IRO decides; ptrack never does."""
    from ptrack.tracker.disputes import service as svc

    print_standing("advanced", svc.advance(_ctx(state(ctx)), dispute_id, to_stage, note), state(ctx))


@app.command("resolve")
def resolve_command(
    ctx: typer.Context,
    dispute_id: DisputeId,
    outcome: Annotated[str, typer.Option("--outcome", help="How it was resolved (for the record).")] = "",
) -> None:
    """Record a dispute resolved, dated --as-of."""
    from ptrack.tracker.disputes import service as svc

    print_standing("resolved", svc.resolve(_ctx(state(ctx)), dispute_id, outcome), state(ctx))


@app.command("cafcass")
def cafcass_command(
    ctx: typer.Context,
    dispute_id: DisputeId,
    note: Annotated[str, typer.Option("--note", help="A note for the record.")] = "",
) -> None:
    """Flag a referral to Cafcass on a dispute (at any point), dated --as-of."""
    from ptrack.tracker.disputes import service as svc

    print_standing("flagged for Cafcass", svc.cafcass(_ctx(state(ctx)), dispute_id, note), state(ctx))


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[Status, typer.Option("--status", help="open, resolved or all.")] = Status.open,
    fmt: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
) -> None:
    """Disputes with their RAG status on --as-of: green within the stage SLA, amber on its last day, red past
    the SLA or past the working-day total."""
    from ptrack.tracker.disputes import service as svc

    s = state(ctx)
    rows = svc.list_disputes(s.store, _ladder(s), s.as_of, None if status is Status.all else status.value)
    if fmt is ListFormat.csv:
        output.write_csv(CSV_COLUMNS, (tuple(standing_row(r, s).values()) for r in rows))
    elif fmt is ListFormat.json:
        output.write_json([standing_row(r, s) for r in rows])
    else:
        print_list(rows, f"Disputes on {s.as_of.isoformat()} ({status.value})", _ladder(s).total)


@app.command("show")
def show_command(
    ctx: typer.Context,
    dispute_id: DisputeId,
) -> None:
    """One dispute: where it stands, its issue text and every step."""
    from ptrack.tracker.disputes import service as svc

    s = state(ctx)
    detail = svc.show(s.store, _ladder(s), dispute_id, s.as_of)
    print_standing("", detail.standing, s)
    output.line(f"issue: {detail.issue}")
    output.table("Steps", ("date", "action", "from", "to", "bypassed", "note"),
                 [(st["on_date"], st["action"], st["from_stage"], st["to_stage"], st["bypassed"], st["note"])
                  for st in detail.steps])


@app.command("report")
def report_command(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", metavar="YYYY", min=1, max=9999, help="The year reported on.")],
    financial: Annotated[bool, typer.Option("--financial", help="April YYYY to March YYYY+1 instead of the "
                                            "calendar year.")] = False,
) -> None:
    """Yearly dispute figures for the IRO annual report."""
    from ptrack.tracker.disputes import service as svc

    s = state(ctx)
    print_report(svc.yearly_report(s.store, _ladder(s), year, financial), _ladder(s).total)


@app.command("prompt")
def prompt_command(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be prompted, queue and send nothing (--as-of: simulate that day).",
    )] = False,
) -> None:
    """Prompt the IRO of every open dispute whose stage is past its SLA, now (once per stage; the daemon does this
    each morning). Nothing is advanced. Sending is real-time: --as-of other than today needs --dry-run."""
    from ptrack.tracker.disputes import service as svc
    from ptrack.tracker.policy import LONDON, Window

    s = state(ctx)
    s.require_real_time("dispute prompt", dry_run)
    now = (datetime.combine(s.as_of, Window.parse(s.config.notify.window).opens, tzinfo=LONDON)
           if not s.as_of_is_today else datetime.now(UTC))
    notifiers = {} if dry_run else _notifiers(s)
    report = svc.prompt_overdue_disputes(s.store, s.config, s.calendar, now, notifiers, dry_run=dry_run)
    with output.prefixed(s.simulation_prefix(dry_run)):
        output.line(f"dispute prompts {report.today.isoformat()}: {'would queue' if dry_run else 'queued'} "
                    f"{report.queued}" + "".join(f", {why} {n}" for why, n in sorted(report.skipped.items())))
        if report.dispatched is not None:
            output.line(f"sent {report.dispatched.sent}, retrying {report.dispatched.retrying}")


def _notifiers(s: AppState) -> dict[str, Notifier]:
    from ptrack.notifiers.registry import build_notifiers

    return dict(build_notifiers(s.config, os.environ))


# -- printing ---------------------------------------------------------------------------------------------------


def standing_row(st: Standing, s: AppState) -> dict[str, object]:
    d = st.dispute
    return {
        "id": d.id, "case_id": d.case_id, "status": d.status, "stage": d.stage, "stage_name": st.stage_name,
        "stage_started_on": d.stage_started_on.isoformat(), "stage_due": st.stage_due.isoformat(),
        "stage_working_days_left": st.stage_working_days_left if d.is_open else "",
        "raised_on": d.raised_on.isoformat(), "total_due": st.total_due.isoformat(),
        "working_days_used": st.working_days_elapsed, "total_working_days": s.config.disputes.total_working_days,
        "rag": st.rag.value, "rag_reason": st.reason, "bypassed": ",".join(map(str, d.bypassed)),
        "cafcass_referred_on": d.cafcass_referred_on.isoformat() if d.cafcass_referred_on else "",
        "resolved_on": d.resolved_on.isoformat() if d.resolved_on else "",
    }


def print_standing(done: str, st: Standing, s: AppState) -> None:
    d = st.dispute
    head = f"dispute {d.id} {done}: " if done else f"dispute {d.id}: "
    output.line(f"{head}case {d.case_id}, stage {d.stage} ({st.stage_name}) since {d.stage_started_on}, "
                f"stage due {st.stage_due} ({st.stage_sla} WD); raised {d.raised_on}, total due {st.total_due} "
                f"({st.working_days_elapsed} of {s.config.disputes.total_working_days} WD used); RAG {st.rag.value}: "
                f"{st.reason}")
    if d.bypassed:
        output.line(f"  bypassed stage(s): {', '.join(map(str, d.bypassed))}")
    if d.cafcass_referred_on:
        output.line(f"  Cafcass referral flagged {d.cafcass_referred_on}")


def print_list(rows: list[Standing], title: str, total: int) -> None:
    output.table(title, ("id", "case", "stage", "stage due", "WD left", "raised", "total due", "WD used", "RAG",
                         "bypassed", "Cafcass"),
                 [(r.dispute.id, r.dispute.case_id, f"{r.dispute.stage} {r.stage_name}", output.d(r.stage_due),
                   r.stage_working_days_left if r.dispute.is_open else "", r.dispute.raised_on.isoformat(),
                   output.d(r.total_due), f"{r.working_days_elapsed}/{total}", r.rag.value,
                   ",".join(map(str, r.dispute.bypassed)),
                   r.dispute.cafcass_referred_on.isoformat() if r.dispute.cafcass_referred_on else "")
                  for r in rows])
    if not rows:
        output.line("no disputes match")


def print_report(r: AnnualReport, total: int) -> None:
    median = "" if r.median_working_days_to_resolve is None else f"{r.median_working_days_to_resolve:g}"
    output.table(f"IRO disputes {r.start.isoformat()} to {r.end.isoformat()}", ("measure", "count"), [
        ("raised", r.raised), ("resolved", r.resolved), (f"resolved within {total} working days",
                                                          r.resolved_within_total),
        ("open at the end", r.open_at_end), (f"open at the end and past {total} working days",
                                             r.open_past_total_at_end),
        ("raised with a stage bypassed", r.bypassed), ("Cafcass referrals flagged", r.cafcass_referrals),
        ("median working days to resolve", median),
        *((f"raised, reached stage: {name}", n) for name, n in r.by_stage_reached.items()),
    ])
