"""Voiding events (issue 9): a case system deletes a wrongly recorded event, and ptrack must stop counting it.

A voided event stays in `events` (with when, which import or who, and why) and in the `event_voids` audit
trail; timelines never read it, so the case is recomputed without it. Two ways in:
- a full extract (config `[import] full_extract`): an event of that source and format absent from the new file
  is voided by the file's batch; if it reappears in a later file it is restored (audit `restored`);
- `ptrack events void EVENT_ID --reason TEXT`: by hand, with the admin's name; it stays voided.
Voiding never deletes a row."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, insert, select, update

from ptrack.tracker.errors import NotFoundError, PtrackError
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.facts import promote_after_void

CHUNK = 900


@dataclass(frozen=True)
class StoredEvent:
    pk: int
    source: str
    event_id: str
    case_id: str
    kind: str
    date: date
    voided_at: datetime | None
    voided_by_batch_id: int | None


def _stored(rows: Sequence[object]) -> list[StoredEvent]:
    return [StoredEvent(*r) for r in rows]  # type: ignore[misc]


_COLS = (t.events.c.id, t.events.c.source, t.events.c.event_id, t.events.c.case_id, t.events.c.kind,
         t.events.c.date, t.events.c.voided_at, t.events.c.voided_by_batch_id)


def find_event(conn: Connection, event_id: str, source: str | None) -> StoredEvent:
    """The stored event with this id (and source, when given); an error naming the choices when ambiguous."""
    e = t.events.c
    stmt = select(*_COLS).where(e.event_id == event_id)
    found = _stored(conn.execute(stmt if source is None else stmt.where(e.source == source)).all())
    if not found:
        where = f" from source {source!r}" if source else ""
        raise NotFoundError(f"event {event_id!r}{where} is not in the database; `ptrack explain CASE` lists a "
                            f"case's events")
    if len(found) > 1:
        raise PtrackError(f"event id {event_id!r} exists in several sources ({', '.join(f.source for f in found)}); "
                          f"say which with --source")
    return found[0]


def void(conn: Connection, events: Sequence[StoredEvent], *, reason: str, actor: str, batch_id: int | None,
         now: datetime) -> list[str]:
    """Void `events` (those not already voided) with the audit line; returns the cases whose timelines changed."""
    live = [ev for ev in events if ev.voided_at is None]
    e = t.events.c
    for i in range(0, len(live), CHUNK):
        conn.execute(update(t.events).where(e.id.in_([ev.pk for ev in live[i:i + CHUNK]]))
                     .values(voided_at=now, voided_by_batch_id=batch_id, void_reason=reason))
    if live:
        conn.execute(insert(t.event_voids), [
            {"event_pk": ev.pk, "source": ev.source, "event_id": ev.event_id, "case_id": ev.case_id,
             "action": "voided", "batch_id": batch_id, "actor": actor, "reason": reason, "at": now}
            for ev in live])
    cases = {ev.case_id for ev in live}
    cases.update(promote_after_void(conn, [ev.pk for ev in live]))
    return sorted(cases)


def extract_domain(conn: Connection, source: str, fmt: str) -> list[StoredEvent]:
    """The live events a full extract of this source and format speaks for: those last written by a batch of
    the same format."""
    e, b = t.events.c, t.import_batches.c
    stmt = (select(*_COLS).join(t.import_batches, b.id == e.batch_id)
            .where(e.source == source, b.format == fmt, e.voided_at.is_(None)))
    return _stored(conn.execute(stmt).all())


def restore_seen(conn: Connection, source: str, seen: Collection[str], batch_id: int, now: datetime) -> list[str]:
    """Events voided by an earlier full extract that this file has again: restored, with the audit line.
    Events voided by hand stay voided."""
    e = t.events.c
    voided = _stored(conn.execute(select(*_COLS).where(
        e.source == source, e.voided_at.is_not(None), e.voided_by_batch_id.is_not(None))).all())
    back = [ev for ev in voided if ev.event_id in seen]
    for i in range(0, len(back), CHUNK):
        conn.execute(update(t.events).where(e.id.in_([ev.pk for ev in back[i:i + CHUNK]]))
                     .values(voided_at=None, voided_by_batch_id=None, void_reason=""))
    for ev in back:  # another source may hold the fact since it was voided: this row is provenance again
        holder = conn.execute(select(e.id).where(
            e.case_id == ev.case_id, e.kind == ev.kind, e.date == ev.date, e.source != ev.source,
            e.same_as.is_(None), e.voided_at.is_(None)).order_by(e.id).limit(1)).scalar_one_or_none()
        if holder is not None:
            conn.execute(update(t.events).where(e.id == ev.pk).values(same_as=holder))
    if back:
        conn.execute(insert(t.event_voids), [
            {"event_pk": ev.pk, "source": ev.source, "event_id": ev.event_id, "case_id": ev.case_id,
             "action": "restored", "batch_id": batch_id, "actor": "", "reason": "back in a full extract",
             "at": now} for ev in back])
    return sorted({ev.case_id for ev in back})


def audit_trail(conn: Connection, event_pk: int) -> list[tuple[str, datetime, str, str, int | None]]:
    v = t.event_voids.c
    rows = conn.execute(select(v.action, v.at, v.actor, v.reason, v.batch_id).where(v.event_pk == event_pk)
                        .order_by(v.id))
    return [(r.action, r.at, r.actor, r.reason, r.batch_id) for r in rows]
