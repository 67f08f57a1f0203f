"""Where the case system's own review due date (SSD `clar_cla_review_due_date`) differs from ptrack's.

A held review is matched to the ptrack deadline it met (`met_event_id` is the review's event); a review not
yet held is matched to the case's earliest open review deadline. Each discrepancy carries both explanations:
ptrack's derivation and what the case system's date is consistent with (calendar days instead of working days,
bank holidays not skipped, a different interval), so the person fixing it knows which side is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ptrack.calendars import WorkingDayCalendar
from ptrack.calendars.counting import add_months
from ptrack.tracker.store import Store
from ptrack.tracker.store import extracts as x


@dataclass(frozen=True)
class Discrepancy:
    case_id: str
    review_id: str
    rule_id: str
    ptrack_due: date
    case_system_due: date
    days_apart: int  # case system minus ptrack
    ptrack_explanation: str
    case_system_explanation: str


def find_discrepancies(store: Store, calendar: WorkingDayCalendar) -> list[Discrepancy]:
    """Every stored case-system due date that differs from ptrack's date for the same review."""
    with store.reading("reading case-system due dates") as conn:
        dues = x.case_system_dues(conn)
        deadlines = x.review_deadlines(conn, sorted({d["case_id"] for d in dues}))
    by_met = {d["met_event_id"]: d for d in deadlines if d["met_event_id"]}
    open_by_case: dict[str, dict[str, Any]] = {}
    for d in deadlines:
        if d["met_on"] is None and d["cancelled_on"] is None:
            open_by_case.setdefault(d["case_id"], d)
    out = []
    for due in dues:
        deadline = by_met.get(due["event_id"]) if due["event_id"] else open_by_case.get(due["case_id"])
        if deadline is not None and deadline["due"] != due["due"]:
            out.append(_discrepancy(due, deadline, calendar))
    return out


def _discrepancy(due: dict[str, Any], deadline: dict[str, Any], calendar: WorkingDayCalendar) -> Discrepancy:
    theirs, ours = due["due"], deadline["due"]
    ptrack = (f"{deadline['rule_id']}: {deadline['anchor_event']} {deadline['anchor_date'].isoformat()} + "
              f"{deadline['counting']} = {ours.isoformat()} ({deadline['source']})")
    held = due["review_date"].isoformat() if due["review_date"] else "not held yet"
    system = (f"case system (ssd_cla_reviews {due['review_id']}, review {held}): due {theirs.isoformat()}; "
              f"{_consistent_with(deadline['anchor_date'], theirs, deadline['counting'], calendar)}")
    return Discrepancy(due["case_id"], due["review_id"], deadline["rule_id"], ours, theirs,
                       (theirs - ours).days, ptrack, system)


def _consistent_with(anchor: date, theirs: date, counting: str, calendar: WorkingDayCalendar) -> str:
    """A plain guess at how the case system got its date from the same anchor."""
    days = (theirs - anchor).days
    guesses = []
    if "working days" in counting:
        weekdays = sum(1 for n in range(1, days + 1) if date.fromordinal(anchor.toordinal() + n).weekday() < 5)
        if weekdays == 20 and calendar.add_working_days(anchor, 20) != theirs:
            guesses.append("20 weekdays counted without skipping bank holidays")
    for months in (3, 6):
        if add_months(anchor, months) == theirs:
            guesses.append(f"{months} months after the anchor")
    if not guesses:
        guesses.append(f"{days} calendar days after ptrack's anchor ({anchor.isoformat()})")
    return "consistent with " + " or ".join(guesses)
