"""Pre-rendered outbox messages (the weekly digest, IRO dispute prompts): their subject, text and HTML are in
the payload, and the message's own dedup key (`outbox_messages.dedup_key`, unique) is what keeps one from being
queued twice. Queueing itself is `outbox_queries.queue`; this reads which keys exist and withdraws."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select, update

from ptrack.tracker.store import notify_schema as n

CHUNK = 900
m = n.outbox_messages


def existing_message_keys(conn: Connection, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(conn.execute(select(m.c.dedup_key).where(m.c.dedup_key.in_(keys[i:i + CHUNK]))).scalars())
    return found


def withdraw_messages(conn: Connection, keys: Sequence[str], reason: str, now: datetime) -> int:
    """Withdraw the messages with these keys that are still waiting to be sent."""
    done = 0
    for i in range(0, len(keys), CHUNK):
        done += conn.execute(update(m).where(m.c.dedup_key.in_(keys[i:i + CHUNK]),
                                             m.c.status.in_(("pending", "failed")))
                             .values(status="withdrawn", reason=reason, updated_at=now)).rowcount
    return done
