"""The outbox in SQL: queueing grouped messages with their dedup items, claiming them safely with several
dispatchers, recording outcomes, channel state, listing and retrying.

Claiming is one conditional UPDATE: `... SET claim_token = :t WHERE status = 'pending' AND id IN (candidates)`,
then reading back the rows carrying the token. On PostgreSQL the candidates are chosen `FOR UPDATE SKIP
LOCKED`, and a concurrent UPDATE re-checks `status = 'pending'` after waiting for the row lock, so a row is
claimed once; SQLite serialises writers. A claim older than the lease (a crashed dispatcher) is released."""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, exists, func, insert, or_, select, update

from ptrack.tracker.store import notify_schema as n
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.bulk import bulk_insert

CHUNK = 900
KEY_BATCH = 5000  # keys per IN list: below SQLite's 32,766 and PostgreSQL's 65,535 parameters
WAITING = ("pending", "failed")  # not yet sent: what a met or cancelled deadline withdraws from
m = n.outbox_messages


@dataclass(frozen=True)
class Claimed:
    id: int
    dedup_key: str
    kind: str
    recipient_email: str
    cover_for: str
    channel: str
    payload: dict[str, Any]
    attempts: int
    claim_token: str
    slack_user_id: str


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    recipient_email: str
    channel: str
    status: str
    reason: str
    attempts: int
    owed_on: date
    not_before: datetime
    next_attempt_at: datetime
    last_error: str
    items: int


# -- queueing ---------------------------------------------------------------------------------------------------


def existing_item_keys(conn: Connection, keys: Sequence[str]) -> set[str]:
    """Which of `keys` are already in the outbox (one indexed IN list per `KEY_BATCH` keys)."""
    found: set[str] = set()
    col = n.outbox_items.c.dedup_key
    for i in range(0, len(keys), KEY_BATCH):
        found.update(conn.execute(select(col).where(col.in_(keys[i:i + KEY_BATCH]))).scalars())
    return found


def insert_message(conn: Connection, row: dict[str, Any]) -> int:
    """Insert one `outbox_messages` row; its id."""
    return int(conn.execute(insert(m).returning(m.c.id), row).scalar_one())


