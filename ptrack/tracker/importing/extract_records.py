"""Records that case-system extracts (SSDA903, SSD) produce besides events.

An extract knows only part of a case (the 903 header has the date of birth but no team or worker; SSD
involvements have the worker but no date of birth), so it yields `CaseDetails`, merged into the stored case:
an empty field leaves the stored value alone. `CaseSystemDue` is the case system's own due date for a review
(`ssd_cla_reviews.clar_cla_review_due_date`), kept to compare with ptrack's (`ptrack discrepancies`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CaseDetails:
    """What an extract says about a case; `None` / "" means "not known here", never "clear it"."""

    case_id: str
    dob: date | None = None
    team: str = ""
    worker_email: str = ""


@dataclass(frozen=True)
class CaseSystemDue:
    """The case system's due date for one review, keyed by the case system's review id."""

    source: str  # "ssd"
    review_id: str
    case_id: str
    due: date
    review_date: date | None  # None: the review has not been held (yet)
    event_id: str  # the review_held event of the same row ("" when not held)


@dataclass(frozen=True)
class Allocation:
    """The social worker (by SW_ID / prof_staff_id) allocated to a case from `start` to `end` (None: open)."""

    source: str
    case_id: str
    sw_id: str
    start: date
    end: date | None
