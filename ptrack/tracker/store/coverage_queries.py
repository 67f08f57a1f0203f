"""What the sources have supplied, by event kind (`ptrack coverage`, the `untracked` state).

The verdicts need only which kinds each source has supplied and when last: kept in `meta` (key
`event_supply`), merged after every import, so `deadlines`, `remind` and the digest read one row rather than
scan the events. `ptrack coverage` adds live counts. A database imported into before this was kept has no such
row: it is then worked out from the events table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import Connection, func, select

from ptrack.tracker.coverage import Supply
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.writes import get_meta, set_meta

META_KEY = "event_supply"
Cache = dict[str, dict[str, dict[str, str | None]]]  # source -> kind -> {last_date, last_imported_at}


def live_supply(conn: Connection) -> list[Supply]:
    """Counted from the events table (voided events do not count)."""
    e, b = t.events.c, t.import_batches.c
    stmt = (
        select(e.kind, e.source, func.count(), func.max(e.date), func.max(b.started_at))
        .select_from(t.events.outerjoin(t.import_batches, b.id == e.batch_id))
        .where(e.voided_at.is_(None))
        .group_by(e.kind, e.source)
    )
    return [Supply(kind, source, int(n), last, _aware(at)) for kind, source, n, last, at in conn.execute(stmt)]


def cached_supply(conn: Connection) -> list[Supply]:
    """From the cache (no counts: 1 stands for "some"), or live when there is none yet."""
    cache = _read(conn)
    if cache is None:
        return live_supply(conn)
    return [
        Supply(kind, source, 1, _date(v.get("last_date")), _instant(v.get("last_imported_at")))
        for source, kinds in sorted(cache.items()) for kind, v in sorted(kinds.items())
    ]


def record_supply(conn: Connection, source: str, kinds: Mapping[str, date], at: datetime) -> None:
    """Merge what one import supplied: each kind with the latest event date it carried."""
    if not kinds:
        return
    cache = _read(conn)
    if cache is None:
        cache = _live_cache(conn)
    mine = cache.setdefault(source, {})
    for kind, last in kinds.items():
        known = _date(mine.get(kind, {}).get("last_date"))
        mine[kind] = {"last_date": max(last, known or last).isoformat(), "last_imported_at": at.isoformat()}
    set_meta(conn, {META_KEY: json.dumps(cache, sort_keys=True)})


def ensure_supply(conn: Connection) -> None:
    """Work out the cache from the events table if there is none: a database filled other than by imports (a
    restore, a bulk load) would otherwise pay for the scan of every event in its next import."""
    if _read(conn) is None:
        set_meta(conn, {META_KEY: json.dumps(_live_cache(conn), sort_keys=True)})


def start_supply(conn: Connection) -> None:
    """An empty cache for a database with no events yet and no cache: its first import then merges what it
    supplied into it rather than counting every event it just wrote (`record_supply`'s fallback)."""
    if _read(conn) is None and conn.execute(select(t.events.c.id).limit(1)).first() is None:
        set_meta(conn, {META_KEY: "{}"})


def _live_cache(conn: Connection) -> Cache:
    cache: Cache = {}
    for s in live_supply(conn):
        cache.setdefault(s.source, {})[s.kind] = {
            "last_date": s.last_date.isoformat() if s.last_date else None,
            "last_imported_at": s.last_imported_at.isoformat() if s.last_imported_at else None,
        }
    return cache


def _read(conn: Connection) -> Cache | None:
    raw = get_meta(conn, META_KEY)
    return None if raw is None else dict(json.loads(raw))


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _aware(value: datetime | None) -> datetime | None:
    return value
