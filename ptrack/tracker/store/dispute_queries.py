"""The IRO dispute tables in SQL: create, read, move a dispute and record its steps. Plain values out
(`ptrack.tracker.disputes.ladder.Dispute`); the issue text is read only by `issue_of`, for the IRO at the terminal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from ptrack.tracker.disputes.ladder import Dispute, DisputeError
from ptrack.tracker.store import dispute_schema as ds

d, s = ds.disputes, ds.dispute_steps


def insert_dispute(conn: Connection, *, case_id: str, issue: str, iro_email: str, stage: int, on: date,
                   now: datetime) -> int:
    result = conn.execute(insert(d).values(
        case_id=case_id, issue=issue, iro_email=iro_email, status="open", stage=stage, raised_on=on,
        stage_started_on=on, created_at=now, updated_at=now,
    ).returning(d.c.id))
    return int(result.scalar_one())


def add_step(conn: Connection, dispute_id: int, action: str, on: date, now: datetime, *,
             from_stage: int | None = None, to_stage: int | None = None, bypassed: Collection[int] = (),
             note: str = "") -> None:
    conn.execute(insert(s).values(
        dispute_id=dispute_id, on_date=on, action=action, from_stage=from_stage, to_stage=to_stage,
        bypassed=",".join(str(n) for n in bypassed), note=note, recorded_at=now,
    ))


def update_dispute(conn: Connection, dispute_id: int, now: datetime, **values: Any) -> None:
    conn.execute(update(d).where(d.c.id == dispute_id).values(updated_at=now, **values))


def open_dispute_of(conn: Connection, case_id: str) -> int | None:
    """The id of the case's open dispute, if it has one."""
    return conn.execute(
        select(d.c.id).where(d.c.case_id == case_id, d.c.status == "open")
    ).scalar_one_or_none()


def get_dispute(conn: Connection, dispute_id: int, *, for_update: bool = False) -> Dispute:
    stmt = select(d).where(d.c.id == dispute_id)
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise DisputeError(f"dispute {dispute_id} does not exist; `ptrack dispute list --status all` lists them")
    return _dispute(row, _bypassed(conn, [dispute_id]).get(dispute_id, ()))


def list_disputes(conn: Connection, status: str | None = None, *, overlapping: tuple[date, date] | None = None
                  ) -> list[Dispute]:
    """Disputes, oldest first: `status` open or resolved (None: all); `overlapping` (start, end): only those
    raised by `end` and not resolved before `start` (the annual report's population)."""
    stmt = select(d).order_by(d.c.raised_on, d.c.id)
    if status is not None:
        stmt = stmt.where(d.c.status == status)
    if overlapping is not None:
        start, end = overlapping
        stmt = stmt.where(d.c.raised_on <= end, or_(d.c.resolved_on.is_(None), d.c.resolved_on >= start))
    rows = conn.execute(stmt).all()
    skipped = _bypassed(conn, [r.id for r in rows])
    return [_dispute(r, skipped.get(r.id, ())) for r in rows]


def issue_of(conn: Connection, dispute_id: int) -> str:
    return str(conn.execute(select(d.c.issue).where(d.c.id == dispute_id)).scalar_one_or_none() or "")


def steps_of(conn: Connection, dispute_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(s).where(s.c.dispute_id == dispute_id).order_by(s.c.id)).mappings()
    return [dict(r) for r in rows]


def _bypassed(conn: Connection, ids: list[int]) -> dict[int, tuple[int, ...]]:
    out: dict[int, list[int]] = defaultdict(list)
    for i in range(0, len(ids), 900):
        stmt = select(s.c.dispute_id, s.c.bypassed).where(s.c.dispute_id.in_(ids[i:i + 900]), s.c.bypassed != "")
        for r in conn.execute(stmt):
            out[r.dispute_id].extend(int(n) for n in r.bypassed.split(","))
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _dispute(row: Row[Any], bypassed: tuple[int, ...]) -> Dispute:
    return Dispute(row.id, row.case_id, row.iro_email, row.status, row.stage, row.raised_on, row.stage_started_on,
                   row.resolved_on, row.outcome, row.cafcass_referred_on, bypassed)