def insert_items(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `outbox_items` rows (with their message_id). A dedup key already present raises: the caller's
    transaction rolls back, so two racing passes never queue the same item twice."""
    bulk_insert(conn, n.outbox_items, rows)


def complete_message(conn: Connection, message_id: int, dedup_key: str, payload: str) -> None:
    """Give a message built item by item its final key and payload."""
    conn.execute(update(m).where(m.c.id == bindparam("message_id")),
                 {"message_id": message_id, "dedup_key": dedup_key, "payload": payload})


def queue(conn: Connection, messages: Sequence[dict[str, Any]], items: Sequence[Sequence[dict[str, Any]]]) -> None:
    """Insert `messages` (outbox_messages rows) and, for each, its `items` (outbox_items rows without
    message_id). A dedup key already present raises (the caller's transaction rolls back)."""
    if not messages:
        return
    bulk_insert(conn, m, messages)
    keys = [msg["dedup_key"] for msg in messages]
    ids: dict[str, int] = {}
    for i in range(0, len(keys), CHUNK):
        ids.update((r[0], r[1]) for r in conn.execute(
            select(m.c.dedup_key, m.c.id).where(m.c.dedup_key.in_(keys[i:i + CHUNK]))))
    rows = [{**item, "message_id": ids[msg["dedup_key"]]} for msg, its in zip(messages, items, strict=True)
            for item in its]
    bulk_insert(conn, n.outbox_items, rows)


def supersede_overdue(conn: Connection, recipients: Iterable[str], day: date, now: datetime) -> int:
    """Withdraw pending overdue nudges older than `day` for people who were just sent a newer one."""
    people = sorted(set(recipients))
    done = 0
    for i in range(0, len(people), CHUNK):
        result = conn.execute(update(m).where(
            m.c.status == "pending", m.c.kind == "overdue", m.c.owed_on < day,
            m.c.recipient_email.in_(people[i:i + CHUNK]),
        ).values(status="withdrawn", reason="superseded", updated_at=now))
        done += result.rowcount
    return done


def withdraw_closed(conn: Connection, today: date, now: datetime) -> Counter[str]:
    """Withdraw, set-based, the items of messages not yet sent whose deadline is met or cancelled on or before
    `today`, or gone (a correction removed it); a message left with no items is withdrawn with the reason, one
    that keeps some has its payload rewritten. Only the withdrawn rows come back to Python. Returns the items
    withdrawn, by reason."""
    i, d = n.outbox_items.c, t.deadlines.c
    same = and_(d.case_id == i.case_id, d.key == i.deadline_key)
    still_open = exists().where(same, or_(d.closed_on.is_(None), d.closed_on > today))
    why = case((exists().where(same, d.met_on <= today), "suppressed_met"),
               (exists().where(same, d.cancelled_on <= today), "suppressed_cancelled"), else_="withdrawn")
    waiting = select(m.c.id).where(m.c.status.in_(WAITING)).scalar_subquery()
    stmt = (update(n.outbox_items).where(i.message_id.in_(waiting), i.withdrawn == "", ~still_open)
            .values(withdrawn=why).returning(i.message_id, i.withdrawn))
    by_message: dict[int, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for message_id, reason in conn.execute(stmt):
        by_message[message_id].add(reason)
        counts[reason] += 1
    ids = sorted(by_message)
    keeping: set[int] = set()
    for k in range(0, len(ids), CHUNK):
        keeping.update(conn.execute(select(i.message_id).distinct().where(
            i.message_id.in_(ids[k:k + CHUNK]), i.withdrawn == "")).scalars())
    for message_id in ids:
        if message_id in keeping:
            _rewrite_payload(conn, message_id, now)
            continue
        reasons = by_message[message_id]
        conn.execute(update(m).where(m.c.id == message_id, m.c.status.in_(WAITING)).values(
            status="withdrawn", reason=reasons.pop() if len(reasons) == 1 else "withdrawn", updated_at=now))
    return counts


def _rewrite_payload(conn: Connection, message_id: int, now: datetime) -> None:
    i = n.outbox_items.c
    keep = {(r.case_id, r.deadline_key) for r in conn.execute(
        select(i.case_id, i.deadline_key).where(i.message_id == message_id, i.withdrawn == ""))}
    payload = json.loads(conn.execute(select(m.c.payload).where(m.c.id == message_id)).scalar_one())
    payload["items"] = [p for p in payload["items"] if (p["case_id"], p["key"]) in keep]
    conn.execute(update(m).where(m.c.id == message_id).values(payload=json.dumps(payload), updated_at=now))


# -- claiming and outcomes --------------------------------------------------------------------------------------


def release_stale(conn: Connection, now: datetime, lease: timedelta) -> int:
    """Claims older than the lease belong to a dispatcher that died: back to pending (at-least-once)."""
    result = conn.execute(update(m).where(m.c.status == "sending", m.c.claimed_at < now - lease).values(
        status="pending", claim_token="", claimed_by="", updated_at=now, last_error="claim expired (dispatcher "
        "stopped mid-send); sent again, which may duplicate"))
    return result.rowcount


def stale_claims(conn: Connection, now: datetime, lease: timedelta) -> int:
    """Messages claimed longer ago than the lease: a dispatcher stopped mid-send (the next pass puts them back)."""
    return int(conn.execute(select(func.count()).select_from(m).where(
        m.c.status == "sending", m.c.claimed_at < now - lease)).scalar_one())


def claim(conn: Connection, worker_id: str, now: datetime, limit: int, channels: Collection[str]) -> list[Claimed]:
    """Claim up to `limit` due pending messages on `channels` for this worker, oldest first."""
    if not channels:
        return []
    token = uuid.uuid4().hex
    candidates = (select(m.c.id).where(
        m.c.status == "pending", m.c.next_attempt_at <= now, m.c.not_before <= now, m.c.channel.in_(channels),
    ).order_by(m.c.next_attempt_at, m.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    conn.execute(update(m).where(m.c.id.in_(candidates.scalar_subquery()), m.c.status == "pending").values(
        status="sending", claim_token=token, claimed_by=worker_id[:100], claimed_at=now, updated_at=now))
    p = t.people.c
    stmt = (select(m, p.slack_user_id).outerjoin(t.people, p.email == m.c.recipient_email)
            .where(m.c.claim_token == token, m.c.status == "sending").order_by(m.c.id))
    return [Claimed(r.id, r.dedup_key, r.kind, r.recipient_email, r.cover_for, r.channel, json.loads(r.payload),
                    r.attempts, token, r.slack_user_id or "") for r in conn.execute(stmt)]


def finish(conn: Connection, claimed: Claimed, now: datetime, **values: Any) -> bool:
    """Record the outcome of a claimed send; False if the claim was lost (expired and taken by another)."""
    result = conn.execute(update(m).where(m.c.id == claimed.id, m.c.claim_token == claimed.claim_token,
                                          m.c.status == "sending").values(updated_at=now, claim_token="", **values))
    return result.rowcount == 1


# -- channel state ----------------------------------------------------------------------------------------------


def broken_channels(conn: Connection) -> dict[str, str]:
    c = n.channel_state.c
    return {r.channel: r.reason for r in conn.execute(select(c.channel, c.reason).where(c.state == "broken"))}


def mark_broken(conn: Connection, channel: str, reason: str, now: datetime) -> datetime | None:
    """Mark `channel` broken; the time it broke if it was not already (so the admins are alerted once)."""
    c = n.channel_state.c
    row = conn.execute(select(c.state).where(c.channel == channel)).first()
    if row is not None and row.state == "broken":
        return None
    if row is None:
        conn.execute(insert(n.channel_state).values(channel=channel, state="broken", reason=reason, since=now))
    else:
        conn.execute(update(n.channel_state).where(c.channel == channel).values(state="broken", reason=reason,
                                                                                since=now))
    return now


def channel_states(conn: Connection) -> dict[str, tuple[str, str, datetime]]:
    return {r.channel: (r.state, r.reason, r.since) for r in conn.execute(select(n.channel_state))}


def retry(conn: Connection, channel: str | None, now: datetime) -> int:
    """Mark the channel (or every channel) working again and put its failed and dead messages back."""
    c = n.channel_state.c
    state = update(n.channel_state).values(state="ok", reason="", since=now)
    conn.execute(state if channel is None else state.where(c.channel == channel))
    # Due again at once: as soon as the message was first allowed to go (its delivery window still applies).
    stmt = update(m).where(m.c.status.in_(("failed", "dead"))).values(
        status="pending", attempts=0, next_attempt_at=m.c.not_before, last_error="", updated_at=now)
    return conn.execute(stmt if channel is None else stmt.where(m.c.channel == channel)).rowcount


# -- listing ----------------------------------------------------------------------------------------------------


def list_messages(conn: Connection, status: str | None, limit: int = 500) -> list[OutboxRow]:
    items = (select(func.count()).select_from(n.outbox_items)
             .where(n.outbox_items.c.message_id == m.c.id).scalar_subquery())
    stmt = select(m, items.label("n_items")).order_by(m.c.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(m.c.status == status)
    return [OutboxRow(r.id, r.kind, r.recipient_email, r.channel, r.status, r.reason, r.attempts, r.owed_on,
                      r.not_before, r.next_attempt_at, r.last_error, r.n_items) for r in conn.execute(stmt)]


def counts_by_status(conn: Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute(select(m.c.status, func.count()).group_by(m.c.status))}
