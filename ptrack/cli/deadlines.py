"""`ptrack deadlines` and `ptrack explain`: the stored deadlines as seen on `--as-of`, and their derivations."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

import typer

from ptrack.cli import output
from ptrack.cli.freshness import refreshed
from ptrack.cli.state import AppState, UsageError, state
from ptrack.tracker import filters, services
from ptrack.tracker.errors import NotFoundError
from ptrack.tracker.model import Status
from ptrack.tracker.rules import explain as explain_deadline
from ptrack.tracker.rules import explain_ignored
from ptrack.tracker.store import DeadlineRow

CSV_COLUMNS = ("case_id", "rule_id", "due", "last_working_day", "status", "met_on", "anchor_event",
               "anchor_date", "source")
OPEN = (Status.UPCOMING, Status.DUE_SOON, Status.OVERDUE)


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def parse_statuses(text: str) -> list[Status] | None:
    """`--status`: comma-separated states; `open` = upcoming, due_soon, overdue; `all` = None (no filter)."""
    wanted: list[Status] = []
    for word in (w.strip().lower() for w in text.split(",") if w.strip()):
        if word == "all":
            return None
        if word == "open":
            wanted.extend(OPEN)
            continue
        try:
            wanted.append(Status(word))
        except ValueError:
            names = ", ".join([s.value for s in Status] + ["open", "all"])
            raise UsageError(f"--status {word!r} is not a status; use one of {names}") from None
    return list(dict.fromkeys(wanted)) or list(OPEN)


def list_deadlines(
    ctx: typer.Context,
    case: Annotated[str | None, typer.Option("--case", metavar="ID", help="Only this case.")] = None,
    team: Annotated[str | None, typer.Option("--team", metavar="T", help="Only this team's cases.")] = None,
    worker: Annotated[str | None, typer.Option(
        "--worker", metavar="EMAIL", help="Only cases allocated to this worker.",
    )] = None,
    status: Annotated[str, typer.Option(
        "--status", metavar="S",
        help="upcoming, due_soon, overdue, met, met_late, missed, cancelled, untracked (comma-separated), "
             "open (the first three) or all.",
    )] = "open",
    fmt: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
) -> None:
    """List deadlines with their status on --as-of, soonest first. A --case, --team or --worker that names
    nothing known is an error listing the closest known values."""
    s = state(ctx)
    statuses = parse_statuses(status)
    refreshed(s, "deadlines")
    if case is not None:
        case = filters.match_case(s.store, case).value
    if team is not None:
        team = output.note(filters.match_team(s.store, s.config, team))
    if worker is not None:
        worker = filters.match_person(s.store, worker, "--worker").value
    rows = services.query_deadlines(s.store, s.as_of, case_id=case, team=team, worker=worker, statuses=statuses,
                                    untracked=untracked_rules(s))
    if fmt is ListFormat.csv:
        output.write_csv(CSV_COLUMNS, (csv_row(r) for r in rows))
    elif fmt is ListFormat.json:
        output.write_json([json_row(r) for r in rows])
    else:
        print_table(rows, f"Deadlines on {s.as_of.isoformat()} ({status})")


def untracked_rules(s: AppState) -> frozenset[str]:
    return services.untracked_rules(s.store, s.ruleset, s.config.import_settings.complete_sources)


def csv_row(row: DeadlineRow) -> tuple[object, ...]:
    d = row.deadline
    return (d.case_id, d.rule_id, d.due.isoformat(), d.last_working_day.isoformat(), d.status.value,
            d.met_on.isoformat() if d.met_on else "", d.anchor_event, d.anchor_date.isoformat(), d.source)


def json_row(row: DeadlineRow) -> dict[str, object]:
    d = row.deadline
    data = dict(zip(CSV_COLUMNS, csv_row(row), strict=True))
    data.update(
        met_on=d.met_on.isoformat() if d.met_on else None, initials=row.initials, team=row.team,
        worker_email=row.worker_email, obligation=d.obligation, counting=d.counting,
        cancelled_on=d.cancelled_on.isoformat() if d.cancelled_on else None, cancel_reason=d.cancel_reason,
        skipped=[{"date": day.isoformat(), "name": name} for day, name in d.skipped],
        ruleset_version=row.ruleset_version, calendar_version=row.calendar_version,
    )
    return data


def print_table(rows: Sequence[DeadlineRow], title: str, limit: int | None = None) -> None:
    shown = rows if limit is None else rows[:limit]
    output.table(
        title,
        ("case", "initials", "team", "worker", "rule", "due", "last working day", "status", "anchor"),
        ((r.case_id, r.initials, r.team, r.worker_email, r.rule_id, output.d(r.deadline.due),
          output.d(r.deadline.last_working_day), r.status.value,
          f"{r.deadline.anchor_event} {r.deadline.anchor_date.isoformat()}") for r in shown),
    )
    if len(shown) < len(rows):
        output.line(f"... and {len(rows) - len(shown)} more")
    elif not rows:
        output.line("no deadlines match")


def explain(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="The case reference.")],
    rule_id: Annotated[str | None, typer.Argument(metavar="[RULE_ID]", help="Only this rule.")] = None,
) -> None:
    """Explain each deadline of a case in plain English: anchor, counting, skipped days and source."""
    s = state(ctx)
    if rule_id is not None and s.ruleset.get(rule_id) is None:
        raise NotFoundError(f"rule {rule_id!r} is not in the active rule set; see `ptrack rules list`")
    refreshed(s, "explain")
    ignored = services.ignored_events(s.store, s.ruleset, s.calendar, s.as_of, case_id)  # NotFoundError if unknown
    rows = services.query_deadlines(s.store, s.as_of, case_id=case_id, statuses=None, untracked=untracked_rules(s))
    chosen = [r for r in rows if rule_id is None or r.rule_id == rule_id]
    if not chosen:
        what = f"no {rule_id} deadline" if rule_id else "no deadlines"
        output.line(f"case {case_id}: {what} on {s.as_of.isoformat()}")
    for i, row in enumerate(chosen):
        if i:
            output.line()
        output.line(explain_deadline(row.deadline, s.ruleset, s.calendar, s.as_of,
                                     untracked=row.status is Status.UNTRACKED))
    if rule_id is None:
        output.line()
        output.line(explain_ignored(ignored))
