"""What the weekly digest reads: open deadlines due by the end of its horizon, with their case's team, worker,
initials and manager, in one narrow query (no explanation JSON, no whole rows).

"Open on D" is `closed_on IS NULL OR closed_on > D`; an OR defeats the (closed_on, due) index, so the two arms
run as separate index ranges (`closed_on IS NULL AND due <= H`; `closed_on > D AND due <= H`) and are put
together here. Over 100,000 children the second arm is nearly empty; the first is the overdue and due-soon
rows, a small slice of all deadlines. The digest's own rules (`ptrack.tracker.digest.build`) then judge each row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, cast

from sqlalchemy import Connection, Select, select

from ptrack.tracker.model import Case, Person
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.extracts import allocated_emails

DigestRow = tuple[str, str, date, date, str, str, str, str]  # case, rule, due, anchor, initials, team, worker, mgr


def _arm(as_of: date, horizon_end: date, team: str | None, *, still_null: bool) -> Select[Any]:
    d, c = t.deadlines.c, t.cases.c
    closed = d.closed_on.is_(None) if still_null else d.closed_on > as_of
    stmt = (
        select(d.case_id, d.rule_id, d.due, d.anchor_date, c.initials, c.team, c.worker_email, c.manager_email)
        .join(t.cases, c.case_id == d.case_id)
        .where(closed, d.due <= horizon_end, d.anchor_date <= as_of)
    )
    return stmt if team is None else stmt.where(c.team == team)


def open_deadlines_until(conn: Connection, as_of: date, horizon_end: date, team: str | None = None
                         ) -> Iterator[DigestRow]:
    """Deadlines open on `as_of`, visible on it and due on or before `horizon_end` (overdue ones included), under
    the worker allocated on `as_of` where a worker allocation names one in people.csv (SSDA903 SWEpisodes)."""
    allocated = allocated_emails(conn, as_of)
    for still_null in (True, False):
        for row in conn.execute(_arm(as_of, horizon_end, team, still_null=still_null)):
            out = tuple(row)
            if out[0] in allocated:
                out = (*out[:6], allocated[out[0]], out[7])
            yield cast(DigestRow, out)


def missed_between(conn: Connection, start: date, as_of: date, team: str | None = None) -> Iterator[DigestRow]:
    """Deadlines that became missed from `start` to `as_of` (closed by their scope ending, after their due
    date, unmet), as (case, rule, due, cancelled_on, ...): the digest shows each breach in the week it happened."""
    d, c = t.deadlines.c, t.cases.c
    stmt = (
        select(d.case_id, d.rule_id, d.due, d.cancelled_on, c.initials, c.team, c.worker_email, c.manager_email)
        .join(t.cases, c.case_id == d.case_id)
        .where(d.closed_on >= start, d.closed_on <= as_of, d.met_on.is_(None), d.cancelled_on > d.due)
    )
    for row in conn.execute(stmt if team is None else stmt.where(c.team == team)):
        yield cast(DigestRow, tuple(row))


def people(conn: Connection) -> list[Person]:
    p = t.people.c
    return [Person(r.email, "", r.role, r.team, r.slack_user_id, r.channel)
            for r in conn.execute(select(p.email, p.role, p.team, p.slack_user_id, p.channel))]


def split_rows(rows: Iterator[DigestRow]) -> tuple[list[tuple[str, str, date, date]], dict[str, Case]]:
    """The joined rows as (case, rule, due, anchor) plus the cases they belong to."""
    deadlines: list[tuple[str, str, date, date]] = []
    cases: dict[str, Case] = {}
    for case_id, rule_id, due, anchor, initials, team, worker, manager in rows:
        deadlines.append((case_id, rule_id, due, anchor))
        if case_id not in cases:
            cases[case_id] = Case(case_id, initials, None, team, worker, manager)
    return deadlines, cases
