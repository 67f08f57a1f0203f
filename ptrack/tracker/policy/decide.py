"""Who is owed which notification today (docs/delivery.md), as a pure function of the open deadlines and `now`.

This is the one path: `Router.route` decides per item, `Router.select` drops what the outbox already holds and
names the message each owed item joins; the reminder pass (`ptrack.tracker.outbox.service.remind`) calls
exactly these, chunk by chunk, and the tests call them with plain values.

- only deadlines in a naggable state (`NAGGABLE`: upcoming, due soon, overdue) are ever nagged: met,
  cancelled, missed (scope ended while overdue) and untracked deadlines never are;
- reminders at the configured working-day offsets before due (0 = the due day, or the last working day
  before it when it falls on a weekend); one per stage, so a missed morning is caught up, never doubled; an
  urgent rule (a return home interview) is reminded from its anchor day, before any offset is reached;
- while overdue, one nudge per person every `overdue_nudge_every_working_days` working days (the first on the
  first working day overdue), every overdue item of theirs in ONE message;
- escalation to the team manager once an item is N working days overdue (1 for an urgent rule); to the IRO
  when an IRO-relevant rule is overdue, and for `permanence_plan_by_second_review` once the second review is
  held without a plan (urgency and IRO relevance are the rule's data, `RuleNotice`);
- absence: the person gets nothing, their cover gets it marked as cover (or it waits for their return);
- delivery only inside the window on a delivery day; otherwise deferred to the next opening.
Each decision carries a named `Reason`; what is owed is grouped by its `GroupKey` into one message."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.policy.types import (
    Absence,
    Decision,
    Kind,
    OpenItem,
    PolicySettings,
    Reason,
    dedup_key,
)
from ptrack.tracker.policy.window import delivery_slot, local_day, next_delivery_day, opening

PERMANENCE_RULE = "permanence_plan_by_second_review"
MAX_COVER_CHAIN = 3
# The states that may be nagged (docs/rules.md): everything else (met, met_late, cancelled, missed, untracked, and
# any state added later) is never reminded, nudged or escalated.
NAGGABLE = frozenset({"upcoming", "due_soon", "overdue"})
GroupKey = tuple[str, str, Kind, datetime, Reason]  # recipient, cover_for, kind, not_before, the message's reason


@dataclass
class Selection:
    """One chunk's outcome: every decision counted by reason, and the owed items with the message they join."""

    decisions: Counter[str] = field(default_factory=Counter)
    owed: list[tuple[Decision, OpenItem, GroupKey]] = field(default_factory=list)


class _Owed(NamedTuple):
    person: str
    item: OpenItem
    kind: Kind
    stage: str
    owed_on: date


class DueDays:
    """The calendar's answers for one day's pass, per due date: a caseload has a few hundred distinct due dates
    and hundreds of thousands of deadlines, so each answer is worked out once."""

    def __init__(self, today: date, calendar: WorkingDayCalendar, settings: PolicySettings) -> None:
        self.today, self.calendar = today, calendar
        self.offsets = sorted(settings.remind_working_days_before)
        self.escalate_after = settings.escalate_to_manager_after_working_days
        self.nudge_every = max(1, settings.overdue_nudge_every_working_days)
        self.working_today = calendar.is_working_day(today)
        self._stages: dict[date, tuple[int, date] | None] = {}
        self._overdue: dict[tuple[date, int], tuple[date | None, date]] = {}
        self._nudge: dict[date, bool] = {}

    def stage(self, due: date) -> tuple[int, date] | None:
        """The latest reminder stage reached today (smallest offset whose day has come), and its day."""
        if due not in self._stages:
            self._stages[due] = _reminder_stage(due, self.today, self.calendar, self.offsets)
        return self._stages[due]

    def overdue(self, due: date, escalate_after: int) -> tuple[date | None, date]:
        """(the manager escalation's day if reached, else None; the first working day overdue)."""
        found = self._overdue.get((due, escalate_after))
        if found is None:
            cal, n = self.calendar, escalate_after
            escalation = cal.add_working_days(due, n) if cal.working_days_between(due, self.today) >= n else None
            found = self._overdue[due, n] = (escalation, cal.add_working_days(due, 1))
        return found

    def nudge_today(self, due: date) -> bool:
        """Whether today is a nudge day for an item overdue since `due`: the 1st working day overdue, then every
        `overdue_nudge_every_working_days`-th working day after it."""
        found = self._nudge.get(due)
        if found is None:
            k = self.calendar.working_days_between(due, self.today)  # today is the k-th working day overdue
            found = self._nudge[due] = self.working_today and k >= 1 and (k - 1) % self.nudge_every == 0
        return found


