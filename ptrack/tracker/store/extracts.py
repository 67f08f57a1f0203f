"""Writes and queries for case-system extracts (SSDA903, SSD) and the drop folder: partial case details merged
into stored cases, the case system's own review due dates, and import batches looked up by file hash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update

from ptrack.tracker.importing.extract_records import Allocation, CaseDetails, CaseSystemDue
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.bulk import bulk_insert
from ptrack.tracker.store.deadlines import select_deadlines
from ptrack.tracker.store.extract_schema import case_system_due_dates as dues_table
from ptrack.tracker.store.extract_schema import worker_allocations as alloc_table
from ptrack.tracker.store.writes import LOOKUP_CHUNK, WriteCounts

_DETAIL_FIELDS = ("dob", "team", "worker_email")


def merge_case_details(conn: Connection, details: Sequence[CaseDetails]) -> WriteCounts:
    """New cases are inserted with what is known; a stored case gets only the fields the extract knows
    (non-empty) and that differ. Nothing is ever cleared: a 903 header never blanks a team set by cases.csv."""
    counts = WriteCounts()
    for start in range(0, len(details), LOOKUP_CHUNK):
        by_id = {d.case_id: d for d in details[start:start + LOOKUP_CHUNK]}
        stored = {
            r.case_id: r._mapping
            for r in conn.execute(select(t.cases).where(t.cases.c.case_id.in_(list(by_id))))
        }
        new = [_new_case(d) for cid, d in by_id.items() if cid not in stored]
        bulk_insert(conn, t.cases, new)
        changed = [_changes(d, stored[cid]) for cid, d in by_id.items() if cid in stored]
        for case_id, values in ((c, v) for c, v in changed if v):
            conn.execute(update(t.cases).where(t.cases.c.case_id == case_id).values(**values))
        corrected = [c for c, v in changed if v]
        counts.loaded += len(new)
        counts.corrected += len(corrected)
        counts.unchanged += len(by_id) - len(new) - len(corrected)
        counts.affected_cases.update([r["case_id"] for r in new] + corrected)
    return counts


def _new_case(d: CaseDetails) -> dict[str, Any]:
    row = {"case_id": d.case_id, "initials": "", "dob": None, "team": "", "worker_email": "",
           "manager_email": "", "iro_email": ""}
    row.update({k: v for k, v in asdict(d).items() if k != "case_id" and v not in (None, "")})
    return row


def _changes(d: CaseDetails, stored: Any) -> tuple[str, dict[str, Any]]:
    values = {f: getattr(d, f) for f in _DETAIL_FIELDS if getattr(d, f) not in (None, "")}
    return d.case_id, {f: v for f, v in values.items() if stored[f] != v}


def upsert_case_system_dues(
    conn: Connection, dues: Sequence[CaseSystemDue], batch_id: int | None, now: datetime
) -> WriteCounts:
    """Insert or update the case system's due dates by (source, review id). They change no deadline, so no
    case is reported as affected."""
    counts = WriteCounts()
    by_key = {(d.source, d.review_id): d for d in dues}
    for source in {s for s, _ in by_key}:
        ids = [rid for s, rid in by_key if s == source]
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start:start + LOOKUP_CHUNK]
            stored = {
                r.review_id: r for r in conn.execute(select(dues_table).where(
                    and_(dues_table.c.source == source, dues_table.c.review_id.in_(chunk))))
            }
            rows = [_due_row(by_key[(source, rid)], batch_id, now) for rid in chunk]
            new = [r for r in rows if r["review_id"] not in stored]
            changed = [r for r in rows if r["review_id"] in stored and _differs(r, stored[r["review_id"]])]
            bulk_insert(conn, dues_table, new)
            _update_dues(conn, changed)
            counts.loaded += len(new)
            counts.corrected += len(changed)
            counts.unchanged += len(rows) - len(new) - len(changed)
    return counts


def _due_row(d: CaseSystemDue, batch_id: int | None, now: datetime) -> dict[str, Any]:
    return {"source": d.source, "review_id": d.review_id, "case_id": d.case_id, "due": d.due,
            "review_date": d.review_date, "event_id": d.event_id, "batch_id": batch_id, "imported_at": now}


def _differs(row: dict[str, Any], stored: Any) -> bool:
    return any(row[k] != getattr(stored, k) for k in ("case_id", "due", "review_date", "event_id"))


def _update_dues(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    cols = ("case_id", "due", "review_date", "event_id", "batch_id", "imported_at")
    stmt = update(dues_table).where(
        and_(dues_table.c.source == bindparam("k_source"), dues_table.c.review_id == bindparam("k_review_id"))
    ).values({c: bindparam(f"v_{c}") for c in cols})
    conn.execute(stmt, [
        {"k_source": r["source"], "k_review_id": r["review_id"], **{f"v_{c}": r[c] for c in cols}} for r in rows
    ])


def imported_hashes(conn: Connection, hashes: Sequence[str]) -> set[str]:
    """The hashes among `hashes` of files already imported whole, without rejects. A file with rejected rows
    does not count: dropped again once the cause is fixed (the case arrived), its rejected rows must load."""
    if not hashes:
        return set()
    b = t.import_batches
    query = select(b.c.sha256).where(b.c.sha256.in_(list(hashes)), b.c.status == "ok")
    return {r.sha256 for r in conn.execute(query)}


def case_system_dues(conn: Connection, source: str | None = None) -> list[dict[str, Any]]:
    """Every stored case-system due date, by case and due date."""
    query = select(dues_table).order_by(dues_table.c.case_id, dues_table.c.due, dues_table.c.review_id)
    if source is not None:
        query = query.where(dues_table.c.source == source)
    return [dict(r._mapping) for r in conn.execute(query)]


def review_deadlines(conn: Connection, case_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The review deadlines (obligation cla_review) of `case_ids`, by case and due date."""
    d = t.deadlines
    out: list[dict[str, Any]] = []
    for start in range(0, len(case_ids), LOOKUP_CHUNK):
        query = select_deadlines().where(d.c.case_id.in_(list(case_ids[start:start + LOOKUP_CHUNK])),
                                         t.rule_texts.c.obligation == "cla_review").order_by(d.c.case_id, d.c.due)
        out += [dict(r._mapping) for r in conn.execute(query)]
    return out


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def upsert_allocations(
    conn: Connection, allocations: Sequence[Allocation], batch_id: int | None, now: datetime,
) -> WriteCounts:
    """Insert or update worker allocations by (source, case, start). They change no deadline, only who is told."""
    counts = WriteCounts()
    by_key = {(a.source, a.case_id, a.start): a for a in allocations}
    a = alloc_table.c
    for source, case_id, start in by_key:
        new = by_key[(source, case_id, start)]
        stored = conn.execute(select(a.id, a.sw_id, a.end).where(
            a.source == source, a.case_id == case_id, a.start == start)).first()
        if stored is None:
            bulk_insert(conn, alloc_table, [{"source": source, "case_id": case_id, "sw_id": new.sw_id,
                                             "start": start, "end": new.end, "batch_id": batch_id,
                                             "imported_at": now}])
            counts.loaded += 1
        elif (stored.sw_id, stored.end) != (new.sw_id, new.end):
            conn.execute(update(alloc_table).where(a.id == stored.id).values(
                sw_id=new.sw_id, end=new.end, batch_id=batch_id, imported_at=now))
            counts.corrected += 1
        else:
            counts.unchanged += 1
    return counts


