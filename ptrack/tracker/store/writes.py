"""Writing imported data: cases, people, events (with corrections kept in `event_history`; the event writer
is `event_writes`), import batches, rejected rows and the `meta` table. Every function takes the connection of
the caller's transaction and writes in bulk (executemany or COPY), never one ORM object per row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from ptrack.tracker.model import Case, Event, Person
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.bulk import bulk_insert
from ptrack.tracker.store.counts import WriteCounts as WriteCounts  # re-exported
from ptrack.tracker.store.event_writes import EventWriter

LOOKUP_CHUNK = 900  # ids per IN (...) query, under SQLite's bound-parameter limit everywhere


def _chunks(items: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# -- cases and people -----------------------------------------------------------------------------------------


def case_dobs(conn: Connection) -> dict[str, date | None]:
    """Every known case id and its date of birth (None when unknown), for validating events. Read at the start
    of every import, so on SQLite from the driver's rows (dates as ISO text, as SQLAlchemy stores them): half
    the time of the Core query for 100,000 cases."""
    if conn.dialect.name == "sqlite":
        day = date.fromisoformat
        return {case_id: day(dob) if dob else None
                for case_id, dob in conn.exec_driver_sql("SELECT case_id, dob FROM cases")}
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
    goes to `event_history` and the row is updated. Identical events are left alone. Nothing is deleted.
    (`EventWriter` in `event_writes`; an import keeps one writer for the whole file.)"""
    return EventWriter(conn, source, batch_id, now).write(events)


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


BULK_CACHE_KIB = 65536


@contextmanager
def bulk_loading(conn: Connection) -> Iterator[None]:
    """SQLite's page cache at 64 MB, not the default 2 MB, while one file loads: the indexes a big import grows
    then stay in memory instead of spilling dirty pages to the WAL mid-transaction. Set back afterwards, since
    the connection returns to the pool. (WAL and synchronous=NORMAL are set on every connection.)"""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        if not conn.invalidated:  # a lost connection is discarded by the pool, setting and all
            conn.exec_driver_sql(f"PRAGMA cache_size = {before}")


def refresh_statistics(conn: Connection, *tables: str) -> None:
    """ANALYZE on PostgreSQL, inside the caller's transaction (which then sees its own new rows counted).
    A table filled by a big first import still looks empty to the planner until autovacuum gets to it, and
    the planner then scans every row of a source for each lookup. SQLite's planner needs no statistics for
    these lookups, so this does nothing there."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.exec_driver_sql(f'ANALYZE "{table}"')
