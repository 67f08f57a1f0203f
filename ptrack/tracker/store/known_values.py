"""The values a command-line filter may name: teams, people's emails and case references, as the store knows
them (read by `ptrack.tracker.filters` to turn a filter that matches nothing into an error)."""

from __future__ import annotations

from sqlalchemy import Connection, select, union

from ptrack.tracker.store import schema as t


def teams(conn: Connection) -> set[str]:
    """Every team named on a case or a person."""
    c, p = t.cases.c, t.people.c
    stmt = union(select(c.team).where(c.team != ""), select(p.team).where(p.team != ""))
    return {row[0] for row in conn.execute(stmt)}


def emails(conn: Connection) -> set[str]:
    """Every person's email: people.csv, and the worker, manager and IRO emails on cases (lower case)."""
    c, p = t.cases.c, t.people.c
    stmt = union(select(p.email), select(c.worker_email), select(c.manager_email), select(c.iro_email))
    return {row[0].lower() for row in conn.execute(stmt) if row[0]}


def case_exists(conn: Connection, case_id: str) -> bool:
    return conn.execute(select(t.cases.c.case_id).where(t.cases.c.case_id == case_id)).first() is not None


def case_ids(conn: Connection) -> list[str]:
    return list(conn.execute(select(t.cases.c.case_id)).scalars())
