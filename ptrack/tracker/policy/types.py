"""The plain values the notification policy works with: what is open, who is who, and what it decided.

Every decision carries a named `Reason` (alertmanager-style), so a message that was not sent says why."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple


class Reason(StrEnum):
    """Why the policy (or the outbox) did what it did with one owed notification."""

    QUEUED = "queued"  # owed now, inside the window: queued for delivery
    DEFERRED_OUTSIDE_WINDOW = "deferred_outside_window"  # owed outside the delivery window: waits for it
    DEFERRED_NON_WORKING_DAY = "deferred_non_working_day"  # weekend or bank holiday: waits for a working day
    DEFERRED_CLOSURE_DAY = "deferred_closure_day"  # council closure day: waits for the next delivery day
    DEFERRED_ABSENT = "deferred_absent"  # the person is away with nobody covering: waits for their return
    REDIRECTED_ABSENT = "redirected_absent"  # the person is away: their cover gets it, marked as cover
    DEDUPLICATED = "deduplicated"  # the same (person, deadline, kind, stage, date) is already in the outbox
    SUPPRESSED_MET = "suppressed_met"  # the deadline has been met: nothing owed
    SUPPRESSED_CANCELLED = "suppressed_cancelled"  # the deadline was cancelled (e.g. the child left care)
    SUPPRESSED_NO_RECIPIENT = "suppressed_no_recipient"  # nobody to tell (no worker/manager/IRO recorded)
    SUPPRESSED_NOT_NAGGABLE = "suppressed_not_naggable"  # a state never nagged (missed, untracked, ...)
    WITHDRAWN = "withdrawn"  # a pending message whose deadlines were all met or cancelled
    SUPERSEDED = "superseded"  # a pending overdue nudge replaced by a newer day's nudge


class Kind(StrEnum):
    REMINDER = "reminder"  # N working days before due
    DUE_TODAY = "due_today"  # on the due day (offset 0)
    OVERDUE = "overdue"  # the daily grouped nudge while overdue
    ESCALATION_MANAGER = "escalation_manager"  # N working days overdue: to the team manager
    ESCALATION_IRO = "escalation_iro"  # IRO-relevant rule overdue, or no permanence plan at the 2nd review


class OpenItem(NamedTuple):
    """One open deadline as the policy sees it: the case's people and the rule's notification settings.
    `second_review_held_on` is set for `permanence_plan_by_second_review` when the second review was held.
    `state` is the deadline's state on the day (docs/rules.md); only `NAGGABLE` states are nagged. `working_days`
    says the rule counts working days (messages then give working days left); `urgent` reminds from the
    anchor day (`anchor_date`: a return home interview's first reminder goes the day the child returns) and
    escalates to the manager on the first working day overdue.
    A NamedTuple, not a dataclass: a reminder pass builds hundreds of thousands of them."""

    case_id: str
    deadline_key: str
    rule_id: str
    rule_title: str
    due: date
    initials: str
    worker_email: str
    manager_email: str
    iro_email: str
    audience: frozenset[str] = frozenset({"worker"})
    iro_relevant: bool = False
    met_on: date | None = None
    cancelled_on: date | None = None
    second_review_held_on: date | None = None
    team: str = ""
    last_working_day: date | None = None
    working_days: bool = False
    urgent: bool = False
    state: str = ""
    anchor_date: date | None = None


@dataclass(frozen=True)
class Absence:
    email: str
    from_date: date
    to_date: date
    cover_email: str = ""

    def covers_day(self, day: date) -> bool:
        return self.from_date <= day <= self.to_date


@dataclass(frozen=True)
class Window:
    """The delivery window, in Europe/London civil time."""

    opens: time = time(8, 0)
    closes: time = time(18, 0)

    @classmethod
    def parse(cls, text: str) -> Window:
        start, _, end = text.partition("-")
        return cls(time.fromisoformat(start), time.fromisoformat(end))


@dataclass(frozen=True)
class PolicySettings:
    remind_working_days_before: tuple[int, ...] = (10, 3, 0)
    escalate_to_manager_after_working_days: int = 3
    window: Window = field(default_factory=Window)
    overdue_nudge_every_working_days: int = 1


class Decision(NamedTuple):
    """One owed notification about one deadline for one person, and what became of it. `dedup_key` is hashed
    once, when the decision is routed (empty for a closed deadline or nobody to tell). A NamedTuple: a pass over
    a large caseload makes about a million of them."""

    person: str  # who it is owed to (the dedup key's person, even when a cover receives it)
    case_id: str
    deadline_key: str
    rule_id: str
    kind: Kind
    stage: str
    owed_on: date
    reason: Reason
    recipient: str = ""  # who receives it: the person, or their cover
    not_before: datetime | None = None
    dedup_key: str = ""

    @property
    def cover_for(self) -> str:
        """Whom the recipient covers for ("" unless redirected to a cover)."""
        return self.person if self.reason is Reason.REDIRECTED_ABSENT else ""


def dedup_key(person: str, case_id: str, deadline_key: str, kind: str, stage: str, owed_on: date) -> str:
    """The outbox's dedup key (docs/delivery.md): person, deadline, kind, stage and date, hashed to a fixed width."""
    return digest(person.lower(), case_id, deadline_key, kind, stage, owed_on.isoformat())


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


class MessageKey:
    """A message's own unique key, hashed incrementally over its items' dedup keys in the order they are added
    (a reminder pass adds them chunk by chunk, without holding them all)."""

    def __init__(self, recipient: str, cover_for: str, kind: str, owed_on: date) -> None:
        self._hash = hashlib.sha256("\x1f".join(("message", recipient, cover_for, kind, owed_on.isoformat())).encode())

    def add(self, item_key: str) -> None:
        self._hash.update(b"\x1f" + item_key.encode())

    def hexdigest(self) -> str:
        return self._hash.hexdigest()[:40]
