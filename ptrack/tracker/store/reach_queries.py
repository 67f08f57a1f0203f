"""What `ptrack doctor` reads to tell whether people can be reached: the people and their chosen channel, and
the open deadlines of cases that lack a worker, manager or IRO."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import Connection, or_, select

from ptrack.tracker.store import schema as t
from ptrack.tracker.store.extracts import allocated_emails


class PersonChannel(NamedTuple):
    email: str
    team: str
    channel: str


class CaseGap(NamedTuple):
    """An open deadline of a case with at least one of its people missing ('' = not recorded)."""

    case_id: str
    rule_id: str
    team: str
    worker_email: str
    manager_email: str
    iro_email: str


def people_channels(conn: Connection) -> list[PersonChannel]:
    """People who chose a channel in people.csv."""
    p = t.people.c
    rows = conn.execute(select(p.email, p.team, p.channel).where(p.channel != "").order_by(p.email))
    return [PersonChannel(r.email, r.team, r.channel) for r in rows]


def open_deadlines_missing_people(conn: Connection, today: date) -> list[CaseGap]:
    """Open deadlines (visible on `today`, not met or cancelled by then) of cases with no worker, manager or IRO
    recorded, one row per case and rule. A case with no recorded worker but a worker allocated on `today`
    (SSDA903 SWEpisodes, matched to people.csv by sw_id) has that worker, as reminders do."""
    d, c = t.deadlines.c, t.cases.c
    stmt = (
        select(d.case_id, d.rule_id, c.team, c.worker_email, c.manager_email, c.iro_email).distinct()
        .join(t.cases, c.case_id == d.case_id)
        .where(d.anchor_date <= today, or_(d.closed_on.is_(None), d.closed_on > today),
               or_(c.worker_email == "", c.manager_email == "", c.iro_email == ""))
        .order_by(d.case_id, d.rule_id)
    )
    rows = [CaseGap(*row) for row in conn.execute(stmt)]
    if not any(not gap.worker_email for gap in rows):
        return rows
    allocated = allocated_emails(conn, today)
    filled = [gap._replace(worker_email=allocated.get(gap.case_id, "")) if not gap.worker_email else gap
              for gap in rows]
    return [gap for gap in filled if not (gap.worker_email and gap.manager_email and gap.iro_email)]
