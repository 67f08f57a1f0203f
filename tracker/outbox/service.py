"""The notification use cases the CLI and the daemon call: `remind` (decide, queue, dispatch) and `dispatch`,
plus the outbox and absence commands. The clock is passed in (`now`, an aware datetime)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from calendars import WorkingDayCalendar
from notifiers.base import Notifier
from tracker.config import Config
from tracker.outbox.dispatch import DispatchReport, dispatch
from tracker.outbox.routing import available_channels, choose_channel
from tracker.policy import (
    Absence,
    Kind,
    OpenItem,
    PendingItem,
    Plan,
    PlannedMessage,
    PolicySettings,
    Reason,
    Window,
    decide,
    local_day,
    withdrawals,
)
from tracker.policy.content import payload_items
from tracker.policy.decide import without
from tracker.rules import RuleSet
from tracker.store import Store
from tracker.store import notify_queries as nq
from tracker.store import outbox_queries as q


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
    planned: tuple[PlannedMessage, ...] = ()
    dispatched: DispatchReport | None = None


def policy_settings(config: Config) -> PolicySettings:
    n = config.notify
    return PolicySettings(n.remind_working_days_before, n.escalate_to_manager_after_working_days,
                          Window.parse(n.window))


def rule_notices(ruleset: RuleSet) -> dict[str, nq.RuleNotice]:
    return {rid: nq.RuleNotice(r.title, r.audience, r.iro_relevant) for rid, r in ruleset.rules.items()}


def plan(store: Store, config: Config, ruleset: RuleSet, calendar: WorkingDayCalendar, now: datetime) -> Plan:
    """What the policy owes at `now`, with what is already in the outbox marked deduplicated."""
    settings = policy_settings(config)
    today = local_day(now)
    horizon = calendar.add_working_days(today, max(settings.remind_working_days_before, default=0))
    managers = {name: team.manager_email for name, team in config.teams.items() if team.manager_email}
    with store.reading("reading open deadlines for reminders") as conn:
        items = list(nq.open_items(conn, today, horizon, rule_notices(ruleset), managers))
        absences = nq.absences_between(conn, today, today)
        fresh = decide(items, absences, calendar, settings, now)
        keys = [d.dedup_key for m in fresh.messages for d in m.items]
        existing = q.existing_item_keys(conn, keys)
    return without(fresh, existing)


def remind(
    store: Store,
    config: Config,
    ruleset: RuleSet,
    calendar: WorkingDayCalendar,
    now: datetime,
    notifiers: Mapping[str, Notifier] | None = None,
    dry_run: bool = False,
    worker_id: str = "remind",
) -> RemindReport:
    """One reminder and escalation pass: withdraw what is no longer owed, decide, queue, then dispatch."""
    report = RemindReport(now, local_day(now), dry_run)
    if not dry_run:
        _withdraw(store, report)
    decided = plan(store, config, ruleset, calendar, now)
    report.decisions.update(d.reason.value for d in decided.decisions)
    report.messages.update(m.reason.value for m in decided.messages)
    report.planned = decided.messages
    if dry_run:
        return report
    _queue(store, config, decided, now, report)
    if notifiers:
        report.dispatched = dispatch(store, notifiers, now, worker_id)
    return report


def _withdraw(store: Store, report: RemindReport) -> None:
    with store.transaction("withdrawing reminders no longer owed") as conn:
        pending = [PendingItem(*row) for row in q.pending_items(conn)]
        states = nq.deadline_states(conn, [(p.case_id, p.deadline_key) for p in pending])
        w = withdrawals(pending, states, report.today)
        q.withdraw(conn, {k: v.value for k, v in w.items.items()}, {k: v.value for k, v in w.messages.items()},
                   w.shrunk, report.now)
    report.withdrawn.update(r.value for r in w.items.values())


def _queue(store: Store, config: Config, decided: Plan, now: datetime, report: RemindReport) -> None:
    available = available_channels(config)
    webhooks = {name for name, team in config.teams.items() if team.teams_webhook_env}
    with store.transaction("queueing reminders") as conn:
        people = nq.contacts(conn)
        rows, items = [], []
        for message in decided.messages:
            contact = people.get(message.recipient)
            team = contact.team if contact and contact.team else message.open_items[0].team
            channel = choose_channel(contact.channel if contact else "", team in webhooks, available)
            rows.append(_message_row(message, channel, team, config.deep_link, now))
            items.append([_item_row(d) for d in message.items])
        q.queue(conn, rows, items)
        overdue = [m.recipient for m in decided.messages if m.kind is Kind.OVERDUE]
        report.superseded = q.supersede_overdue(conn, overdue, decided.today, now)


def _message_row(message: PlannedMessage, channel: str, team: str, deep_link: str, now: datetime) -> dict[str, Any]:
    payload = {"items": payload_items(message.open_items, deep_link), "team": team}
    return {
        "dedup_key": message.dedup_key, "kind": message.kind.value, "recipient_email": message.recipient,
        "cover_for": message.cover_for, "channel": channel, "owed_on": message.owed_on,
        "payload": json.dumps(payload, separators=(",", ":")), "reason": message.reason.value,
        "status": "pending", "attempts": 0, "not_before": message.not_before,
        "next_attempt_at": message.not_before, "created_at": now, "updated_at": now,
    }


def _item_row(d: Any) -> dict[str, Any]:
    return {"dedup_key": d.dedup_key, "person_email": d.person, "case_id": d.case_id,
            "deadline_key": d.deadline_key, "rule_id": d.rule_id, "kind": d.kind.value, "stage": d.stage,
            "owed_on": d.owed_on}


# -- the outbox and absence commands ------------------------------------------------------------------------------


def list_outbox(store: Store, status: str | None = None, limit: int = 500) -> list[q.OutboxRow]:
    with store.reading("listing the outbox") as conn:
        return q.list_messages(conn, status, limit)


def retry_outbox(store: Store, now: datetime, channel: str | None = None) -> int:
    """Mark the channel working again and put its failed and dead messages back in the queue."""
    with store.transaction("retrying the outbox") as conn:
        return q.retry(conn, channel, now)


def mark_absent(store: Store, absence: Absence) -> None:
    with store.transaction("recording an absence") as conn:
        nq.add_absence(conn, absence)


__all__ = ["DispatchReport", "OpenItem", "Reason", "RemindReport", "dispatch", "list_outbox", "mark_absent", "plan",
           "remind", "retry_outbox"]