def allocated_on(
    conn: Connection, day: date, cases: tuple[str, str] | None = None,
) -> dict[str, tuple[str, str]]:
    """case id -> (sw_id, email) of the worker allocated on `day` (the latest allocation starting on or before
    it and not ended before it); the email is "" when no person in people.csv has that sw_id."""
    a, p = alloc_table.c, t.people.c
    stmt = (select(a.case_id, a.sw_id, a.start, p.email)
            .outerjoin(t.people, and_(p.sw_id == a.sw_id, p.sw_id != ""))
            .where(a.start <= day, (a.end.is_(None)) | (a.end >= day))
            .order_by(a.case_id, a.start))
    if cases is not None:
        stmt = stmt.where(a.case_id >= cases[0], a.case_id <= cases[1])
    out: dict[str, tuple[str, str]] = {}
    for r in conn.execute(stmt):
        out[r.case_id] = (r.sw_id, (r.email or "").lower())
    return out


def allocated_emails(conn: Connection, day: date, cases: tuple[str, str] | None = None) -> dict[str, str]:
    """case id -> email of the worker allocated on `day` (`allocated_on`), for the cases whose allocated worker
    people.csv names: the person reminders go to that day instead of the case's recorded worker."""
    return {case: email for case, (_, email) in allocated_on(conn, day, cases).items() if email}
