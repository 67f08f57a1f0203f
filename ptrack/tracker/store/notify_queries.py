"""Reading what the notification policy needs (open deadlines near or past due, with their case's people),
and the absences table. Plain values out; no policy here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, delete, insert, or_, select

from ptrack.tracker.model import status_on
from ptrack.tracker.policy.types import Absence, OpenItem
from ptrack.tracker.store import notify_schema as n
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.extracts import allocated_emails

SECOND_REVIEW_RULE = "cla_review_second"
PERMANENCE_RULE = "permanence_plan_by_second_review"


@dataclass(frozen=True)
class RuleNotice:
    """What the policy needs of a rule, as data: its title, who it is for, whether the IRO is told when it is
    overdue, whether it counts working days (messages then give working days left) and whether it is urgent
    (escalated to the manager on the first working day overdue)."""

    title: str
    audience: frozenset[str]
    iro_relevant: bool
    working_days: bool = False
    urgent: bool = False


@dataclass(frozen=True)
class Contact:
    email: str
    role: str
    team: str
    slack_user_id: str
    channel: str


def case_ranges(conn: Connection, size: int) -> Iterator[tuple[str, str]]:
    """(first, last) case ids of consecutive runs of `size` cases, in case id order: the chunks a reminder pass
    streams through, so it never holds the whole caseload."""
    ids = list(conn.execute(select(t.cases.c.case_id).order_by(t.cases.c.case_id)).scalars())
    for i in range(0, len(ids), size):
        yield ids[i], ids[min(i + size, len(ids)) - 1]


def open_items(
    conn: Connection, today: date, horizon: date, rules: Mapping[str, RuleNotice], team_managers: Mapping[str, str],
    cases: tuple[str, str] | None = None,
) -> Iterator[OpenItem]:
    """Deadlines open on `today` (visible, not met or cancelled by then) due on or before `horizon` (any due date
    for urgent rules: they are reminded from their anchor day), of the cases from `cases[0]` to `cases[1]` (all
    cases when None), in (case, key) order."""
    d, c = t.deadlines.c, t.cases.c
    stmt = (
        select(d.case_id, d.key, d.rule_id, d.due, d.last_working_day, d.due_soon_from, d.met_on, d.cancelled_on,
               d.anchor_event_id, d.anchor_date, c.initials, c.team, c.worker_email, c.manager_email, c.iro_email)
        .join(t.cases, c.case_id == d.case_id)
        .where(d.anchor_date <= today, or_(d.closed_on.is_(None), d.closed_on > today))
        .order_by(d.case_id, d.key)
    )
    urgent = sorted(rule_id for rule_id, rule in rules.items() if rule.urgent)
    stmt = stmt.where(or_(d.due <= horizon, d.rule_id.in_(urgent)) if urgent else d.due <= horizon)
    if cases is not None:
        stmt = stmt.where(d.case_id >= cases[0], d.case_id <= cases[1])
    held = _second_reviews_held(conn, today, cases)
    # The worker allocated on the day (SSDA903 SWEpisodes, matched to people.csv by sw_id) wins over the
    # case's recorded worker; an allocation to a worker people.csv does not name leaves the recorded one.
    allocated = allocated_emails(conn, today, cases)
    managers: dict[tuple[str, str], str] = {}
    for r in conn.execute(stmt):
        rule = rules.get(r.rule_id)
        if rule is None:
            continue  # a rule no longer in the active rule set: recompute will drop its deadline
        manager = managers.get((r.manager_email, r.team))
        if manager is None:
            manager = managers[r.manager_email, r.team] = (r.manager_email or team_managers.get(r.team, "")).lower()
        yield OpenItem(
            r.case_id, r.key, r.rule_id, rule.title, r.due, r.initials,
            allocated.get(r.case_id) or r.worker_email.lower(), manager,
            r.iro_email.lower(), rule.audience, rule.iro_relevant, None, None,
            held.get((r.case_id, r.anchor_event_id)) if r.rule_id == PERMANENCE_RULE else None, r.team,
            r.last_working_day, rule.working_days, rule.urgent,
            status_on(r.due, r.due_soon_from, r.met_on, r.cancelled_on, today).value, r.anchor_date,
        )


def _second_reviews_held(conn: Connection, today: date, cases: tuple[str, str] | None) -> dict[tuple[str, str], date]:
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
    if cases is not None:
        stmt = stmt.where(d.c.case_id >= cases[0], d.c.case_id <= cases[1])
    return {(r.case_id, r.anchor_event_id): r.met_on for r in conn.execute(stmt)}


def contacts(conn: Connection) -> dict[str, Contact]:
    p = t.people.c
    rows = conn.execute(select(p.email, p.role, p.team, p.slack_user_id, p.channel))
    return {r.email.lower(): Contact(r.email.lower(), r.role, r.team, r.slack_user_id, r.channel) for r in rows}


# -- absences ---------------------------------------------------------------------------------------------------


def absences_between(conn: Connection, start: date, end: date) -> list[Absence]:
    a = n.absences.c
    stmt = select(a.email, a.from_date, a.to_date, a.cover_email).where(a.from_date <= end, a.to_date >= start)
    return [Absence(r.email, r.from_date, r.to_date, r.cover_email) for r in conn.execute(stmt.order_by(a.id))]


def add_absence(conn: Connection, absence: Absence, now: datetime) -> None:
    """Record an absence, replacing any overlapping one of the same person (the newest word wins)."""
    a = n.absences.c
    email = absence.email.lower()
    conn.execute(delete(n.absences).where(a.email == email, a.from_date <= absence.to_date,
                                          a.to_date >= absence.from_date))
    conn.execute(insert(n.absences).values(email=email, from_date=absence.from_date, to_date=absence.to_date,
                                           cover_email=absence.cover_email.lower(), created_at=now))
