"""Writing imported events in bulk: the hot path of every import (a 1,000,000-row SSDA903 return gives 1.3
million events), so rows go to the driver as plain tuples and only ids that may already be stored are read.

Per chunk of events with distinct ids (the same id twice in one chunk splits it: the later row is a correction
of the earlier):
- SQLite: the rows are inserted with `ON CONFLICT (source, event_id) DO NOTHING`. When every row went in (a
  first load, or new events) that was all. Otherwise the rows stored before the insert (rowid not above the
  largest before it: SQLite gives new rows larger rowids) are read back with their content hashes, one
  set-based query per 900 ids.
- PostgreSQL: the ids are looked up with one `event_id = ANY(array)` query, then the new rows are COPYed.
A stored row whose content hash differs is a correction: its old version goes to `event_history` and the row
is updated. An identical row is counted unchanged and left alone. Nothing is deleted."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from hashlib import blake2b
from typing import Any

from sqlalchemy import Connection, bindparam, exists, func, select, update
from sqlalchemy.exc import DBAPIError

from ptrack.tracker.model import Event
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.bulk import bulk_insert, write_tuples
from ptrack.tracker.store.counts import WriteCounts
from ptrack.tracker.store.rows import event_hash

LOOKUP_CHUNK = 900  # ids per IN (...) list, under SQLite's bound-parameter limit on every build
COLUMNS = ("source", "event_id", "case_id", "kind", "date", "placement_kind", "intended_until_18", "subkind",
           "weeks", "short_break", "note", "content_hash", "batch_id")
_NAMES = ", ".join(f'"{c}"' for c in COLUMNS)
_SQLITE_INSERT = (f"INSERT INTO events ({_NAMES}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
                  "ON CONFLICT (source, event_id) DO NOTHING")
_PG_COPY = f"COPY events ({_NAMES}) FROM STDIN"
_PG_LOOKUP = "SELECT event_id, id, content_hash FROM events WHERE source = %s AND event_id = ANY(%s)"
_UPDATED = [c for c in COLUMNS if c not in ("source", "event_id")]
_HISTORY_KEPT = frozenset(COLUMNS)  # what event_history keeps of a replaced version

Row = tuple[Any, ...]
Stored = dict[str, tuple[int, str]]  # event_id -> (row id, content hash) of rows already in the table


def _sqlite_row(e: Event, source: str, batch_id: int | None) -> Row:
    # `rows.event_hash` written out, to format the date once: this runs for every imported event.
    day, i18, sub, weeks, short, note = (
        e.date.isoformat(), e.intended_until_18, e.subkind, e.weeks, e.short_break, e.note)
    digest = blake2b(repr((e.case_id, e.kind, day, e.placement_kind, i18, sub, weeks, short, note)).encode(),
                     digest_size=16).hexdigest()
    return (source, e.event_id, e.case_id, e.kind, day, e.placement_kind, None if i18 is None else int(i18), sub,
            weeks, int(short), note, digest, batch_id)


def _pg_row(e: Event, source: str, batch_id: int | None) -> Row:
    return (source, e.event_id, e.case_id, e.kind, e.date, e.placement_kind, e.intended_until_18, e.subkind,
            e.weeks, e.short_break, e.note, event_hash(e), batch_id)


class EventWriter:
    """Writes one import's events from one source within the caller's transaction."""

    def __init__(self, conn: Connection, source: str, batch_id: int | None, now: datetime) -> None:
        self.conn = conn
        self.source = source
        self.batch_id = batch_id
        self.now = now
        self.dialect = conn.dialect.name
        self._to_row: Callable[[Event, str, int | None], Row] = (
            _sqlite_row if self.dialect == "sqlite" else _pg_row)

    def write(self, events: Sequence[Event], outcomes: list[str] | None = None) -> WriteCounts:
        """Write the events; `outcomes`, when given, gets "loaded", "unchanged" or "corrected" for each."""
        counts = WriteCounts()
        to_row, source, batch_id = self._to_row, self.source, self.batch_id
        for run in _distinct_runs(events):
            self._write_run(run, [to_row(e, source, batch_id) for e in run], counts, outcomes)
        return counts

    def _write_run(
        self, events: Sequence[Event], rows: list[Row], counts: WriteCounts, outcomes: list[str] | None = None
    ) -> None:
        if not events:
            return
        if self.dialect == "sqlite":
            stored = self._insert_sqlite(events, rows)
        elif self.dialect == "postgresql":
            stored = self._lookup_pg([e.event_id for e in events])
            self._copy_pg([row for e, row in zip(events, rows, strict=True) if e.event_id not in stored])
        else:
            stored = self._lookup_core([e.event_id for e in events])
            bulk_insert(self.conn, t.events, [dict(zip(COLUMNS, row, strict=True))
                                              for e, row in zip(events, rows, strict=True)
                                              if e.event_id not in stored])
        if outcomes is not None:
            outcomes.extend(
                "loaded" if e.event_id not in stored
                else "unchanged" if stored[e.event_id][1] == row[11] else "corrected"
                for e, row in zip(events, rows, strict=True))
        if not stored:  # all new: a first load, or new events
            counts.loaded += len(events)
            counts.affected_cases.update([e.case_id for e in events])
            return
        pairs = list(zip(events, rows, strict=True))
        changed = [(stored[e.event_id][0], e, row) for e, row in pairs
                   if e.event_id in stored and stored[e.event_id][1] != row[11]]
        counts.loaded += len(events) - len(stored)
        counts.corrected += len(changed)
        counts.unchanged += len(stored) - len(changed)
        counts.affected_cases.update(e.case_id for e, _ in pairs if e.event_id not in stored)
        if changed:
            self._correct(changed, counts)

    # -- SQLite -------------------------------------------------------------------------------------------------

    def _insert_sqlite(self, events: Sequence[Event], rows: list[Row]) -> Stored:
        conn = self.conn
        before = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM events").scalar_one())
        if conn.exec_driver_sql(_SQLITE_INSERT, rows).rowcount == len(rows):
            return {}
        stored: Stored = {}
        ids = [e.event_id for e in events]
        for i in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[i:i + LOOKUP_CHUNK]
            sql = (f"SELECT event_id, id, content_hash FROM events WHERE source = ? AND id <= ? "
                   f"AND event_id IN ({', '.join('?' for _ in chunk)})")
            for eid, pk, digest in conn.exec_driver_sql(sql, (self.source, before, *chunk)):
                stored[eid] = (pk, digest)
        return stored

    # -- PostgreSQL ---------------------------------------------------------------------------------------------

    def _lookup_pg(self, ids: list[str]) -> Stored:
        result = self.conn.exec_driver_sql(_PG_LOOKUP, (self.source, ids))
        return {eid: (pk, digest) for eid, pk, digest in result}

    def _copy_pg(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        try:
            write_tuples(self.conn, t.events, COLUMNS, rows)
        except self.conn.dialect.loaded_dbapi.Error as exc:  # leave as SQLAlchemy's error, like every query
            raise DBAPIError(_PG_COPY, None, exc) from exc

    # -- other databases, and corrections -----------------------------------------------------------------------

    def _lookup_core(self, ids: list[str]) -> Stored:
        ev = t.events.c
        stored: Stored = {}
        for i in range(0, len(ids), LOOKUP_CHUNK):
            query = select(ev.event_id, ev.id, ev.content_hash).where(
                ev.source == self.source, ev.event_id.in_(ids[i:i + LOOKUP_CHUNK]))
            stored.update((r.event_id, (r.id, r.content_hash)) for r in self.conn.execute(query))
        return stored

    def _correct(self, changed: list[tuple[int, Event, Row]], counts: WriteCounts) -> None:
        """Keep each stored version in `event_history`, then update the row to the incoming one. Corrections
        are rare, so this goes through SQLAlchemy Core with the rows' Python values."""
        ev = t.events
        old: list[dict[str, Any]] = []
        pks = [pk for pk, _, _ in changed]
        for i in range(0, len(pks), LOOKUP_CHUNK):
            old.extend(dict(r._mapping) for r in self.conn.execute(
                select(ev).where(ev.c.id.in_(pks[i:i + LOOKUP_CHUNK]))))
        bulk_insert(self.conn, t.event_history, [
            {**{k: v for k, v in o.items() if k in _HISTORY_KEPT}, "event_pk": o["id"],
             "replaced_by_batch_id": self.batch_id, "replaced_at": self.now}
            for o in old
        ])
        stmt = update(ev).where(ev.c.id == bindparam("v_id")).values({c: bindparam(f"v_{c}") for c in _UPDATED})
        self.conn.execute(stmt, [
            {"v_id": pk, **{f"v_{c}": v for c, v in zip(COLUMNS, _pg_row(e, self.source, self.batch_id),
                                                            strict=True) if c in _UPDATED}}
            for pk, e, _ in changed
        ])
        counts.affected_cases.update(o["case_id"] for o in old)
        counts.affected_cases.update(e.case_id for _, e, _ in changed)


