"""Who is owed which notification today (docs/delivery.md), as a pure function of the open deadlines and `now`.

- reminders at the configured working-day offsets before due (0 = the due day, or the last working day
  before it when it falls on a weekend); one per stage, so a missed morning is caught up, never doubled;
- while overdue, one nudge per person per working day, every overdue item of theirs in ONE message;
- escalation to the team manager once an item is N working days overdue; to the IRO when an IRO-relevant
  rule is overdue, and for `permanence_plan_by_second_review` once the second review is held without a plan;
- absence: the person gets nothing, their cover gets it marked as cover (or it waits for their return);
- delivery only inside the window on a delivery day; otherwise deferred to the next opening.
Each decision carries a named `Reason`; what is owed is grouped into `PlannedMessage`s."""

from __future__ import annotations

from collections import defaultdict
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
    PlannedMessage,
    PolicySettings,
    Reason,
    dedup_key,
)
from ptrack.tracker.policy.window import delivery_slot, local_day, next_delivery_day, opening

PERMANENCE_RULE = "permanence_plan_by_second_review"
MAX_COVER_CHAIN = 3
GroupKey = tuple[str, str, Kind, datetime, Reason]  # recipient, cover_for, kind, not_before, the message's reason


@dataclass(frozen=True)
class Plan:
    """Every decision made (with its reason) and the messages to queue."""

    decisions: tuple[Decision, ...]
    messages: tuple[PlannedMessage, ...]
    today: date = field(default=date.min)


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
        self.working_today = calendar.is_working_day(today)
        self._stages: dict[date, tuple[int, date] | None] = {}
        self._overdue: dict[date, tuple[date | None, date]] = {}

    def stage(self, due: date) -> tuple[int, date] | None:
        """The latest reminder stage reached today (smallest offset whose day has come), and its day."""
        if due not in self._stages:
            self._stages[due] = _reminder_stage(due, self.today, self.calendar, self.offsets)
        return self._stages[due]

    def overdue(self, due: date) -> tuple[date | None, date]:
        """(the manager escalation's day if reached, else None; the first working day overdue)."""
        found = self._overdue.get(due)
        if found is None:
            cal, n = self.calendar, self.escalate_after
            escalation = cal.add_working_days(due, n) if cal.working_days_between(due, self.today) >= n else None
            found = self._overdue[due] = (escalation, cal.add_working_days(due, 1))
        return found


def decide(
    items: Iterable[OpenItem],
    absences: Sequence[Absence],
    calendar: WorkingDayCalendar,
    settings: PolicySettings,
    now: datetime,
    already_queued: Collection[str] = frozenset(),
) -> Plan:
    """The notifications owed at `now` for `items`; `already_queued` holds the dedup keys in the outbox."""
    decisions: list[Decision] = []
    grouped: dict[GroupKey, list[tuple[Decision, OpenItem]]] = defaultdict(list)
    router = Router(absences, calendar, settings, now)
    for decision, item in router.route(items, already_queued):
        decisions.append(decision)
        group = router.group(decision)
        if group is not None:
            grouped[group].append((decision, item))
    return Plan(tuple(decisions), tuple(_messages(grouped, router.today)), router.today)


class Router:
    """Decides, item by item, what is owed at `now` and to whom (`route`), and which message it joins (`group`).
    `decide` uses it on a list; the reminder pass streams a caseload through it chunk by chunk."""

    def __init__(self, absences: Sequence[Absence], calendar: WorkingDayCalendar, settings: PolicySettings,
                 now: datetime) -> None:
        self.today = local_day(now)
        self.calendar, self.settings = calendar, settings
        self.slot = delivery_slot(now, calendar, settings.window)
        self.away = _absences_on(absences, self.today)
        self.days = DueDays(self.today, calendar, settings)

    def route(self, items: Iterable[OpenItem], already_queued: Collection[str] = frozenset()
              ) -> Iterator[tuple[Decision, OpenItem]]:
        today = self.today
        for item in items:
            closed = _closed_reason(item, today)
            if closed is not None:
                yield Decision("", item.case_id, item.deadline_key, item.rule_id, Kind.REMINDER, "", today,
                               closed), item
                continue
            for owed in owed_for(item, today, self.calendar, self.settings, self.days):
                yield self._route(owed, already_queued), item

    def group(self, decision: Decision) -> GroupKey | None:
        """The message a decision joins, or None when it joins none (deduplicated, closed, nobody to tell)."""
        reason = decision.reason
        if decision.not_before is None or reason is Reason.DEDUPLICATED:
            return None
        if reason is Reason.REDIRECTED_ABSENT:
            return decision.recipient, decision.person, decision.kind, decision.not_before, self.slot[0]
        return decision.recipient, "", decision.kind, decision.not_before, reason

    def _route(self, owed: _Owed, already_queued: Collection[str]) -> Decision:
        """Dedup, then absence, then the delivery window."""
        i, person = owed.item, owed.person.lower()
        if not person:
            return Decision(person, i.case_id, i.deadline_key, i.rule_id, owed.kind, owed.stage, owed.owed_on,
                            Reason.SUPPRESSED_NO_RECIPIENT)
        key = dedup_key(person, i.case_id, i.deadline_key, owed.kind, owed.stage, owed.owed_on)

        def made(reason: Reason, recipient: str = "", not_before: datetime | None = None) -> Decision:
            return Decision(person, i.case_id, i.deadline_key, i.rule_id, owed.kind, owed.stage, owed.owed_on,
                            reason, recipient, not_before, key)

        if already_queued and key in already_queued:
            return made(Reason.DEDUPLICATED)
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
            for person in _primary(item):
                yield _Owed(person, item, kind, f"wd-{offset}", owed_on)
    else:
        yield from _overdue(item, today, days)
    held = item.second_review_held_on
    if item.rule_id == PERMANENCE_RULE and held is not None and held <= today:
        yield _Owed(item.iro_email, item, Kind.ESCALATION_IRO, "no_permanence_plan", held)


def _overdue(item: OpenItem, today: date, days: DueDays) -> Iterator[_Owed]:
    if days.working_today:
        for person in _primary(item):
            yield _Owed(person, item, Kind.OVERDUE, "daily", today)
    escalation_day, first_overdue_day = days.overdue(item.due)
    if escalation_day is not None:
        yield _Owed(item.manager_email, item, Kind.ESCALATION_MANAGER, f"wd+{days.escalate_after}", escalation_day)
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


def _messages(grouped: dict[GroupKey, list[tuple[Decision, OpenItem]]], today: date) -> Iterator[PlannedMessage]:
    for (recipient, cover_for, kind, not_before, reason), pairs in sorted(grouped.items(), key=lambda kv: kv[0][:3]):
        yield PlannedMessage(recipient, cover_for, kind, today, not_before, reason,
                             tuple(d for d, _ in pairs), tuple(i for _, i in pairs))
