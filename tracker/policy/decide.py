"""Who is owed which notification today (SPEC §6), as a pure function of the open deadlines and `now`.

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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from calendars import WorkingDayCalendar
from tracker.policy.types import (
    Absence,
    Decision,
    Kind,
    OpenItem,
    PlannedMessage,
    PolicySettings,
    Reason,
    dedup_key,
)
from tracker.policy.window import delivery_slot, local_day, next_delivery_day, opening

PERMANENCE_RULE = "permanence_plan_by_second_review"
MAX_COVER_CHAIN = 3


@dataclass(frozen=True)
class Plan:
    """Every decision made (with its reason) and the messages to queue."""

    decisions: tuple[Decision, ...]
    messages: tuple[PlannedMessage, ...]
    today: date = field(default=date.min)


@dataclass(frozen=True)
class _Owed:
    person: str
    item: OpenItem
    kind: Kind
    stage: str
    owed_on: date


def decide(
    items: Iterable[OpenItem],
    absences: Sequence[Absence],
    calendar: WorkingDayCalendar,
    settings: PolicySettings,
    now: datetime,
    already_queued: Collection[str] = frozenset(),
) -> Plan:
    """The notifications owed at `now` for `items`; `already_queued` holds the dedup keys in the outbox."""
    today = local_day(now)
    slot = delivery_slot(now, calendar, settings.window)
    away = _absences_on(absences, today)
    decisions: list[Decision] = []
    grouped: dict[tuple[str, str, Kind, datetime, Reason], list[tuple[Decision, OpenItem]]] = defaultdict(list)
    for item in items:
        closed = _closed_reason(item, today)
        if closed is not None:
            decisions.append(Decision("", item.case_id, item.deadline_key, item.rule_id, Kind.REMINDER, "",
                                      today, closed))
            continue
        for owed in owed_for(item, today, calendar, settings):
            decision, cover_for, message_reason = _route(owed, already_queued, away, slot, calendar, settings)
            decisions.append(decision)
            if decision.reason is not Reason.DEDUPLICATED and decision.reason is not Reason.SUPPRESSED_NO_RECIPIENT:
                assert decision.not_before is not None
                key = (decision.recipient, cover_for, owed.kind, decision.not_before, message_reason)
                grouped[key].append((decision, item))
    return Plan(tuple(decisions), tuple(_messages(grouped, today)), today)


def owed_for(item: OpenItem, today: date, calendar: WorkingDayCalendar, settings: PolicySettings) -> Iterator[_Owed]:
    """Every (person, kind, stage, date) the item owes on `today`, before routing and deduplication."""
    if today <= item.due:
        stage = _reminder_stage(item.due, today, calendar, settings.remind_working_days_before)
        if stage is not None:
            offset, owed_on = stage
            kind = Kind.DUE_TODAY if offset == 0 else Kind.REMINDER
            for person in _primary(item):
                yield _Owed(person, item, kind, f"wd-{offset}", owed_on)
    else:
        yield from _overdue(item, today, calendar, settings)
    held = item.second_review_held_on
    if item.rule_id == PERMANENCE_RULE and held is not None and held <= today:
        yield _Owed(item.iro_email, item, Kind.ESCALATION_IRO, "no_permanence_plan", held)


def _overdue(item: OpenItem, today: date, calendar: WorkingDayCalendar, settings: PolicySettings) -> Iterator[_Owed]:
    if calendar.is_working_day(today):
        for person in _primary(item):
            yield _Owed(person, item, Kind.OVERDUE, "daily", today)
    n = settings.escalate_to_manager_after_working_days
    if calendar.working_days_between(item.due, today) >= n:
        owed_on = calendar.add_working_days(item.due, n)
        yield _Owed(item.manager_email, item, Kind.ESCALATION_MANAGER, f"wd+{n}", owed_on)
    first_overdue_day = calendar.add_working_days(item.due, 1)
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


def _route(
    owed: _Owed,
    already_queued: Collection[str],
    away: dict[str, Absence],
    slot: tuple[Reason, datetime],
    calendar: WorkingDayCalendar,
    settings: PolicySettings,
) -> tuple[Decision, str, Reason]:
    """Dedup, then absence, then the delivery window: (the decision, cover_for, the message's reason)."""
    i, person = owed.item, owed.person.lower()

    def made(reason: Reason, recipient: str = "", not_before: datetime | None = None) -> Decision:
        return Decision(person, i.case_id, i.deadline_key, i.rule_id, owed.kind, owed.stage, owed.owed_on, reason,
                        recipient, not_before)

    if not person:
        return made(Reason.SUPPRESSED_NO_RECIPIENT), "", Reason.SUPPRESSED_NO_RECIPIENT
    if already_queued and dedup_key(person, i.case_id, i.deadline_key, owed.kind, owed.stage,
                                    owed.owed_on) in already_queued:
        return made(Reason.DEDUPLICATED), "", Reason.DEDUPLICATED
    recipient, cover_for = _cover(person, away) if away else (person, "")
    reason, not_before = slot
    if recipient is None:
        back = away[person].to_date + timedelta(days=1)
        later = opening(next_delivery_day(back, calendar), settings.window)
        return made(Reason.DEFERRED_ABSENT, person, later), "", Reason.DEFERRED_ABSENT
    item_reason = Reason.REDIRECTED_ABSENT if cover_for else reason
    return made(item_reason, recipient, not_before), cover_for, reason


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


def _messages(
    grouped: dict[tuple[str, str, Kind, datetime, Reason], list[tuple[Decision, OpenItem]]], today: date
) -> Iterator[PlannedMessage]:
    for (recipient, cover_for, kind, not_before, reason), pairs in sorted(grouped.items(), key=lambda kv: kv[0][:3]):
        yield PlannedMessage(recipient, cover_for, kind, today, not_before, reason,
                             tuple(d for d, _ in pairs), tuple(i for _, i in pairs))


def without(plan: Plan, queued: Collection[str]) -> Plan:
    """`plan` with the items already in the outbox marked deduplicated and left out of its messages."""
    if not queued:
        return plan
    decisions = tuple(replace(d, reason=Reason.DEDUPLICATED) if d.dedup_key in queued and d.not_before else d
                      for d in plan.decisions)
    messages = []
    for m in plan.messages:
        keep = [(d, i) for d, i in zip(m.items, m.open_items, strict=True) if d.dedup_key not in queued]
        if keep:
            messages.append(replace(m, items=tuple(d for d, _ in keep), open_items=tuple(i for _, i in keep)))
    return Plan(decisions, tuple(messages), plan.today)