class Router:
    """Decides, item by item, what is owed at `now` and to whom (`route`); `select` drops what is already queued
    and says which message each owed item joins (`group`). The reminder pass streams a caseload through it
    chunk by chunk; the tests give it lists."""

    def __init__(self, absences: Sequence[Absence], calendar: WorkingDayCalendar, settings: PolicySettings,
                 now: datetime) -> None:
        self.today = local_day(now)
        self.calendar, self.settings = calendar, settings
        self.slot = delivery_slot(now, calendar, settings.window)
        self.away = _absences_on(absences, self.today)
        self.days = DueDays(self.today, calendar, settings)

    def route(self, items: Iterable[OpenItem]) -> Iterator[tuple[Decision, OpenItem]]:
        today = self.today
        for item in items:
            closed = _closed_reason(item, today)
            if closed is None and item.state and item.state not in NAGGABLE:
                closed = Reason.SUPPRESSED_NOT_NAGGABLE
            if closed is not None:
                yield Decision("", item.case_id, item.deadline_key, item.rule_id, Kind.REMINDER, "", today,
                               closed), item
                continue
            for owed in owed_for(item, today, self.calendar, self.settings, self.days):
                yield self._route(owed), item

    def select(self, routed: Iterable[tuple[Decision, OpenItem]], already_queued: Collection[str]) -> Selection:
        """What of `routed` is owed and not yet in the outbox (`already_queued`: its dedup keys), each with the
        message it joins; every decision counted by reason (`deduplicated` for those already queued)."""
        out = Selection()
        seen = set(already_queued)
        for decision, item in routed:
            group = self.group(decision)
            if group is not None and decision.dedup_key in seen:
                out.decisions[Reason.DEDUPLICATED.value] += 1
                continue
            out.decisions[decision.reason.value] += 1
            if group is not None:
                seen.add(decision.dedup_key)  # owed twice in one pass (e.g. one person is worker and IRO)
                out.owed.append((decision, item, group))
        return out

    def group(self, decision: Decision) -> GroupKey | None:
        """The message a decision joins, or None when it joins none (deduplicated, closed, nobody to tell)."""
        reason = decision.reason
        if decision.not_before is None or reason is Reason.DEDUPLICATED:
            return None
        if reason is Reason.REDIRECTED_ABSENT:
            return decision.recipient, decision.person, decision.kind, decision.not_before, self.slot[0]
        return decision.recipient, "", decision.kind, decision.not_before, reason

    def _route(self, owed: _Owed) -> Decision:
        """Dedup, then absence, then the delivery window."""
        i, person = owed.item, owed.person.lower()
        if not person:
            return Decision(person, i.case_id, i.deadline_key, i.rule_id, owed.kind, owed.stage, owed.owed_on,
                            Reason.SUPPRESSED_NO_RECIPIENT)
        key = dedup_key(person, i.case_id, i.deadline_key, owed.kind, owed.stage, owed.owed_on)

        def made(reason: Reason, recipient: str = "", not_before: datetime | None = None) -> Decision:
            return Decision(person, i.case_id, i.deadline_key, i.rule_id, owed.kind, owed.stage, owed.owed_on,
                            reason, recipient, not_before, key)

        reason, not_before = self.slot
        if not self.away:
            return made(reason, person, not_before)
        recipient, cover_for = _cover(person, self.away)
        if recipient is None:
            back = self.away[person].to_date + timedelta(days=1)
            later = opening(next_delivery_day(back, self.calendar), self.settings.window)
            return made(Reason.DEFERRED_ABSENT, person, later)
        return made(Reason.REDIRECTED_ABSENT if cover_for else reason, recipient, not_before)


