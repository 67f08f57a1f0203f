"""The daemon's SQL: its records in the `meta` table (each job's last run, the leader), the PostgreSQL
advisory lock that elects the leader, handing back claims of a daemon that died, and the stale-data alert.

Meta keys: `daemon.job.<job>` (JSON: started, finished, outcome, duration_s, detail, next_run, instance),
`daemon.leader` (JSON: instance_id, host, pid, since, heartbeat, backend_pid), `daemon.first_started`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, text, update

from ptrack.tracker.store import notify_schema as n
from ptrack.tracker.store import outbox_queries as q
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.writes import get_meta, set_meta

JOB_PREFIX = "daemon.job."
LEADER_KEY = "daemon.leader"
FIRST_STARTED_KEY = "daemon.first_started"
DAEMON_WORKER_PREFIX = "daemon:"


def get_json(conn: Connection, key: str) -> dict[str, Any] | None:
    value = get_meta(conn, key)
    if not value:
        return None
    try:
        loaded = json.loads(value)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


def put_json(conn: Connection, key: str, value: dict[str, Any]) -> None:
    set_meta(conn, {key: json.dumps(value, sort_keys=True, separators=(",", ":"))})


def job_records(conn: Connection) -> dict[str, dict[str, Any]]:
    rows = conn.execute(select(t.meta.c.key, t.meta.c.value).where(t.meta.c.key.like(f"{JOB_PREFIX}%")))
    out: dict[str, dict[str, Any]] = {}
    for key, value in rows:
        try:
            out[key.removeprefix(JOB_PREFIX)] = json.loads(value)
        except ValueError:
            continue
    return out


def first_started(conn: Connection, now: datetime) -> datetime:
    """When a daemon first started on this database (recorded the first time it is asked)."""
    value = get_meta(conn, FIRST_STARTED_KEY)
    if value:
        return datetime.fromisoformat(value)
    set_meta(conn, {FIRST_STARTED_KEY: now.isoformat()})
    return now


def release_daemon_claims(conn: Connection, now: datetime) -> int:
    """Claims held by a daemon are released when a new leader starts: only the leader dispatches, so they
    belong to a leader that died (mid-send: at-least-once, see docs/delivery.md). CLI passes keep theirs."""
    m = n.outbox_messages
    result = conn.execute(update(m).where(m.c.status == "sending", m.c.claimed_by.like(f"{DAEMON_WORKER_PREFIX}%"))
                          .values(status="pending", claim_token="", claimed_by="", updated_at=now,
                                  last_error="claimed by a daemon that stopped mid-send; sent again, which may "
                                             "duplicate"))
    return result.rowcount


def outbox_backlog(conn: Connection) -> dict[str, int]:
    return q.counts_by_status(conn)


# -- the stale-data alert ---------------------------------------------------------------------------------------


def managers_and_admins(conn: Connection) -> dict[str, str]:
    """email -> preferred channel of every person whose role is manager or admin."""
    p = t.people.c
    rows = conn.execute(select(p.email, p.channel).where(p.role.in_(("manager", "admin"))))
    return {email.lower(): channel or "" for email, channel in rows}


def existing_message_keys(conn: Connection, keys: Sequence[str]) -> set[str]:
    col = n.outbox_messages.c.dedup_key
    found: set[str] = set()
    for i in range(0, len(keys), q.CHUNK):
        found.update(conn.execute(select(col).where(col.in_(keys[i:i + q.CHUNK]))).scalars())
    return found


# -- leader election on PostgreSQL ------------------------------------------------------------------------------


def try_advisory_lock(conn: Connection, key1: int, key2: int) -> bool:
    """A session-level advisory lock: held until released or until the session ends (a dead leader's is
    released by PostgreSQL)."""
    return bool(conn.execute(text("SELECT pg_try_advisory_lock(:k1, :k2)"), {"k1": key1, "k2": key2}).scalar())


def advisory_unlock(conn: Connection, key1: int, key2: int) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(:k1, :k2)"), {"k1": key1, "k2": key2})


def backend_pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def advisory_lock_holder(conn: Connection, key1: int, key2: int) -> int | None:
    """The backend pid holding the two-key advisory lock, if any (pg_locks shows the keys as oids)."""
    row = conn.execute(text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
        "AND classid::bigint = :k1 AND objid::bigint = :k2 AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"k1": key1 & 0xFFFFFFFF, "k2": key2 & 0xFFFFFFFF}).first()
    return None if row is None else int(row[0])


def current_schema(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_schema()")).scalar_one())
