"""`ptrack run` (the daemon) and `ptrack status` (what it has done and will do): thin over `ptrack.tracker.daemon`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from ptrack.cli import output
from ptrack.cli.state import state

if TYPE_CHECKING:  # imported when used: APScheduler need not load for every other command
    from ptrack.tracker.daemon.status import DaemonStatus


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


def run(ctx: typer.Context) -> None:
    """The daemon: nightly import and recompute, morning reminders, outbox dispatch, stale-data alerts, on the
    [daemon.schedule] in Europe/London. With PostgreSQL several may run: one leads, the others stand by."""
    from ptrack.notifiers.registry import build_notifiers
    from ptrack.tracker.daemon.runner import Daemon

    s = state(ctx)
    s.require_real_time("run (the daemon)", doing="imports, reminds and sends")
    config = s.config
    daemon = Daemon(s.store, config, s.ruleset, s.calendar, lambda: build_notifiers(config, os.environ))
    code = daemon.run()
    if code:
        raise typer.Exit(code)


def status(
    ctx: typer.Context,
    fmt: Annotated[StatusFormat, typer.Option("--format", help="table or json.")] = StatusFormat.table,
) -> None:
    """Each daemon job's last and next run, the last import, the outbox backlog and the leader."""
    from ptrack.tracker.daemon.status import daemon_status

    s = state(ctx)
    report = daemon_status(s.store, s.config, datetime.now(UTC))
    if fmt is StatusFormat.json:
        output.write_json(report.as_json())
        return
    print_status(report)


def _t(when: datetime | None) -> str:
    from ptrack.tracker.policy.window import LONDON

    return f"{when.astimezone(LONDON):%Y-%m-%d %H:%M:%S}" if when else "-"


def print_status(r: DaemonStatus) -> None:
    rows = []
    for j in r.jobs:
        last = f"{_t(j.last_started)} ({j.duration_s:.2f} s)" if j.last_started and j.duration_s is not None else "-"
        outcome = f"running since {_t(j.running_since)}" if j.running_since else (j.outcome or "never ran")
        rows.append((j.job, j.schedule, last, outcome, j.detail, _t(j.next_run)))
    output.table("Jobs (times in London)", ("job", "schedule", "last run", "outcome", "summary", "next run"), rows)
    age = f", {(r.now - r.last_import).total_seconds() / 3600:.1f} h ago" if r.last_import else ""
    stale = f" - STALE (over {r.stale_after_hours:g} h)" if r.stale else ""
    output.line(f"last successful import: {_t(r.last_import)}{age}{stale}")
    output.table("Outbox", ("status", "messages"), sorted(r.outbox.items()) or [("(empty)", 0)])
    ld = r.leader
    state_text = "alive" if ld.alive else "none running"
    output.line(f"leader: {ld.instance_id or '-'} on {ld.host or '-'}, pid {ld.pid or '-'}, since {_t(ld.since)}, "
                f"heartbeat {_t(ld.heartbeat)}: {state_text}; {ld.note}")
