"""The notification use cases the CLI and the daemon call: `remind` (decide, queue, dispatch) and `dispatch`,
plus the outbox and absence commands. The clock is passed in (`now`, an aware datetime)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection

from ptrack.calendars import WorkingDayCalendar
from ptrack.calendars.counting import Unit
from ptrack.notifiers.base import Notifier
from ptrack.tracker.config import Config
from ptrack.tracker.coverage import judge
from ptrack.tracker.coverage import untracked_rules as untracked_of
from ptrack.tracker.outbox.dispatch import DispatchReport, dispatch
from ptrack.tracker.outbox.queueing import MessageBuilder
from ptrack.tracker.policy import Absence, OpenItem, PolicySettings, Reason, Router, Window, local_day
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import notify_queries as nq
from ptrack.tracker.store import outbox_queries as q
from ptrack.tracker.store.coverage_queries import cached_supply


@dataclass
class RemindReport:
    """One pass: what the policy decided (per owed item, by reason), what was queued, withdrawn and sent."""

    now: datetime
    today: date
    dry_run: bool
    decisions: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)  # queued messages by reason (queued, deferred_...)
    withdrawn: Counter[str] = field(default_factory=Counter)  # items withdrawn from pending messages, by reason
    superseded: int = 0
    dispatched: DispatchReport | None = None


CHUNK_CASES = 5000  # cases decided and queued at a time: bounds memory whatever the caseload


def policy_settings(config: Config) -> PolicySettings:
    n = config.notify
    return PolicySettings(n.remind_working_days_before, n.escalate_to_manager_after_working_days,
                          Window.parse(n.window), n.overdue_nudge_every_working_days)


def rule_notices(ruleset: RuleSet) -> dict[str, nq.RuleNotice]:
    """Each rule's notification data, `urgent` included (the pack's `urgent = true`)."""
    return {rid: nq.RuleNotice(r.title, r.audience, r.iro_relevant, r.count.unit is Unit.WD, r.urgent)
            for rid, r in ruleset.rules.items()}


def remind(
    store: Store,
    config: Config,
    ruleset: RuleSet,
    calendar: WorkingDayCalendar,
    now: datetime,
    notifiers: Mapping[str, Notifier] | None = None,
    dry_run: bool = False,
    worker_id: str = "remind",
    chunk_cases: int = CHUNK_CASES,
) -> RemindReport:
    """One reminder and escalation pass: withdraw what is no longer owed, decide, queue, then dispatch.

    The caseload is streamed in chunks of `chunk_cases` cases: each chunk's open deadlines are read, decided,
    checked against the outbox's dedup keys and queued before the next is read, so memory stays bounded."""
    report = RemindReport(now, local_day(now), dry_run)
    if not dry_run:
        with store.transaction("withdrawing reminders no longer owed") as conn:
            report.withdrawn = q.withdraw_closed(conn, report.today, now)
    if dry_run:
        with store.reading("deciding reminders (dry run)") as conn:
            _decide_and_queue(conn, None, config, ruleset, calendar, report, chunk_cases)
        return report
    with store.transaction("queueing reminders") as conn:
        _decide_and_queue(conn, conn, config, ruleset, calendar, report, chunk_cases)
    if notifiers:
        report.dispatched = dispatch(store, notifiers, now, worker_id, calendar=calendar)
    return report


def _decide_and_queue(conn: Connection, writing: Connection | None, config: Config, ruleset: RuleSet,
                      calendar: WorkingDayCalendar, report: RemindReport, chunk_cases: int) -> None:
    settings = policy_settings(config)
    today, now = report.today, report.now
    horizon = calendar.add_working_days(today, max(settings.remind_working_days_before, default=0))
    managers = {name: team.manager_email for name, team in config.teams.items() if team.manager_email}
    # Untracked rules (no source supplies their evidence) and missed deadlines (closed) are never nagged.
    untracked = untracked_of(judge(ruleset, cached_supply(conn), config.import_settings.complete_sources))
    notices = {rid: n for rid, n in rule_notices(ruleset).items() if rid not in untracked}
    router = Router(nq.absences_between(conn, today, today), calendar, settings, now)
    builder = MessageBuilder(writing, nq.contacts(conn), config, today, now)
    for cases in nq.case_ranges(conn, chunk_cases):
        routed = list(router.route(nq.open_items(conn, today, horizon, notices, managers, cases)))
        existing = q.existing_item_keys(conn, [d.dedup_key for d, _ in routed if d.not_before is not None])
        selection = router.select(routed, existing)
        report.decisions.update(selection.decisions)
        builder.add_chunk(selection.owed)
    report.messages = builder.finish()
    if writing is not None:
        report.superseded = q.supersede_overdue(writing, builder.overdue_recipients(), today, now)


# -- the outbox and absence commands ------------------------------------------------------------------------------


def list_outbox(store: Store, status: str | None = None, limit: int = 500) -> list[q.OutboxRow]:
    with store.reading("listing the outbox") as conn:
        return q.list_messages(conn, status, limit)


def retry_outbox(store: Store, now: datetime, channel: str | None = None) -> int:
    """Mark the channel working again and put its failed and dead messages back in the queue."""
    with store.transaction("retrying the outbox") as conn:
        return q.retry(conn, channel, now)


def mark_absent(store: Store, absence: Absence, now: datetime) -> None:
    with store.transaction("recording an absence") as conn:
        nq.add_absence(conn, absence, now)


__all__ = ["DispatchReport", "OpenItem", "Reason", "RemindReport", "dispatch", "list_outbox", "mark_absent", "remind",
           "retry_outbox"]
