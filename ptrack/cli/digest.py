"""`ptrack digest`: the weekly overdue digest by team and worker; `--send` queues each manager's digest through
the outbox and delivers it through their channel. Thin over `ptrack.tracker.digest.service`."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from ptrack.cli import output
from ptrack.cli.deadlines import untracked_rules
from ptrack.cli.freshness import refreshed
from ptrack.cli.state import AppState, UsageError, state
from ptrack.tracker.filters import match_team

if TYPE_CHECKING:  # the digest's modules are imported when a digest is made (other commands start without them)
    from ptrack.notifiers.base import Notifier
    from ptrack.tracker.digest.build import Digest
    from ptrack.tracker.digest.service import DigestSendReport


class DigestFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"


def digest(
    ctx: typer.Context,
    team: Annotated[str | None, typer.Option("--team", metavar="T", help="Only this team.")] = None,
    fmt: Annotated[DigestFormat, typer.Option("--format", help="Output format (html: the email body).")] = (
        DigestFormat.table),
    send: Annotated[bool, typer.Option(
        "--send", help="Queue each manager's digest (once per manager per week) and deliver it, now.",
    )] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="With --send: show what would be queued, queue and send nothing (--as-of: simulate "
        "that day).",
    )] = False,
) -> None:
    """The weekly digest on --as-of: per team and worker, overdue items (oldest first) and those due in the
    next 14 days, with counts by rule. --send delivers it in real time (--as-of other than today needs
    --dry-run)."""
    from ptrack.tracker.digest import render
    from ptrack.tracker.digest.service import load_digest, rule_titles, send_digests

    s = state(ctx)
    if dry_run and not send:
        raise UsageError("digest --dry-run goes with --send; without --send the digest is only printed")
    if team is not None:
        team = output.note(match_team(s.store, s.config, team))
    refreshed(s, "digest")
    if send:
        s.require_real_time("digest --send", dry_run)
        notifiers = {} if dry_run else _notifiers(s)
        report = send_digests(s.store, s.config, s.ruleset, s.calendar, _now(s), notifiers, team=team,
                              dry_run=dry_run)
        with output.prefixed(s.simulation_prefix(dry_run)):
            print_send(report, dry_run)
        return
    d = load_digest(s.store, s.config, s.as_of, team, untracked=untracked_rules(s))
    titles = rule_titles(s.ruleset)
    if fmt is DigestFormat.csv:
        output.write_csv(render.CSV_COLUMNS, render.csv_rows(d))
    elif fmt is DigestFormat.json:
        output.write_json(render.as_json(d))
    elif fmt is DigestFormat.html:
        sys.stdout.write(render.as_html(d, titles, s.config.local_authority, link=s.config.link_for))
    else:
        print_digest(d, titles)


def _now(s: AppState) -> datetime:
    from ptrack.tracker.policy import LONDON, Window

    if not s.as_of_is_today:  # only a dry run gets here with another day: simulate its window's opening
        return datetime.combine(s.as_of, Window.parse(s.config.notify.window).opens, tzinfo=LONDON)
    return datetime.now(UTC)


def _notifiers(s: AppState) -> dict[str, Notifier]:
    from ptrack.notifiers.registry import build_notifiers

    return dict(build_notifiers(s.config, os.environ))


def print_digest(d: Digest, titles: dict[str, str], items: int | None = None) -> None:
    from ptrack.tracker.digest import render

    output.line(render.title(d))
    if not d.teams:
        output.line("Nothing overdue and nothing due in the next 14 days.")
        return
    output.table("By team", ("team", "managers", "overdue", "missed this week", "due in 14 days"),
                 [(t.team, ", ".join(t.managers), t.overdue, t.missed, t.due_soon) for t in d.teams])
    output.table("By rule", ("rule", "title", "overdue", "due in 14 days"),
                 [(r, titles.get(r, r), n.overdue, n.due_soon) for r, n in d.counts_by_rule.items()])
    for t in d.teams:
        output.table(f"{t.team}: by worker", ("worker", "overdue", "due in 14 days", "oldest overdue"),
                     [(w.worker, len(w.overdue), len(w.due_soon),
                       f"{w.overdue[0].case_id} {w.overdue[0].rule_id} {w.overdue[0].days} days" if w.overdue
                       else "") for w in t.workers])
        oldest = sorted(((w.worker, i) for w in t.workers for i in w.overdue),
                        key=lambda wi: (wi[1].due, wi[0], wi[1].case_id))
        rows = [(w, i.case_id, i.initials, i.rule_id, output.d(i.due), render.days_text(i, True)) for w, i in oldest]
        shown = rows if items is None else rows[:items]
        output.table(f"{t.team}: overdue, oldest first", ("worker", "case", "initials", "rule", "due", "days"),
                     shown)
        if len(shown) < len(rows):
            output.line(f"... and {len(rows) - len(shown)} more overdue in {t.team}")


def print_send(report: DigestSendReport, dry_run: bool = False) -> None:
    queued = "would queue" if dry_run else "queued"
    output.line(f"weekly digest for {report.week} (as of {report.as_of.isoformat()}): {queued} "
                f"{len(report.queued)}, already queued this week {len(report.already_queued)}")
    for manager in report.queued:
        output.line(f"  {queued} for {manager}")
    for team in report.teams_without_manager:
        output.line(f"  team {team} has no manager recorded ([teams.\"{team}\"] manager_email, people.csv role "
                    f"manager, or cases.csv manager_email): nobody gets its digest")
    d = report.dispatched
    if d is not None:
        output.line(f"sent {d.sent}, retrying {d.retrying}, failed {d.failed}, dead {d.dead}")
