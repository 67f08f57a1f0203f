"""Reading timelines for the engine and writing its deadlines back.

Recompute streams cases in case_id order, a chunk at a time, with their events (one range query per chunk),
so memory stays flat however many cases there are. Writing compares content hashes: unchanged deadlines are
not rewritten; a changed one keeps its old version in `deadline_history` (reason "changed"); one the engine no
longer produces is moved there (reason "disappeared"), never silently lost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, Table, bindparam, delete, insert, select, update

from ptrack.tracker.model import Case, Event, Timeline
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.bulk import conflict_insert, insert_stored
from ptrack.tracker.store.rows import DEADLINE_STORED, TEXT_FIELDS, ComputedRow, same_content

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
    if conn.dialect.name == "sqlite":
        return _sqlite_timelines(conn, cases, contiguous)
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


# The same query as `timelines_and_hashes` builds, for SQLite's own cursor: plain tuples, no SQLAlchemy row or
# result processing (a tenth of a recompute's CPU went to fetching). The values are converted here as the
# column types would: `date` is ISO text, the booleans 0/1 (or NULL).
_SQLITE_EVENTS = (
    "SELECT " + ", ".join(f'"{c.name}"' for c in _EVENT_COLS) + ', "content_hash" FROM "events" '
    'WHERE "same_as" IS NULL AND "voided_at" IS NULL AND {where} ORDER BY "case_id", "date", "id"'
)
_ISO_DATES: dict[str, date] = {}  # ISO text -> date: a caseload's events share a few thousand dates


def _sqlite_timelines(
    conn: Connection, cases: Sequence[Case], contiguous: bool
) -> tuple[list[Timeline], dict[str, list[str]]]:
    ids = [c.case_id for c in cases]
    if contiguous:
        sql, params = _SQLITE_EVENTS.format(where='"case_id" >= ? AND "case_id" <= ?'), [ids[0], ids[-1]]
    else:
        sql, params = _SQLITE_EVENTS.format(where='"case_id" IN (' + ", ".join("?" * len(ids)) + ")"), ids
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        rows = cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()
    by_case: dict[str, list[Event]] = {}
    hashes: dict[str, list[str]] = {}
    dates = _ISO_DATES
    fromiso = date.fromisoformat
    last = None
    events: list[Event] = []
    digests: list[str] = []
    for event_id, case_id, kind, day, placement_kind, until_18, subkind, weeks, short_break, note, digest in rows:
        if case_id != last:  # rows come in case order
            last, events, digests = case_id, [], []
            by_case[case_id], hashes[case_id] = events, digests
        on = dates.get(day)
        if on is None:
            on = dates[day] = fromiso(day)
        events.append(Event(
            event_id, case_id, kind, on, placement_kind, None if until_18 is None else bool(until_18), subkind,
            weeks, bool(short_break), note,
        ))
        digests.append(digest)
    return [Timeline(case, tuple(by_case.get(case.case_id, ()))) for case in cases], hashes


# A deadline as readers see it: its own columns with its rule's words and its computation's versions, under
# the names `rows.row_deadline` and `queries.DeadlineRow` read.
_OWN = [c for c in t.deadlines.c if c.name not in ("texts_id", "computation_id")]
DEADLINE_VIEW = [*_OWN, *(t.rule_texts.c[f] for f in TEXT_FIELDS), t.computations.c.ruleset_version,
                 t.computations.c.calendar_version, t.computations.c.computed_at]
DEADLINES_JOINED = t.deadlines.join(t.rule_texts, t.rule_texts.c.id == t.deadlines.c.texts_id).join(
    t.computations, t.computations.c.id == t.deadlines.c.computation_id)


def select_deadlines(*extra: Any) -> Select[Any]:
    """SELECT the deadline view (and `extra` columns) FROM deadlines with their texts and computations."""
    return select(*DEADLINE_VIEW, *extra).select_from(DEADLINES_JOINED)


def write_deadlines(
    conn: Connection,
    case_ids: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    versions: dict[str, str],
    computed_at: datetime,
) -> DeadlineCounts:
    """Replace the stored deadlines of `case_ids` by `rows` (from `rows.deadline_row`), keeping history."""
    stored = _stored_hashes(conn, case_ids) if _any_stored(conn, case_ids) else {}
    counts = DeadlineCounts()
    new: list[Mapping[str, Any]] = []
    differ: list[tuple[Any, Mapping[str, Any]]] = []
    restamp: list[Any] = []
    current = _computations_of(conn, versions) if stored else set()
    if not stored:  # nothing stored for these cases (a cold recompute, new cases): every row is new
        new = list(rows)
    for row in rows if stored else ():
        old = stored.pop((row["case_id"], row["key"]), None) if stored else None
        if old is None:
            new.append(row)
        elif old["content_hash"] != row["content_hash"]:
            differ.append((old, row))
        elif old["computation_id"] not in current:
            restamp.append(old["id"])
        else:
            counts.unchanged += 1
    changed, reencoded = _really_changed(conn, differ)
    _archive(conn, [old["id"] for old, _ in changed], "changed", computed_at)
    gone = [r["id"] for r in stored.values()]
    _archive(conn, gone, "disappeared", computed_at)
    for i in range(0, len(gone), 900):
        conn.execute(delete(t.deadlines).where(t.deadlines.c.id.in_(gone[i:i + 900])))
    if new or changed or reencoded or restamp:
        computation = _computation(conn, versions, computed_at)
        texts = _text_ids(conn, [r for r in new] + [row for _, row in changed + reencoded])
        _insert(conn, new, computation, texts)
        _update(conn, [(old["id"], row) for old, row in changed + reencoded], computation, texts)
        _restamp(conn, restamp, computation)
    counts.inserted, counts.updated, counts.archived = len(new), len(changed), len(stored)
    counts.unchanged += len(restamp) + len(reencoded)
    return counts


def insert_deadlines(
    conn: Connection, rows: Sequence[Mapping[str, Any]], versions: dict[str, str], computed_at: datetime
) -> None:
    """Insert `rows` (from `rows.deadline_row`, none of them stored yet) as computed with `versions` at
    `computed_at`: what `write_deadlines` does with new deadlines, without looking at the stored ones."""
    if rows:
        _insert(conn, rows, _computation(conn, versions, computed_at), _text_ids(conn, rows))


def _get_or_add(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    """The id of the row of `table` holding `values`, added if absent (concurrent writers agree on one)."""
    where = [table.c[k] == v for k, v in values.items()]
    found = conn.execute(select(table.c.id).where(*where)).scalar()
    if found is not None:
        return int(found)
    if conn.dialect.name in ("postgresql", "sqlite"):
        conn.execute(conflict_insert(conn.dialect.name)(table).values(values).on_conflict_do_nothing())
    else:
        conn.execute(insert(table).values(values))
    return int(conn.execute(select(table.c.id).where(*where)).scalar_one())


def _computation(conn: Connection, versions: dict[str, str], computed_at: datetime) -> int:
    """The id of the computation (rule set and calendar versions, clock) the deadlines written now record."""
    return _get_or_add(conn, t.computations, {**versions, "computed_at": computed_at})


def _computations_of(conn: Connection, versions: dict[str, str]) -> set[int]:
    """The ids of every computation under these versions: a deadline recorded with one of them is current."""
    c = t.computations.c
    query = select(c.id).where(*(c[k] == v for k, v in versions.items()))
    return {int(i) for i in conn.execute(query).scalars()}


def _text_ids(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, ...], int]:
    """The `rule_texts` id of each distinct (obligation, anchor event, source, counting) of `rows`."""
    wanted = {r.texts if type(r) is ComputedRow else _texts(r) for r in rows}
    if not wanted:
        return {}
    tx = t.rule_texts.c
    known = {tuple(r[1:]): int(r[0]) for r in conn.execute(select(tx.id, *(tx[f] for f in TEXT_FIELDS)))}
    for texts in wanted - known.keys():
        known[texts] = _get_or_add(conn, t.rule_texts, dict(zip(TEXT_FIELDS, texts, strict=True)))
    return known


def _texts(row: Mapping[str, Any]) -> tuple[str, ...]:
    """The row's (obligation, anchor event, source, counting): made once by `rows.deadline_row`."""
    texts: tuple[str, ...] | None = getattr(row, "texts", None)
    return texts if texts is not None else tuple(row[f] for f in TEXT_FIELDS)


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
    form (an explanation or content hash written by an earlier ptrack): the latter are rewritten, not archived."""
    if not differ:
        return [], []
    d = t.deadlines
    full: dict[Any, Any] = {}
    ids = [old["id"] for old, _ in differ]
    for i in range(0, len(ids), 900):
        for r in conn.execute(select_deadlines().where(d.c.id.in_(ids[i:i + 900]))).mappings():
            full[r["id"]] = r
    changed = [(old, row) for old, row in differ if not same_content(full[old["id"]], row)]
    reencoded = [(old, row) for old, row in differ if same_content(full[old["id"]], row)]
    return changed, reencoded


def _values(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in DEADLINE_STORED)


def _insert(conn: Connection, rows: Sequence[Mapping[str, Any]], computation: int,
            texts: dict[tuple[str, ...], int]) -> None:
    """New deadlines: rows from `rows.deadline_row` carry their values ready for the driver (on SQLite, dates as
    day numbers)."""
    if not rows:
        return
    dialect = conn.dialect.name
    if all(type(r) is ComputedRow for r in rows):
        if dialect == "sqlite":
            values = [r.stored + (texts[r.texts],) for r in rows]  # type: ignore[attr-defined]
        else:
            values = [r.plain() + (texts[r.texts],) for r in rows]  # type: ignore[attr-defined]
    else:
        values = [(*_values(r), texts[_texts(r)]) for r in rows]
    if dialect == "postgresql":
        from ptrack.tracker.store.pg_copy import copy_deadlines

        copy_deadlines(conn, values, computation)
        return
    if dialect == "sqlite":
        insert_stored(conn, t.deadlines, (*DEADLINE_STORED, "texts_id"), values, {"computation_id": computation})
        return
    names = (*DEADLINE_STORED, "texts_id", "computation_id")
    conn.execute(insert(t.deadlines), [dict(zip(names, (*v, computation), strict=True)) for v in values])


def _stored_hashes(conn: Connection, case_ids: Sequence[str]) -> dict[tuple[str, str], Any]:
    """What is needed to decide what changed, without reading whole rows: id, hash and computation by key."""
    d = t.deadlines.c
    cols = (d.id, d.case_id, d.key, d.content_hash, d.computation_id)
    stored: dict[tuple[str, str], Any] = {}
    for i in range(0, len(case_ids), 900):
        for r in conn.execute(select(*cols).where(d.case_id.in_(case_ids[i:i + 900]))).mappings().all():
            stored[(r["case_id"], r["key"])] = r
    return stored


_HISTORY = [c.name for c in t.deadlines.c if c.name != "id"]
_HISTORY_DATES = [i for i, name in enumerate(_HISTORY) if isinstance(t.deadlines.c[name].type, t.DayDate)]


def _archive(conn: Connection, ids: list[int], reason: str, now: datetime) -> None:
    """Copy the stored rows `ids` into deadline_history with the reason."""
    d = t.deadlines
    sqlite = conn.dialect.name == "sqlite"
    for i in range(0, len(ids), 900):
        rows = conn.execute(select(d.c.id, *(d.c[c] for c in _HISTORY)).where(d.c.id.in_(ids[i:i + 900]))).all()
        if not rows:
            continue
        values = [list(r) for r in rows]
        if sqlite:  # the stored form of the dates, as `schema.DayDate` writes them
            for v in values:
                for j in _HISTORY_DATES:
                    day = v[j + 1]
                    v[j + 1] = None if day is None else day.toordinal() - t.EPOCH_ORDINAL
        if conn.dialect.name in ("sqlite", "postgresql"):
            insert_stored(conn, t.deadline_history, ["deadline_pk", *_HISTORY], [tuple(v) for v in values],
                          {"reason": reason, "archived_at": now})
        else:
            conn.execute(insert(t.deadline_history), [
                {"deadline_pk": r[0], **dict(zip(_HISTORY, r[1:], strict=True)), "reason": reason,
                 "archived_at": now} for r in rows])


def _update(conn: Connection, changes: list[tuple[int, Mapping[str, Any]]], computation: int,
            texts: dict[tuple[str, ...], int]) -> None:
    if not changes:
        return
    d = t.deadlines
    cols = [c for c in DEADLINE_STORED if c not in ("case_id", "key")]
    stmt = update(d).where(d.c.id == bindparam("v_id")).values(
        {c: bindparam(f"v_{c}") for c in (*cols, "texts_id", "computation_id")})
    conn.execute(stmt, [
        {"v_id": pk, **{f"v_{c}": row[c] for c in cols}, "v_texts_id": texts[_texts(row)],
         "v_computation_id": computation}
        for pk, row in changes
    ])


def _restamp(conn: Connection, ids: list[int], computation: int) -> None:
    """Same content under a new ruleset or calendar version: record the computation it now comes from."""
    d = t.deadlines
    for i in range(0, len(ids), 900):
        conn.execute(update(d).where(d.c.id.in_(ids[i:i + 900])).values(computation_id=computation))
