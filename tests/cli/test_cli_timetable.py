"""The rest of the statutory timetable through the installed CLI: canonical CSV in, `ptrack deadlines`,
`ptrack explain` and `ptrack rules list` out. Each expected date is worked out by hand from the rule's words
and the England and Wales calendar (docs/rules.md)."""

from __future__ import annotations

import csv
import io

import pytest
from test_cli_commands import Ptrack

from ptrack.tracker.rules import load_ruleset

AS_OF = ("--as-of", "2026-11-25")
NEW_RULES = (
    "health_assessment_initial", "health_assessment_review", "pep_initial", "pep_review", "return_home_interview",
    "placement_notification", "emergency_placement_limit", "visit_with_parent_reg19", "visit_care_order_with_parent",
    "adoption_review_authorised", "adoption_visit", "pathway_plan_review", "personal_adviser_visit", "iro_allocated",
)
CASES = """case_id,initials,dob,team,worker_email,manager_email,iro_email
MIS,AB,2011-04-02,Team A,sw@example.org,tm@example.org,iro@example.org
PAR,CD,2019-09-09,Team A,sw@example.org,tm@example.org,iro@example.org
ADO,EF,2024-01-15,Team A,sw@example.org,tm@example.org,iro@example.org
LEA,GH,2007-03-10,Team A,sw@example.org,tm@example.org,iro@example.org
"""
EVENTS = [
    # a 14-year-old looked after on Thu 18 Dec 2025, who went missing and came back on Christmas Eve
    ("m1", "MIS", "looked_after_start", "2025-12-18", "", ""),
    ("m2", "MIS", "placement_start", "2025-12-18", "emergency_foster", ""),
    ("m3", "MIS", "missing_start", "2026-11-20", "", "missing"),
    ("m4", "MIS", "missing_end", "2026-11-24", "", "missing"),
    ("m5", "MIS", "health_assessment", "2026-01-20", "", "initial"),
    ("m6", "MIS", "pep_reviewed", "2026-01-14", "", ""),
    # placed with a parent before assessment (reg 19), no interim care order: reg 28(3)
    ("p1", "PAR", "looked_after_start", "2026-03-02", "", ""),
    ("p2", "PAR", "placement_start", "2026-03-02", "with_parent", ""),
    ("p3", "PAR", "visit", "2026-03-06", "", ""),
    ("p4", "PAR", "review_held", "2026-03-27", "", ""),
    ("p5", "PAR", "visit", "2026-03-30", "", ""),
    # placed for adoption on Fri 19 Dec 2025 after authority on 30 Aug 2025
    ("a1", "ADO", "looked_after_start", "2025-03-03", "", ""),
    ("a2", "ADO", "authority_to_place", "2025-08-30", "", ""),
    ("a3", "ADO", "placement_start", "2025-12-19", "adoption", ""),
    ("a4", "ADO", "placed_for_adoption", "2025-12-19", "", ""),
    ("a5", "ADO", "adoption_visit", "2025-12-23", "", ""),
    # a care leaver, 18 on 10 Mar 2025, accommodated by the council
    ("l1", "LEA", "pathway_plan_reviewed", "2025-08-31", "", ""),
    ("l2", "LEA", "care_leaver_accommodation_start", "2026-10-30", "", ""),
    ("l3", "LEA", "pa_visit", "2026-11-05", "", ""),
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Ptrack:
    where = tmp_path_factory.mktemp("timetable")
    p = Ptrack(where)
    (where / "cases.csv").write_text(CASES)
    with (where / "events.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["event_id", "case_id", "event", "date", "placement_kind", "kind"])
        w.writerows(EVENTS)
    p("init")
    config = where / "ptrack.toml"  # the events.csv feed is complete: judge every rule
    config.write_text(config.read_text().replace("complete_sources = []", 'complete_sources = ["csv"]'))
    p(*AS_OF, "import", "cases.csv", "events.csv")
    return p


def due(p: Ptrack, case_id: str) -> set[tuple[str, str, str]]:
    out = p(*AS_OF, "deadlines", "--case", case_id, "--status", "all", "--format", "csv").stdout
    return {(r["rule_id"], r["due"], r["status"]) for r in csv.DictReader(io.StringIO(out))}


def test_a_child_who_went_missing(loaded: Ptrack) -> None:
    got = due(loaded, "MIS")
    # 18 Dec 2025 + 20 working days skips 25, 26 Dec and 1 Jan: Tue 20 Jan 2026
    assert ("health_assessment_initial", "2026-01-20", "met") in got
    assert ("pep_initial", "2026-01-20", "met") in got
    assert ("pep_review", "2026-05-14", "overdue") in got  # four months after the first PEP
    assert ("iro_allocated", "2025-12-29", "overdue") in got  # 5 working days: 19, 22, 23, 24, 29 Dec
    assert ("emergency_placement_limit", "2025-12-30", "overdue") in got  # 6 working days
    assert ("return_home_interview", "2026-11-27", "due_soon") in got  # back Tue 24 Nov: 72 hours


def test_a_child_placed_with_a_parent_before_assessment(loaded: Ptrack) -> None:
    got = due(loaded, "PAR")
    assert ("visit_with_parent_reg19", "2026-03-13", "met_late") in got  # weekly until the first review
    out = loaded(*AS_OF, "explain", "PAR", "visit_year1").stdout
    assert "visit_with_parent_reg19" in out  # after the review six-weekly under reg 28(3) and 28(2)(b) alike


def test_a_child_authorised_and_then_placed_for_adoption(loaded: Ptrack) -> None:
    got = due(loaded, "ADO")
    # 3 months after authority; still overdue when the placement for adoption ended the rule: a breach kept
    assert ("adoption_review_authorised", "2025-11-30", "missed") in got
    assert ("adoption_visit", "2025-12-26", "met") in got  # within a week of placement (Boxing Day)
    assert ("adoption_visit", "2025-12-30", "overdue") in got  # then weekly until the first review
    out = loaded(*AS_OF, "explain", "ADO", "adoption_visit").stdout
    assert "AA Regs" in out or "Adoption Agencies Regulations 2005 reg 36(4)(a)" in out
    assert "placed for adoption on Fri 19 Dec 2025" in out


def test_a_care_leaver(loaded: Ptrack) -> None:
    got = due(loaded, "LEA")
    assert ("pathway_plan_review", "2026-02-28", "overdue") in got  # 31 Aug + 6 months: no 31 February
    assert ("personal_adviser_visit", "2026-11-06", "met") in got  # 7 days after the new accommodation
    assert ("personal_adviser_visit", "2027-01-05", "upcoming") in got  # then two-monthly


def test_every_new_rule_is_listed_with_its_source(loaded: Ptrack) -> None:
    listing = loaded("rules", "list").stdout
    rules = load_ruleset(["england"]).rules
    for rule_id in NEW_RULES:
        assert rule_id in listing, rule_id
        shown = loaded("rules", "show", rule_id).stdout
        assert rules[rule_id].citation in " ".join(shown.split()), rule_id
