"""Queueing one reminder pass, chunk by chunk: the owed items of each chunk of cases go into the outbox as they
are decided, grouped into one message per (recipient, cover, kind, delivery time, reason) across all chunks.

A message row is inserted when its first item is queued (with a provisional key and no payload), its items
follow chunk by chunk, and `finish` gives it its final key (hashed incrementally over its items' dedup keys)
and its payload. All of it runs in the pass's one transaction, so no dispatcher sees a half-built message and two
racing passes collide on the items' unique dedup keys: the second rolls back. Memory per message is one short
JSON fragment per deadline (shared between messages), never the pass's decisions."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from ptrack.notifiers.registry import channel_set, choose_channel
from ptrack.tracker.config import Config
from ptrack.tracker.outbox.messages import item_fragment, outbox_row, reminder_payload
from ptrack.tracker.policy import Decision, GroupKey, Kind, OpenItem
from ptrack.tracker.policy.types import MessageKey
from ptrack.tracker.store import notify_queries as nq
from ptrack.tracker.store import outbox_queries as q


@dataclass
class _Building:
    id: int
    kind: Kind
    reason: str
    team: str
    key: MessageKey
    fragments: list[str] = field(default_factory=list)


class MessageBuilder:
    """Accumulates one pass's messages; writes nothing when `conn` is None (a dry run)."""

    def __init__(self, conn: Connection | None, contacts: dict[str, nq.Contact], config: Config, today: date,
                 now: datetime) -> None:
        self.conn, self.contacts, self.today, self.now = conn, contacts, today, now
        self.config = config
        self.available = channel_set(config)
        self.webhooks = {name for name, team in config.teams.items() if team.teams_webhook_env}
        self.messages: dict[GroupKey, _Building] = {}
        self._fragments: dict[tuple[str, str], str] = {}

    def add_chunk(self, owed: list[tuple[Decision, OpenItem, GroupKey]]) -> None:
        """Queue one chunk's owed (not deduplicated) decisions, each with the message it joins."""
        rows: list[dict[str, Any]] = []
        for d, item, group in owed:
            message = self.messages.get(group)
            if message is None:
                message = self.messages[group] = self._open(group, item)
            message.key.add(d.dedup_key)
            message.fragments.append(self._fragment(item))
            rows.append({"dedup_key": d.dedup_key, "message_id": message.id, "person_email": d.person,
                         "case_id": d.case_id, "deadline_key": d.deadline_key, "rule_id": d.rule_id,
                         "kind": d.kind.value, "stage": d.stage, "owed_on": d.owed_on})
        self._fragments.clear()  # a chunk holds whole cases: the next one never shares a deadline with it
        if self.conn is not None:
            q.insert_items(self.conn, rows)

    def finish(self) -> Counter[str]:
        """Write every message's key and payload; the messages by reason, and supersede older overdue nudges."""
        counts: Counter[str] = Counter(m.reason for m in self.messages.values())
        if self.conn is None:
            return counts
        for message in self.messages.values():
            items = sorted(set(message.fragments))  # due date first: in due-date order, one per deadline
            payload = reminder_payload(items, message.team, self.config.local_authority)
            q.complete_message(self.conn, message.id, message.key.hexdigest(), payload)
        return counts

    def overdue_recipients(self) -> list[str]:
        return [recipient for (recipient, _, kind, _, _) in self.messages if kind is Kind.OVERDUE]

    def _open(self, group: GroupKey, first: OpenItem) -> _Building:
        recipient, cover_for, kind, not_before, reason = group
        contact = self.contacts.get(recipient)
        team = contact.team if contact and contact.team else first.team
        channel = choose_channel(contact.channel if contact else "", team in self.webhooks, self.available)
        row = outbox_row(dedup_key=f"building-{uuid.uuid4().hex}", kind=kind.value, recipient=recipient,
                         channel=channel, owed_on=self.today, payload="{}", reason=reason.value,
                         not_before=not_before, now=self.now, cover_for=cover_for)
        message_id = q.insert_message(self.conn, row) if self.conn is not None else -len(self.messages) - 1
        return _Building(message_id, kind, reason.value, team, MessageKey(recipient, cover_for, kind, self.today))

    def _fragment(self, item: OpenItem) -> str:
        """The item's JSON in the payload: due date first, so that sorting the fragments sorts by due date."""
        ref = (item.case_id, item.deadline_key)
        found = self._fragments.get(ref)
        if found is None:
            found = self._fragments[ref] = item_fragment(item, self.config.link_for(item.case_id))
        return found
