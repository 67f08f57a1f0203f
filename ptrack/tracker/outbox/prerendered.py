"""Outbox rows for messages written in full when they are queued (the weekly digest, IRO dispute prompts),
as opposed to reminders, which are rendered from their items when sent. The payload carries `subject`, `text`
and optionally `html` and `team`; the dispatcher sends them as they are. Routing is the reminders' routing:
the person's channel, their team's Teams webhook, else the folder channel (`ptrack.tracker.outbox.routing`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.config import Config
from ptrack.tracker.outbox.routing import available_channels, choose_channel
from ptrack.tracker.policy import Window
from ptrack.tracker.policy.window import delivery_slot
from ptrack.tracker.store.notify_queries import Contact


@dataclass(frozen=True)
class Prerendered:
    dedup_key: str
    kind: str  # digest | dispute_prompt
    recipient: str
    owed_on: date
    subject: str
    text: str
    html: str = ""
    team: str = ""


def channel_for(config: Config, contacts: Mapping[str, Contact], recipient: str, team: str) -> str:
    contact = contacts.get(recipient.lower())
    webhooks = {name for name, t in config.teams.items() if t.teams_webhook_env}
    team = contact.team if contact and contact.team else team
    return choose_channel(contact.channel if contact else "", team in webhooks, available_channels(config))


def message_row(message: Prerendered, channel: str, calendar: WorkingDayCalendar, window: Window,
                now: datetime) -> dict[str, object]:
    """An `outbox_messages` row: due now inside the delivery window, else at its next opening."""
    reason, not_before = delivery_slot(now, calendar, window)
    payload = {"subject": message.subject, "text": message.text, "html": message.html, "team": message.team}
    return {
        "dedup_key": message.dedup_key, "kind": message.kind, "recipient_email": message.recipient.lower(),
        "cover_for": "", "channel": channel, "owed_on": message.owed_on,
        "payload": json.dumps(payload, separators=(",", ":"), ensure_ascii=False), "reason": reason.value,
        "status": "pending", "attempts": 0, "not_before": not_before, "next_attempt_at": not_before,
        "created_at": now, "updated_at": now,
    }
