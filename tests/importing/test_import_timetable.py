"""The event vocabulary of the rest of the statutory timetable through the canonical events.csv, on SQLite and
PostgreSQL: every new event kind loads and feeds its rule, the `kind` of health assessments and missing
episodes is checked, and the new placement kinds are accepted. Expected dates are worked out by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker import services
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store

TODAY = date(2026, 11, 25)
CASES_HEADER = ["case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email"]
EVENTS_HEADER = ["event_id", "case_id", "event", "date", "placement_kind", "kind"]
CASES = [["T1", "AB", "2014-02-03", "Team A", "w@example.org", "m@example.org", "i@example.org"],
         ["L1", "CD", "2006-05-01", "Team A", "w@example.org", "m@example.org", "i@example.org"]]
EVENTS = [
    ["t1", "T1", "looked_after_start", "2025-04-07", "", ""],
    ["t2", "T1", "placement_start", "2025-04-07", "emergency_foster", ""],
    ["t3", "T1", "iro_allocated", "2025-04-09", "", ""],
    ["t4", "T1", "placement_notified", "2025-04-10", "", ""],
    ["t5", "T1", "health_assessment", "2025-04-28", "", "initial"],
    ["t6", "T1", "pep_reviewed", "2025-05-01", "", ""],
    ["t7", "T1", "missing_start", "2025-06-13", "", "missing"],
    ["t8", "T1", "missing_end", "2025-06-14", "", "Missing"],
    ["t9", "T1", "return_home_interview", "2025-06-16", "", ""],
    ["t10", "T1", "placement_end", "2025-04-14", "", ""],
    ["t11", "T1", "placement_start", "2025-04-14", "with_parent", ""],
    ["t12", "T1", "interim_care_order", "2025-04-14", "", ""],
    ["t13", "T1", "authority_to_place", "2025-07-01", "", ""],
    ["l1", "L1", "care_leaver_accommodation_start", "2025-02-21", "", ""],
    ["l2", "L1", "pa_visit", "2025-02-27", "", ""],
    ["l3", "L1", "pathway_plan_reviewed", "2025-08-31", "", ""],
    ["x1", "T1", "health_assessment", "2025-05-02", "", "dental"],
    ["x2", "T1", "missing_end", "2025-06-20", "", "absent"],
    ["x3", "T1", "adoption_visit", "2025-07-02", "", ""],
]


def test_the_new_vocabulary_loads_feeds_its_rules_and_bad_kinds_are_located(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path, write_csv: Callable[..., Path],
) -> None:
    paths = [write_csv(tmp_path / "cases.csv", CASES_HEADER, CASES),
             write_csv(tmp_path / "events.csv", EVENTS_HEADER, EVENTS)]
    _, report = services.import_paths(store, paths, today=TODAY, ruleset=ruleset, calendar=calendar)
    assert [str(r) for r in report.rejects] == [
        "events.csv:18: kind: 'dental' is not one of initial, other, review",
        "events.csv:19: kind: 'absent' is not one of away, missing",
    ]
    assert report.rows_loaded == len(EVENTS) - 2
    rows = {(r.rule_id, r.deadline.due.isoformat()): r.deadline for r in services.query_deadlines(store, TODAY)}
    expected = {
        # looked after Mon 7 Apr 2025: 20 working days skip Good Friday, Easter Monday and 5 May
        ("health_assessment_initial", "2025-05-08"): "met",
        ("health_assessment_review", "2026-04-28"): "overdue",  # aged 11 on 28 Apr 2025: 12 months
        ("pep_initial", "2025-05-08"): "met",
        ("pep_review", "2025-09-01"): "overdue",  # 1 May + 4 months
        ("iro_allocated", "2025-04-14"): "met",  # 5 working days from Mon 7 Apr
        ("placement_notification", "2025-04-14"): "met",
        ("emergency_placement_limit", "2025-04-15"): "met",  # moved on 14 Apr, within 6 working days
        ("return_home_interview", "2025-06-17"): "met",  # back Sat 14 Jun: 72 hours
        ("adoption_review_authorised", "2025-10-01"): "overdue",
        ("personal_adviser_visit", "2025-02-28"): "met",
        ("personal_adviser_visit", "2025-04-27"): "overdue",
        ("pathway_plan_review", "2026-02-28"): "overdue",
    }
    got = {key: rows[key].status.value for key in expected if key in rows}
    assert got == expected
    # the with-parent placement under an interim care order is visited under reg 28(4), not reg 28(3): its first
    # visit is due on Mon 21 Apr under both reg 28(2)(a) and reg 28(4)(a)
    first = rows["visit_first_week", "2025-04-21"]
    assert {c.rule_id for c in first.contributors} == {"visit_first_week", "visit_connected_or_parent"}
