"""Reading what the notification policy needs (open deadlines near or past due, with their case's people),
and the absences table. Plain values out; no policy here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, and_, delete, insert, or_, select

from tracker.policy.types import Absence, OpenItem
from tracker.policy.withdraw import DeadlineState
from tracker.store import notify_schema as n
from tracker.store import schema as t

SECOND_REVIEW_RULE = "cla_review_second"
PERMANENCE_RULE = "permanence_plan_by_second_review"
CHUNK = 900


@dataclass(frozen=True)
class RuleNotice:
    """What the policy needs of a rule: its title and who it is for."""

    title: str
    audience: frozenset[str]
    iro_relevant: bool


@dataclass(frozen=True)
class Contact:
    email: str
    role: str
    team: str
    slack_user_id: str
    channel: str


def open_items(
    conn: Connection, today: date, horizon: date, rules: Mapping[str, RuleNotice], team_managers: Mapping[str, str]
) -> Iterator[OpenItem]:
    """Deadlines open on `today` (visible, not met or cancelled by then) due on or before `horizon`."""
    d, c = t.deadlines.c, t.cases.c
    stmt = (
        select(d.case_id, d.key, d.rule_id, d.due, d.anchor_event_id, c.initials, c.team, c.worker_email,
               c.manager_email, c.iro_email)
        .join(t.cases, c.case_id == d.case_id)
        .where(d.due <= horizon, d.anchor_date <= today,
               or_(d.met_on.is_(None), d.met_on > today), or_(d.cancelled_on.is_(None), d.cancelled_on > today))
    )
    held = _second_reviews_held(conn, today)
    for r in conn.execute(stmt):
        rule = rules.get(r.rule_id)
        if rule is None:
            continue  # a rule no longer in the active rule set: recompute will drop its deadline
        yield OpenItem(
            r.case_id, r.key, r.rule_id, rule.title, r.due, r.initials, r.worker_email.lower(),
            (r.manager_email or team_managers.get(r.team, "")).lower(), r.iro_email.lower(), rule.audience,
            rule.iro_relevant, None, None,
            held.get((r.case_id, r.anchor_event_id)) if r.rule_id == PERMANENCE_RULE else None, r.team,
        )


def _second_reviews_held(conn: Connection, today: date) -> dict[tuple[str, str], date]:
    """(case, anchor event) -> when the second review was held, for cases with an open permanence deadline.
    The permanence deadline is anchored on the second review's deadline, so they share the anchor event."""
    d = t.deadlines
    p = t.deadlines.alias("p")
    stmt = (
        select(d.c.case_id, d.c.anchor_event_id, d.c.met_on)
        .join(p, and_(p.c.case_id == d.c.case_id, p.c.anchor_event_id == d.c.anchor_event_id,
                      p.c.rule_id == PERMANENCE_RULE))
        .where(d.c.rule_id == SECOND_REVIEW_RULE, d.c.met_on.is_not(None), d.c.met_on <= today,
               or_(p.c.met_on.is_(None), p.c.met_on > today))
    )
    return {(r.case_id, r.anchor_event_id): r.met_on for r in conn.execute(stmt)}


def deadline_states(conn: Connection, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], DeadlineState]:
    """Met/cancelled dates of the deadlines named by (case_id, key); missing ones are absent from the result."""
    d = t.deadlines.c
    out: dict[tuple[str, str], DeadlineState] = {}
    cases = sorted({case for case, _ in refs})
    wanted = set(refs)
    for i in range(0, len(cases), CHUNK):
        stmt = select(d.case_id, d.key, d.met_on, d.cancelled_on).where(d.case_id.in_(cases[i:i + CHUNK]))
        for r in conn.execute(stmt):
            if (r.case_id, r.key) in wanted:
                out[r.case_id, r.key] = DeadlineState(r.met_on, r.cancelled_on)
    return out


def contacts(conn: Connection) -> dict[str, Contact]:
    p = t.people.c
    rows = conn.execute(select(p.email, p.role, p.team, p.slack_user_id, p.channel))
    return {r.email.lower(): Contact(r.email.lower(), r.role, r.team, r.slack_user_id, r.channel) for r in rows}


# -- absences ---------------------------------------------------------------------------------------------------


def absences_between(conn: Connection, start: date, end: date) -> list[Absence]:
    a = n.absences.c
    stmt = select(a.email, a.from_date, a.to_date, a.cover_email).where(a.from_date <= end, a.to_date >= start)
    return [Absence(r.email, r.from_date, r.to_date, r.cover_email) for r in conn.execute(stmt.order_by(a.id))]


def add_absence(conn: Connection, absence: Absence) -> None:
    """Record an absence, replacing any overlapping one of the same person (the newest word wins)."""
    a = n.absences.c
    email = absence.email.lower()
    conn.execute(delete(n.absences).where(a.email == email, a.from_date <= absence.to_date,
                                          a.to_date >= absence.from_date))
    conn.execute(insert(n.absences).values(email=email, from_date=absence.from_date, to_date=absence.to_date,
                                           cover_email=absence.cover_email.lower(), created_at=datetime.now(UTC)))
