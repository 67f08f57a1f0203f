"""Reading timelines for the engine and writing its deadlines back.

Recompute streams cases in case_id order, a chunk at a time, with their events (one range query per chunk),
so memory stays flat however many cases there are. Writing compares content hashes: unchanged deadlines are
not rewritten; a changed one keeps its old version in `deadline_history` (reason "changed"); one the engine no
longer produces is moved there (reason "disappeared"), never silently lost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, delete, select, update

from ptrack.tracker.model import Case, Event, Timeline
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.bulk import bulk_insert, insert_stored
from ptrack.tracker.store.rows import DEADLINE_STORED, DeadlineRowValues, same_content

_EVENT_COLS = [t.events.c[f.name] for f in fields(Event)]


@dataclass
class DeadlineCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0  # moved to history because the engine no longer produces them
    skipped_cases: int = 0  # cases whose inputs had not changed: not computed, their deadlines counted unchanged
    failed: list[tuple[str, str]] = field(default_factory=list)  # (case id, error): left as they were


def _case(row: Row[Any]) -> Case:
    return Case(row.case_id, row.initials, row.dob, row.team, row.worker_email, row.manager_email, row.iro_email)


def case_chunks(engine: Engine, case_ids: Sequence[str] | None, size: int) -> Iterator[list[Case]]:
    """Cases in case_id order, `size` at a time: all of them (keyset pagination) or the ids given."""
    c = t.cases.c
    if case_ids is not None:
        ids = sorted(set(case_ids))
        for i in range(0, len(ids), size):
            with engine.connect() as conn:
                rows = conn.execute(select(t.cases).where(c.case_id.in_(ids[i:i + size])).order_by(c.case_id))
                found = [_case(r) for r in rows]
            if found:
                yield found
        return
    last = ""
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(t.cases).where(c.case_id > last).order_by(c.case_id).limit(size))
            chunk = [_case(r) for r in rows]
        if not chunk:
            return
        yield chunk
        last = chunk[-1].case_id


def timelines_for(conn: Connection, cases: Sequence[Case], contiguous: bool) -> list[Timeline]:
    """Each case with its events, oldest first (ties in import order). `contiguous` says the cases are every
    case between the first and last id, so one range query serves; otherwise an IN list."""
    return timelines_and_hashes(conn, cases, contiguous)[0]


def timelines_and_hashes(
    conn: Connection, cases: Sequence[Case], contiguous: bool
) -> tuple[list[Timeline], dict[str, list[str]]]:
    """`timelines_for`, with each case's stored event content hashes in the order of its timeline's events."""
    ev = t.events.c
    # One fact, one event: a second source's record of a stored fact, and a voided event, are not read.
    stmt = (select(*_EVENT_COLS, ev.content_hash).where(ev.same_as.is_(None), ev.voided_at.is_(None))
            .order_by(ev.case_id, ev.date, ev.id))
    if contiguous:
        stmt = stmt.where(ev.case_id >= cases[0].case_id, ev.case_id <= cases[-1].case_id)
    else:
        stmt = stmt.where(ev.case_id.in_([c.case_id for c in cases]))
    by_case: dict[str, list[Event]] = defaultdict(list)
    hashes: dict[str, list[str]] = defaultdict(list)
    width = len(_EVENT_COLS)
    for row in conn.execute(stmt):  # columns in Event's field order, then the content hash
        by_case[row[1]].append(Event(*row[:width]))
        hashes[row[1]].append(row[width])
    return [Timeline(case, tuple(by_case.get(case.case_id, ()))) for case in cases], hashes


def write_deadlines(
    conn: Connection,
    case_ids: Sequence[str],
    rows: Sequence[dict[str, Any]],
    versions: dict[str, str],
    computed_at: datetime,
) -> DeadlineCounts:
    """Replace the stored deadlines of `case_ids` by `rows` (from `rows.deadline_row`), keeping history."""
    stored = _stored_hashes(conn, case_ids) if _any_stored(conn, case_ids) else {}
    counts = DeadlineCounts()
    new: list[Mapping[str, Any]] = []
    differ: list[tuple[Any, Mapping[str, Any]]] = []
    restamp: list[Any] = []
    for row in rows:
        old = stored.pop((row["case_id"], row["key"]), None) if stored else None
        if old is None:
            new.append(row)
        elif old["content_hash"] != row["content_hash"]:
            differ.append((old, row))
        elif any(old[k] != v for k, v in versions.items()):
            restamp.append(old["id"])
        else:
            counts.unchanged += 1
    changed, reencoded = _really_changed(conn, differ)
    _archive(conn, [old["id"] for old, _ in changed], "changed", computed_at)
    gone = [r["id"] for r in stored.values()]
    _archive(conn, gone, "disappeared", computed_at)
    for i in range(0, len(gone), 900):
        conn.execute(delete(t.deadlines).where(t.deadlines.c.id.in_(gone[i:i + 900])))
    _insert(conn, new, versions, computed_at)
    extra = {**versions, "computed_at": computed_at}
    _update(conn, [(old["id"], {**row, **extra}) for old, row in changed + reencoded])
    _restamp(conn, restamp, versions, computed_at)
    counts.inserted, counts.updated, counts.archived = len(new), len(changed), len(stored)
    counts.unchanged += len(restamp) + len(reencoded)
    return counts


def _any_stored(conn: Connection, case_ids: Sequence[str]) -> bool:
    """Whether any of the cases has a stored deadline: a first recompute (an import of new cases) reads none."""
    d = t.deadlines.c
    return any(
        conn.execute(select(d.id).where(d.case_id.in_(case_ids[i:i + 900])).limit(1)).first() is not None
        for i in range(0, len(case_ids), 900)
    )


def _really_changed(
    conn: Connection, differ: list[tuple[Any, Mapping[str, Any]]]
) -> tuple[list[tuple[Any, Mapping[str, Any]]], list[tuple[Any, Mapping[str, Any]]]]:
    """Split rows whose content hash differs into those whose content changed and those only stored in another
    form (an explanation written before the compact form): the latter are rewritten, not archived."""
    if not differ:
        return [], []
    d = t.deadlines
    full: dict[Any, Any] = {}
    ids = [old["id"] for old, _ in differ]
    for i in range(0, len(ids), 900):
        for r in conn.execute(select(d).where(d.c.id.in_(ids[i:i + 900]))).mappings():
            full[r["id"]] = r
    changed = [(old, row) for old, row in differ if not same_content(full[old["id"]], row)]
    reencoded = [(old, row) for old, row in differ if same_content(full[old["id"]], row)]
    return changed, reencoded


def _insert(conn: Connection, rows: Sequence[Mapping[str, Any]], versions: dict[str, str], at: datetime) -> None:
    """New deadlines: rows from `rows.deadline_row` carry their stored values ready for the driver."""
    if not rows:
        return
    if all(isinstance(r, DeadlineRowValues) for r in rows):
        insert_stored(conn, t.deadlines, DEADLINE_STORED, [r.stored for r in rows],  # type: ignore[attr-defined]
                      {**versions, "computed_at": at})
        return
    bulk_insert(conn, t.deadlines, [{**r, **versions, "computed_at": at} for r in rows])


def _stored_hashes(conn: Connection, case_ids: Sequence[str]) -> dict[tuple[str, str], Any]:
    """What is needed to decide what changed, without reading whole rows: id, hash and versions by key."""
    d = t.deadlines.c
    cols = (d.id, d.case_id, d.key, d.content_hash, d.ruleset_version, d.calendar_version)
    stored: dict[tuple[str, str], Any] = {}
    for i in range(0, len(case_ids), 900):
        for r in conn.execute(select(*cols).where(d.case_id.in_(case_ids[i:i + 900]))).mappings().all():
            stored[(r["case_id"], r["key"])] = r
    return stored


def _archive(conn: Connection, ids: list[int], reason: str, now: datetime) -> None:
    """Copy the stored rows `ids` into deadline_history with the reason."""
    d = t.deadlines
    for i in range(0, len(ids), 900):
        rows = conn.execute(select(d).where(d.c.id.in_(ids[i:i + 900]))).mappings()
        bulk_insert(conn, t.deadline_history, [
            {**{k: v for k, v in r.items() if k != "id"}, "deadline_pk": r["id"], "reason": reason,
             "archived_at": now}
            for r in rows
        ])


def _update(conn: Connection, changes: list[tuple[int, dict[str, Any]]]) -> None:
    if not changes:
        return
    d = t.deadlines
    cols = [c for c in changes[0][1] if c not in ("case_id", "key")]
    stmt = update(d).where(d.c.id == bindparam("v_id")).values({c: bindparam(f"v_{c}") for c in cols})
    conn.execute(stmt, [{"v_id": pk, **{f"v_{c}": row[c] for c in cols}} for pk, row in changes])


def _restamp(conn: Connection, ids: list[int], versions: dict[str, str], now: datetime) -> None:
    """Same content under a new ruleset or calendar version: record the versions it was computed with."""
    d = t.deadlines
    for i in range(0, len(ids), 900):
        conn.execute(update(d).where(d.c.id.in_(ids[i:i + 900])).values(**versions, computed_at=now))