def owed_for(item: OpenItem, today: date, calendar: WorkingDayCalendar, settings: PolicySettings,
             days: DueDays | None = None) -> Iterator[_Owed]:
    """Every (person, kind, stage, date) the item owes on `today`, before routing and deduplication."""
    days = days or DueDays(today, calendar, settings)
    if today <= item.due:
        stage = days.stage(item.due)
        if stage is not None:
            offset, owed_on = stage
            kind = Kind.DUE_TODAY if offset == 0 else Kind.REMINDER
            if item.urgent and item.anchor_date is not None:
                owed_on = max(owed_on, item.anchor_date)  # owed from the day it became known, not before
            for person in _primary(item):
                yield _Owed(person, item, kind, f"wd-{offset}", owed_on)
        elif item.urgent and item.anchor_date is not None and item.anchor_date <= today:
            # urgent: the first reminder goes on the anchor day, whatever the configured offsets
            for person in _primary(item):
                yield _Owed(person, item, Kind.REMINDER, "anchor", item.anchor_date)
    else:
        yield from _overdue(item, today, days)
    held = item.second_review_held_on
    if item.rule_id == PERMANENCE_RULE and held is not None and held <= today:
        yield _Owed(item.iro_email, item, Kind.ESCALATION_IRO, "no_permanence_plan", held)


def _overdue(item: OpenItem, today: date, days: DueDays) -> Iterator[_Owed]:
    if days.nudge_today(item.due):
        for person in _primary(item):
            yield _Owed(person, item, Kind.OVERDUE, "daily", today)
    after = 1 if item.urgent else days.escalate_after
    escalation_day, first_overdue_day = days.overdue(item.due, after)
    if escalation_day is not None:
        yield _Owed(item.manager_email, item, Kind.ESCALATION_MANAGER, f"wd+{after}", escalation_day)
    if item.iro_relevant and first_overdue_day <= today:
        yield _Owed(item.iro_email, item, Kind.ESCALATION_IRO, "overdue", first_overdue_day)


def _reminder_stage(
    due: date, today: date, calendar: WorkingDayCalendar, offsets: Sequence[int]
) -> tuple[int, date] | None:
    """The latest reminder stage reached on `today` (smallest offset whose day has come), and its day."""
    for offset in sorted(offsets):
        day = calendar.add_working_days(due, -offset)
        if day <= today:
            return offset, day
    return None


def _primary(item: OpenItem) -> list[str]:
    """Who is reminded and nudged: the allocated worker, or, for rules not addressed to workers (disputes),
    the manager and IRO the rule names."""
    if "worker" in item.audience:
        return [item.worker_email]
    people = {"manager": item.manager_email, "iro": item.iro_email}
    return [people[a] for a in sorted(item.audience) if a in people]


def _closed_reason(item: OpenItem, today: date) -> Reason | None:
    if item.met_on is not None and item.met_on <= today:
        return Reason.SUPPRESSED_MET
    if item.cancelled_on is not None and item.cancelled_on <= today:
        return Reason.SUPPRESSED_CANCELLED
    return None


def _absences_on(absences: Sequence[Absence], today: date) -> dict[str, Absence]:
    return {a.email.lower(): a for a in absences if a.covers_day(today)}


def _cover(person: str, away: dict[str, Absence]) -> tuple[str | None, str]:
    """(who receives, for whom): the person if present, else the first present cover in the chain."""
    current = person
    for _ in range(MAX_COVER_CHAIN + 1):
        absence = away.get(current)
        if absence is None:
            return current, "" if current == person else person
        if not absence.cover_email:
            return None, ""
        current = absence.cover_email.lower()
    return None, ""
