"""Plain domain data shared by importing, the rules engine, the store and the CLI.

No SQLAlchemy, no I/O: these are the values that flow files -> importing -> store -> engine -> store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

EVENT_KINDS: frozenset[str] = frozenset(
    {
        # docs/importing.md vocabulary
        "looked_after_start", "looked_after_end", "placement_start", "placement_end", "temporary_approval",
        "approval_extended", "carer_approved", "review_held", "visit", "ppm_held", "proceedings_issued",
        "proceedings_extended", "proceedings_concluded", "final_care_plan_due", "permanence_plan_agreed",
        "permanence_achieved", "assessment_completed", "pre_placement_meeting", "placement_support_meeting",
        "panel_date", "pf_notified", "pf_visit", "pf_end", "placed_for_adoption", "adoption_review_held",
        "care_order_made",
        # The rest of the statutory timetable (docs/rules.md): health, education, missing, notifications,
        # interim care orders, adoption, care leavers and IRO allocation.
        "health_assessment", "pep_reviewed", "missing_start", "missing_end", "return_home_interview",
        "placement_notified", "interim_care_order", "authority_to_place", "adoption_visit",
        "pathway_plan_reviewed", "pa_visit", "care_leaver_accommodation_start", "iro_allocated",
        # Extensions (docs/rules.md): the events that meet rules the canonical vocabulary has no event for.
        "placement_plan_agreed", "care_plan_agreed", "panel_invitation_sent", "panel_paperwork_filed",
        "needs_assessment_completed", "pathway_plan_agreed", "staying_put_considered",
        "dispute_raised", "dispute_stage_started", "dispute_resolved",
    }
)

PLACEMENT_KINDS: frozenset[str] = frozenset(
    {"foster", "connected_person", "with_parent", "residential", "adoption", "other", "emergency_foster",
     "short_break"}
)
# The `kind` column of the events that take one (docs/importing.md); other events take free text.
EVENT_SUBKINDS: dict[str, frozenset[str]] = {
    "health_assessment": frozenset({"initial", "review", "other"}),
    "missing_end": frozenset({"missing", "away"}),
    "missing_start": frozenset({"missing", "away"}),
}
PERMANENCE_KINDS: frozenset[str] = frozenset({"adoption_order", "sgo", "cao", "return_home", "long_term_match"})


# VALUES_NOTE: Event, Contributor and Deadline are values, never changed after they are built (use
# dataclasses.replace for a changed copy). They are not `frozen` only because a frozen dataclass costs five
# times as much to build, and a full recompute builds millions of them; Contributor and Deadline are slotted
# (no per-instance dict: cheaper to build and to read, the engine builds one of each per candidate).


class Status(StrEnum):
    UPCOMING = "upcoming"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"
    MISSED = "missed"  # overdue when its scope ended: a breach kept in every report, never nagged
    CANCELLED = "cancelled"
    UNTRACKED = "untracked"  # display only: no source of the deployment supplies the rule's evidence (§5)


@dataclass(frozen=True)
class Case:
    case_id: str
    initials: str = ""
    dob: date | None = None
    team: str = ""
    worker_email: str = ""
    manager_email: str = ""
    iro_email: str = ""


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""
    role: str = "worker"  # worker | manager | iro | admin
    team: str = ""
    slack_user_id: str = ""
    channel: str = ""  # teams | slack | email | "" (the default channel)
    sw_id: str = ""  # Social Work England number (SSDA903 SW_ID) or SSD prof_staff_id: matches allocations


@dataclass(unsafe_hash=True)  # a value: see VALUES_NOTE
class Event:
    """A dated fact about a case. `event_id` is unique per case system; `kind` is in the event vocabulary
    (docs/importing.md)."""

    event_id: str
    case_id: str
    kind: str
    date: date
    placement_kind: str = ""
    intended_until_18: bool | None = None
    subkind: str = ""  # events.csv `kind`: permanence kind, or "additional" for an extra review
    weeks: int | None = None  # proceedings_extended / approval_extended
    short_break: bool = False  # a short-break period (903 LS V3/V4, kind=short_breaks): reg 48, not reg 33
    note: str = ""


@dataclass(frozen=True)
class IgnoredEvent:
    """An event known to the engine that no deadline used (docs/rules.md), and why."""

    event_id: str
    case_id: str
    kind: str
    date: date
    reason: str


@dataclass(frozen=True)
class Timeline:
    """One case and its events, oldest first (ties keep import order)."""

    case: Case
    events: tuple[Event, ...]


@dataclass(unsafe_hash=True, slots=True)  # a value: see VALUES_NOTE
class Contributor:
    """One rule that produced a candidate date for an obligation; the earliest wins."""

    rule_id: str
    due: date
    scope: str  # "N" national or "L" local
    pack: str


@dataclass(unsafe_hash=True, slots=True)  # a value: see VALUES_NOTE
class Deadline:
    """One computed due date for one case and obligation occurrence, with everything needed to explain it.

    `key` identifies the same deadline across recomputes: obligation, the event that opened its scope (period
    of care, placement, proceedings...) and the occurrence number within that scope.
    Status is a function of the date asked about (see `status_on`); `status` holds it for the as-of date the
    deadline was computed for."""

    key: str
    case_id: str
    rule_id: str
    obligation: str
    due: date
    last_working_day: date
    status: Status
    anchor_event: str
    anchor_event_id: str
    anchor_date: date
    source: str  # citation of the winning rule
    counting: str  # e.g. "20 working days (WD)"
    due_soon_from: date
    met_on: date | None = None
    met_event_id: str = ""
    cancelled_on: date | None = None
    cancel_reason: str = ""
    skipped: tuple[tuple[date, str], ...] = ()  # named non-working days the count passed over
    contributors: tuple[Contributor, ...] = ()
    notes: tuple[str, ...] = field(default=())  # further derivation steps (extensions, moved anchors)

    def status_on(self, as_of: date) -> Status:
        return status_on(self.due, self.due_soon_from, self.met_on, self.cancelled_on, as_of)


def status_on(
    due: date, due_soon_from: date, met_on: date | None, cancelled_on: date | None, as_of: date
) -> Status:
    """The states on the date `as_of` (docs/rules.md): doing the thing on the due date is in time; overdue starts
    the day after. A deadline met or cancelled after `as_of` is still open on `as_of`. One whose scope ended (the
    child left care, the placement ended) after its due date, unmet, was overdue then: `missed`, a breach;
    ended on or before its due date: `cancelled`, no breach. `untracked` is never a date's verdict: it is
    laid over the stored state by whoever knows the deployment's sources (`ptrack coverage`)."""
    if met_on is not None and met_on <= as_of:
        return Status.MET if met_on <= due else Status.MET_LATE
    if cancelled_on is not None and cancelled_on <= as_of:
        return Status.MISSED if cancelled_on > due else Status.CANCELLED
    if as_of > due:
        return Status.OVERDUE
    if as_of >= due_soon_from:
        return Status.DUE_SOON
    return Status.UPCOMING
