"""Outbox rows for messages written in full when they are queued (the weekly digest, IRO dispute prompts),
as opposed to reminders, which are rendered from their items when sent. The payload carries `subject`, `text`
and optionally `html`, `team`, `links` and `council`; the dispatcher sends them as they are. Routing is the
reminders' routing: the person's channel, their team's Teams webhook, else the folder channel
(`ptrack.notifiers.registry`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from ptrack.calendars import WorkingDayCalendar
from ptrack.notifiers.registry import channel_set, choose_channel
from ptrack.tracker.config import Config
from ptrack.tracker.outbox.messages import outbox_row, text_payload
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
    council: str = ""
    links: tuple[tuple[str, str], ...] = ()


def channel_for(config: Config, contacts: Mapping[str, Contact], recipient: str, team: str) -> str:
    contact = contacts.get(recipient.lower())
    webhooks = {name for name, t in config.teams.items() if t.teams_webhook_env}
    team = contact.team if contact and contact.team else team
    return choose_channel(contact.channel if contact else "", team in webhooks, channel_set(config))


def message_row(message: Prerendered, channel: str, calendar: WorkingDayCalendar, window: Window,
                now: datetime) -> dict[str, object]:
    """An `outbox_messages` row: due now inside the delivery window, else at its next opening."""
    reason, not_before = delivery_slot(now, calendar, window)
    payload = text_payload(message.subject, message.text, html=message.html, team=message.team,
                           council=message.council, links=message.links)
    return outbox_row(dedup_key=message.dedup_key, kind=message.kind, recipient=message.recipient, channel=channel,
                      owed_on=message.owed_on, payload=payload, reason=reason.value, not_before=not_before, now=now)