def batch_case_count(conn: Connection, batch_id: int, case_ids: Collection[str]) -> int:
    """How many of `case_ids` have an event of the batch that timelines read (not voided, not another source's
    fact): `len(queries.batch_event_ids(...))` without reading the events back."""
    ev, cs = t.events.c, t.cases.c
    has = exists().where(ev.case_id == cs.case_id, ev.batch_id == batch_id, ev.same_as.is_(None),
                         ev.voided_at.is_(None))
    ids = sorted(case_ids)
    return sum(int(conn.execute(select(func.count()).select_from(t.cases)
                                .where(cs.case_id.in_(ids[i:i + LOOKUP_CHUNK]), has)).scalar_one())
               for i in range(0, len(ids), LOOKUP_CHUNK))


def _distinct_runs(events: Sequence[Event]) -> list[Sequence[Event]]:
    """`events` cut before each id that repeats within its run, so every run has distinct ids: the later row of
    a repeated id is then written after, and as a correction of, the earlier one."""
    if len({e.event_id for e in events}) == len(events):
        return [events]
    runs: list[Sequence[Event]] = []
    seen: set[str] = set()
    start = 0
    for i, e in enumerate(events):
        if e.event_id in seen:
            runs.append(events[start:i])
            seen, start = set(), i
        seen.add(e.event_id)
    runs.append(events[start:])
    return runs
