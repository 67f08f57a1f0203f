"""Writing imported data: cases, people, events (with corrections kept in `event_history`), import batches,
rejected rows and the `meta` table. Every function takes the connection of the caller's transaction and
writes in bulk (Core executemany), never one ORM object per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from tracker.model import Case, Event, Person
from tracker.store import schema as t
from tracker.store.bulk import bulk_insert
from tracker.store.rows import event_row

LOOKUP_CHUNK = 900  # ids per IN (...) query, under SQLite's bound-parameter limit everywhere


@dataclass
class WriteCounts:
    """What a bulk write did: rows new, identical to what was stored, or different (updated)."""

    loaded: int = 0
    unchanged: int = 0
    corrected: int = 0
    affected_cases: set[str] = field(default_factory=set)

    def add(self, other: WriteCounts) -> None:
        self.loaded += other.loaded
        self.unchanged += other.unchanged
        self.corrected += other.corrected
        self.affected_cases |= other.affected_cases


def _chunks(items: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# -- cases and people -----------------------------------------------------------------------------------------


def case_dobs(conn: Connection) -> dict[str, date | None]:
    """Every known case id and its date of birth (None when unknown), for validating events."""
    return {row.case_id: row.dob for row in conn.execute(select(t.cases.c.case_id, t.cases.c.dob))}


def upsert_cases(conn: Connection, cases: Sequence[Case]) -> WriteCounts:
    rows = [asdict(c) for c in cases]
    counts = _upsert(conn, t.cases, "case_id", rows)
    return counts


def upsert_people(conn: Connection, people: Sequence[Person]) -> WriteCounts:
    counts = _upsert(conn, t.people, "email", [asdict(p) for p in people])
    counts.affected_cases.clear()
    return counts


def _upsert(conn: Connection, table: Any, pk: str, rows: list[dict[str, Any]]) -> WriteCounts:
    """Insert new rows, update changed ones by primary key; `affected_cases` holds the keys of both."""
    counts = WriteCounts()
    key_col = table.c[pk]
    for chunk in _chunks(rows):
        by_key = {r[pk]: r for r in chunk}  # a key repeated in one chunk: the later row wins
        stored = {
            r._mapping[pk]: dict(r._mapping)
            for r in conn.execute(select(table).where(key_col.in_(list(by_key))))
        }
        new = [r for k, r in by_key.items() if k not in stored]
        changed = [r for k, r in by_key.items() if k in stored and stored[k] != r]
        counts.unchanged += len(chunk) - len(new) - len(changed)
        bulk_insert(conn, table, new)
        if changed:
            values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in changed[0] if c != pk}
            stmt = update(table).where(key_col == bindparam("v_key")).values(values)
            conn.execute(stmt, [{"v_key": r[pk], **{f"v_{c}": v for c, v in r.items() if c != pk}} for r in changed])
        counts.loaded += len(new)
        counts.corrected += len(changed)
        counts.affected_cases.update(r[pk] for r in new + changed)
    return counts


# -- events ---------------------------------------------------------------------------------------------------


def apply_events(
    conn: Connection, source: str, events: Sequence[Event], batch_id: int | None, now: datetime
) -> WriteCounts:
    """Insert new events; an event_id already stored with different content is a correction: its old version
    goes to `event_history` and the row is updated. Identical events are left alone. Nothing is deleted."""
    counts = WriteCounts()
    for chunk in _chunks(events):
        counts.add(_apply_event_chunk(conn, source, chunk, batch_id, now))
    return counts


def _apply_event_chunk(
    conn: Connection, source: str, chunk: Sequence[Event], batch_id: int | None, now: datetime
) -> WriteCounts:
    counts = WriteCounts()
    incoming: dict[str, dict[str, Any]] = {}
    for ev in chunk:  # the same event_id twice in one chunk: the later row is a correction of the earlier
        if ev.event_id in incoming:
            counts.add(_apply_rows(conn, source, incoming, batch_id, now))
            incoming = {}
        incoming[ev.event_id] = event_row(ev, source, batch_id)
    counts.add(_apply_rows(conn, source, incoming, batch_id, now))
    return counts


def _apply_rows(
    conn: Connection, source: str, incoming: dict[str, dict[str, Any]], batch_id: int | None, now: datetime
) -> WriteCounts:
    counts = WriteCounts()
    if not incoming:
        return counts
    ev = t.events
    stored = {
        r.event_id: r._mapping
        for r in conn.execute(select(ev).where(ev.c.source == source, ev.c.event_id.in_(list(incoming))))
    }
    new = [r for eid, r in incoming.items() if eid not in stored]
    changed = [r for eid, r in incoming.items() if eid in stored and stored[eid]["content_hash"] != r["content_hash"]]
    counts.unchanged = len(incoming) - len(new) - len(changed)
    bulk_insert(conn, ev, new)
    if changed:
        old = [stored[r["event_id"]] for r in changed]
        history = [
            {**{k: v for k, v in o.items() if k != "id"}, "event_pk": o["id"], "replaced_by_batch_id": batch_id,
             "replaced_at": now}
            for o in old
        ]
        bulk_insert(conn, t.event_history, history)
        cols = [c for c in changed[0] if c not in ("source", "event_id")]
        stmt = update(ev).where(ev.c.id == bindparam("v_id")).values({c: bindparam(f"v_{c}") for c in cols})
        conn.execute(stmt, [
            {"v_id": stored[r["event_id"]]["id"], **{f"v_{c}": r[c] for c in cols}} for r in changed
        ])
        counts.affected_cases.update(o["case_id"] for o in old)
    counts.loaded, counts.corrected = len(new), len(changed)
    counts.affected_cases.update(r["case_id"] for r in new + changed)
    return counts


# -- batches, rejects, meta -----------------------------------------------------------------------------------


def begin_batch(conn: Connection, file_name: str, sha256: str, fmt: str, started_at: datetime) -> int:
    result = conn.execute(
        insert(t.import_batches)
        .values(file_name=file_name, sha256=sha256, format=fmt, started_at=started_at, status="running")
        .returning(t.import_batches.c.id)
    )
    return int(result.scalar_one())


def finish_batch(conn: Connection, batch_id: int, **values: Any) -> None:
    conn.execute(update(t.import_batches).where(t.import_batches.c.id == batch_id).values(**values))


def add_rejects(conn: Connection, batch_id: int, rejects: Sequence[tuple[str, int, str, str]]) -> None:
    """Rejected rows as (file name, line, field, reason)."""
    if rejects:
        bulk_insert(conn, t.rejected_rows, [
            {"batch_id": batch_id, "file_name": f, "line": line, "field": fld, "reason": reason}
            for f, line, fld, reason in rejects
        ])


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).scalar_one_or_none()


def set_meta(conn: Connection, values: dict[str, str]) -> None:
    for key, value in values.items():
        done = conn.execute(update(t.meta).where(t.meta.c.key == key).values(value=value))
        if done.rowcount == 0:
            conn.execute(insert(t.meta).values(key=key, value=value))


def refresh_statistics(conn: Connection, *tables: str) -> None:
    """ANALYZE on PostgreSQL, inside the caller's transaction (which then sees its own new rows counted).
    A table filled by a big first import still looks empty to the planner until autovacuum gets to it, and
    the planner then scans every row of a source for each lookup. SQLite's planner needs no statistics for
    these lookups, so this does nothing there."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.exec_driver_sql(f'ANALYZE "{table}"')
