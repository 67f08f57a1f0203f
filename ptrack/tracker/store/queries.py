"""Reading deadlines and timelines back. Status is derived for the date asked about (`status_on`), and a
deadline is only visible on `as_of` when its anchor date is on or before it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, or_, select

from ptrack.tracker.errors import NotFoundError
from ptrack.tracker.model import Case, Deadline, Status, Timeline
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.deadlines import select_deadlines, timelines_for
from ptrack.tracker.store.extracts import allocated_emails
from ptrack.tracker.store.rows import row_deadline

_OPEN = frozenset({Status.UPCOMING, Status.DUE_SOON, Status.OVERDUE})


@dataclass(frozen=True)
class DeadlineRow:
    """One deadline as seen on `as_of` (its `status` is for that date), with the case's people and the
    versions it was computed with."""

    deadline: Deadline
    initials: str
    team: str
    worker_email: str
    manager_email: str
    iro_email: str
    ruleset_version: str
    calendar_version: str
    computed_at: datetime

    @property
    def case_id(self) -> str:
        return self.deadline.case_id

    @property
    def rule_id(self) -> str:
        return self.deadline.rule_id

    @property
    def status(self) -> Status:
        return self.deadline.status

    @property
    def due(self) -> date:
        return self.deadline.due


def _prefilter(as_of: date, statuses: Collection[Status]) -> ColumnElement[bool] | None:
    """A SQL condition no wanted row fails (the exact status is decided in Python): lets the due index work."""
    d = t.deadlines.c
    if not statuses or not set(statuses) <= _OPEN:
        return None
    still_open = or_(d.closed_on.is_(None), d.closed_on > as_of)
    if set(statuses) == {Status.OVERDUE}:
        return and_(still_open, d.due < as_of)
    if set(statuses) == {Status.DUE_SOON}:
        return and_(still_open, d.due >= as_of, d.due_soon_from <= as_of)
    return still_open


def deadline_query(
    as_of: date, case_id: str | None, team: str | None, worker: str | None, statuses: Collection[Status],
    allocated_to_worker: Collection[str] = (),
) -> Select[Any]:
    """`worker`: cases recorded with that worker, or in `allocated_to_worker` (allocated to them on `as_of`); the
    caller drops the recorded ones allocated to someone else that day."""
    d, c = t.deadlines, t.cases
    stmt = (
        select_deadlines(c.c.initials, c.c.team, c.c.worker_email, c.c.manager_email, c.c.iro_email)
        .join(c, c.c.case_id == d.c.case_id)
        .where(d.c.anchor_date <= as_of)
    )  # no ORDER BY: it would steer the planner to the due index instead of (closed_on, due); sorted after
    if case_id is not None:
        stmt = stmt.where(d.c.case_id == case_id)
    if team is not None:
        stmt = stmt.where(c.c.team == team)
    if worker is not None:
        recorded = c.c.worker_email == worker
        stmt = stmt.where(or_(recorded, d.c.case_id.in_(sorted(allocated_to_worker))) if allocated_to_worker
                          else recorded)
    condition = _prefilter(as_of, statuses)
    return stmt if condition is None else stmt.where(condition)


def query_deadlines(
    conn: Connection,
    as_of: date,
    *,
    case_id: str | None = None,
    team: str | None = None,
    worker: str | None = None,
    statuses: Collection[Status] | None = None,
    untracked: frozenset[str] = frozenset(),
) -> list[DeadlineRow]:
    """`untracked`: rules no source supplies evidence for; their deadlines read `untracked` unless met. The
    worker is the one allocated on `as_of` (SSDA903 SWEpisodes, matched to people.csv by sw_id) where an
    allocation names one, else the case's recorded worker: the person reminders go to that day."""
    wanted = {Status(s) for s in statuses} if statuses else set()
    out: list[DeadlineRow] = []
    prefilter = wanted if not untracked or Status.UNTRACKED not in wanted else set()
    allocated = allocated_emails(conn, as_of, None if case_id is None else (case_id, case_id))
    to_worker = {case for case, email in allocated.items() if email == worker} if worker is not None else set()
    for row in conn.execute(deadline_query(as_of, case_id, team, worker, prefilter, to_worker)).mappings():
        worker_email = allocated.get(row["case_id"]) or row["worker_email"]
        if worker is not None and worker_email != worker:
            continue  # recorded with this worker, allocated to another on the day
        dl = row_deadline(row, as_of)
        if dl.rule_id in untracked and dl.status not in (Status.MET, Status.MET_LATE):
            dl = replace(dl, status=Status.UNTRACKED)
        if wanted and dl.status not in wanted:
            continue
        out.append(DeadlineRow(
            dl, row["initials"], row["team"], worker_email, row["manager_email"], row["iro_email"],
            row["ruleset_version"], row["calendar_version"], row["computed_at"],
        ))
    out.sort(key=lambda r: (r.deadline.due, r.deadline.case_id, r.deadline.key))
    return out


def case_timeline(conn: Connection, case_id: str) -> Timeline:
    row = conn.execute(select(t.cases).where(t.cases.c.case_id == case_id)).first()
    if row is None:
        raise NotFoundError(f"case {case_id!r} is not in the database: import it with cases.csv first")
    case = Case(row.case_id, row.initials, row.dob, row.team, row.worker_email, row.manager_email, row.iro_email)
    return timelines_for(conn, [case], contiguous=False)[0]


def batch_event_ids(conn: Connection, batch_id: int, case_ids: Collection[str] | None = None) -> dict[str, set[str]]:
    """case -> the ids of the events one import batch wrote (new or corrected), read into timelines. With
    `case_ids` (the cases the batch wrote events for, or more), only their events are read, through the case
    index, instead of every event (the batch id has no index)."""
    e = t.events.c
    out: dict[str, set[str]] = {}
    stmt = select(e.case_id, e.event_id).where(e.batch_id == batch_id, e.same_as.is_(None), e.voided_at.is_(None))
    if case_ids is None:
        parts = [stmt]
    else:
        ids = sorted(case_ids)
        parts = [stmt.where(e.case_id.in_(ids[i:i + 900])) for i in range(0, len(ids), 900)]
    for part in parts:
        for case_id, event_id in conn.execute(part):
            out.setdefault(case_id, set()).add(event_id)
    return out


def stale_case_ids(conn: Connection, ruleset_version: str, calendar_version: str) -> list[str]:
    """Cases with any deadline computed under another rule set or calendar: what a config or calendar change
    leaves to recompute."""
    k = t.computations.c
    other = select(k.id).where((k.ruleset_version != ruleset_version) | (k.calendar_version != calendar_version))
    d = t.deadlines.c
    query = select(d.case_id).where(d.computation_id.in_(other)).distinct().order_by(d.case_id)
    return [str(r[0]) for r in conn.execute(query)]
