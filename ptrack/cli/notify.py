"""`ptrack remind`, `ptrack outbox list|retry`, `ptrack people absent`, `ptrack doctor`: thin over
`ptrack.tracker.outbox`. The clock is read here. Sending is always real-time: `remind` and `doctor --send-test`
run now; a dry run may simulate another instant (`--as-of` at the window's opening, or `--now`), and then says
so on every line it prints."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from ptrack.cli import output
from ptrack.cli.freshness import refreshed
from ptrack.cli.state import AppState, UsageError, parse_date, state, today_in_london
from ptrack.tracker import freshness, services
from ptrack.tracker.errors import PtrackError
from ptrack.tracker.filters import match_person

if TYPE_CHECKING:  # the outbox's modules are imported by the commands that use them (others start without them)
    from ptrack.notifiers.base import Notifier
    from ptrack.tracker.outbox import doctor as checks
    from ptrack.tracker.outbox.service import RemindReport

outbox_app = typer.Typer(help="The queue of notifications: list it, retry a channel.", no_args_is_help=True)
people_app = typer.Typer(help="People: absences and cover.", no_args_is_help=True)
STATUSES = ("pending", "sending", "sent", "failed", "dead", "withdrawn")


def _now(s: AppState, now_text: str | None, dry_run: bool) -> datetime:
    from ptrack.tracker.outbox.service import policy_settings
    from ptrack.tracker.policy.window import LONDON

    if now_text:
        if not dry_run:
            raise UsageError("--now simulates another instant: it is only for --dry-run (sending is always now)")
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise UsageError(f"--now {now_text!r} is not an ISO date-time, e.g. 2026-11-25T08:00") from None
        return now if now.tzinfo else now.replace(tzinfo=LONDON)
    if not s.as_of_is_today:
        return datetime.combine(s.as_of, policy_settings(s.config).window.opens, tzinfo=LONDON)
    return datetime.now(UTC)


def _notifiers(s: AppState) -> dict[str, Notifier]:
    from ptrack.notifiers.registry import build_notifiers

    return dict(build_notifiers(s.config, os.environ))


def remind(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Decide and show, queue and send nothing; with --as-of, simulate that day.",
    )] = False,
    now: Annotated[str | None, typer.Option(
        "--now", metavar="ISO", help="With --dry-run: simulate this instant instead of now.",
    )] = None,
) -> None:
    """One reminder and escalation pass now: decide, queue, send what is due (what the daemon does each morning).
    Sending is real-time: --as-of other than today needs --dry-run."""
    from ptrack.tracker.outbox.service import remind as remind_pass
    from ptrack.tracker.policy.window import LONDON

    s = state(ctx)
    s.require_real_time("remind", dry_run)
    at = _now(s, now, dry_run)
    refreshed(s, "remind")
    notifiers = {} if dry_run else _notifiers(s)
    report = remind_pass(s.store, s.config, s.ruleset, s.calendar, at, notifiers, dry_run=dry_run)
    with output.prefixed(s.simulation_prefix(dry_run, at.astimezone(LONDON).date())):
        print_remind(report)


def print_remind(report: RemindReport) -> None:
    from ptrack.tracker.policy.window import LONDON

    when = report.now.astimezone(LONDON)
    dry = " (dry run: nothing queued)" if report.dry_run else ""
    output.line(f"reminder pass {when:%a %d %b %Y %H:%M} London{dry}")
    output.table("Decisions (one per person and deadline)", ("reason", "count"), sorted(report.decisions.items()))
    output.table("Messages queued", ("reason", "messages"), sorted(report.messages.items()))
    if report.withdrawn or report.superseded:
        rows = [*sorted(report.withdrawn.items()), ("superseded (older overdue nudge)", report.superseded)]
        output.table("Withdrawn", ("reason", "items"), rows)
    d = report.dispatched
    if d is not None:
        output.line(f"sent {d.sent}, retrying {d.retrying}, failed {d.failed}, dead {d.dead}, "
                    f"released {d.released}, rerouted {d.rerouted}, reclaimed {d.reclaimed}, admin alerts {d.alerts}")
        for person, reason in sorted(d.refused.items()):
            output.line(f"could not reach {person}: {reason}")
        for channel, reason in sorted(d.broken.items()):
            output.line(f"channel {channel} is broken: {reason}; fix it, then `ptrack outbox retry --channel "
                        f"{channel}`")


@outbox_app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=f"Only this status: {', '.join(STATUSES)}.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 200,
) -> None:
    """The outbox, newest first: kind, recipient, channel, status, reason, attempts, when, last error."""
    from ptrack.tracker.outbox.service import list_outbox

    if status is not None and status not in STATUSES:
        raise UsageError(f"--status {status!r}: use one of {', '.join(STATUSES)}")
    rows = list_outbox(state(ctx).store, status, limit)
    output.table(f"Outbox ({len(rows)})", ("id", "kind", "recipient", "channel", "status", "reason", "items",
                                           "attempts", "not before", "next attempt", "last error"),
                 [(r.id, r.kind, r.recipient_email, r.channel, r.status, r.reason, r.items, r.attempts,
                   f"{r.not_before:%Y-%m-%d %H:%M}Z", f"{r.next_attempt_at:%Y-%m-%d %H:%M}Z", r.last_error)
                  for r in rows])


@outbox_app.command("retry")
def retry_command(
    ctx: typer.Context,
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel (default: all).")] = None,
) -> None:
    """Mark a channel working again and put its failed and dead messages back in the queue."""
    from ptrack.tracker.outbox.service import retry_outbox

    count = retry_outbox(state(ctx).store, datetime.now(UTC), channel)
    output.line(f"{count} message(s) back in the queue{f' on {channel}' if channel else ''}")


@people_app.command("absent")
def absent_command(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Who is away.")],
    from_date: Annotated[str, typer.Option("--from", metavar="DATE", help="First day away.")],
    to_date: Annotated[str, typer.Option("--to", metavar="DATE", help="Last day away.")],
    cover: Annotated[str, typer.Option("--cover", metavar="EMAIL", help="Who gets their messages.")] = "",
) -> None:
    """Mark a person away: they get nothing from --from to --to; --cover gets it, marked as cover."""
    from ptrack.tracker.outbox.service import mark_absent
    from ptrack.tracker.policy import Absence

    start, end = parse_date(from_date, "--from"), parse_date(to_date, "--to")
    if end < start:
        raise UsageError(f"--to {to_date} is before --from {from_date}")
    store = state(ctx).store
    email = match_person(store, email, "EMAIL").value
    if cover:
        cover = match_person(store, cover, "--cover").value
        if cover == email:
            raise UsageError(f"--cover {cover}: a person cannot cover for themselves")
    mark_absent(store, Absence(email, start, end, cover), datetime.now(UTC))
    output.line(f"{email} away {start.isoformat()} to {end.isoformat()}"
                + (f"; covered by {cover}" if cover else "; messages wait for their return"))


def doctor(
    ctx: typer.Context,
    send_test: Annotated[bool, typer.Option("--send-test", help="Send a test message through every channel.")] = False,
    to: Annotated[str, typer.Option("--to", metavar="EMAIL", help="Recipient of the test messages.")] = "",
) -> None:
    """Check config, rule packs, database, calendar coverage, every channel, people's channels, who can be
    reached and stale data, now; exit 1 if anything is wrong."""
    from ptrack.tracker.outbox import doctor as checks
    from ptrack.tracker.outbox import reach

    s = state(ctx)
    if send_test:
        s.require_real_time("doctor --send-test")
    s.require_real_time("doctor", doing="checks the installation")
    now = datetime.now(UTC)
    results: list[checks.Check] = []
    try:
        results.append(checks.Check("config", True, str(s.config.source or "built-in defaults")))
        packs = reach.ruleset_check(s.config, lambda: s.ruleset)
        results.append(packs)
        results.append(checks.calendar_check(s.calendar, now))
        notifiers = _notifiers(s)
        results.extend(checks.store_checks(s.store, notifiers, now))
        results.extend(_reach_checks(s, packs.ok))
        if packs.ok:
            results.append(_deadlines_check(s))
            results.append(checks.coverage_check(
                services.coverage(s.store, s.ruleset, s.config.import_settings.complete_sources)))
        if send_test:
            results.extend(checks.send_tests(notifiers, to or "ptrack-doctor@localhost", now))
    except PtrackError as exc:
        results.append(checks.Check("error", False, str(exc)))
    output.table("ptrack doctor", ("check", "ok", "detail"), [(c.name, "ok" if c.ok else "PROBLEM", c.detail)
                                                             for c in results])
    if not all(c.ok for c in results):
        raise typer.Exit(1)


def _deadlines_check(s: AppState) -> checks.Check:
    """Stale deadlines (an interrupted import or recompute, a rule-set or calendar change) fail the doctor: it
    reports, it does not repair (`ptrack recompute`, any command that reads deadlines, or the daemon does)."""
    from ptrack.tracker.outbox import doctor as checks

    found = freshness.staleness(s.store, s.ruleset, s.calendar)
    if not found.stale:
        return checks.Check("deadlines", True, f"up to date (rule set {found.active[0]}, calendar "
                                               f"{found.active[1]})")
    return checks.Check("deadlines", False, f"stale: {found.describe()}; run `ptrack recompute`")


def _reach_checks(s: AppState, ruleset_loads: bool) -> list[checks.Check]:
    """Can people be reached: their chosen channels, and someone to tell about every open deadline."""
    from ptrack.tracker.outbox import reach
    from ptrack.tracker.store import reach_queries

    with s.store.reading("reading people's channels") as conn:
        people = reach_queries.people_channels(conn)
    found = reach.channel_checks(s.config, people)
    if ruleset_loads:
        found.append(reach.recipients_check(s.store, s.config, s.ruleset, today_in_london()))
    return found
