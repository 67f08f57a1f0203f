"""Issue 9 through the installed CLI: a move with an explicit placement_end (SPEC §4.1), `missed` breaches
(§2), events reported as not used, and a deployment fed by SSDA903 alone (untracked rules, `ptrack coverage`,
`ptrack doctor`)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from test_cli_commands import Ptrack

from ptrack.tracker.synthetic import CaseloadShape
from ptrack.tracker.synthetic_903 import write_returns

CASES = ("case_id,initials,dob,team,worker_email,manager_email,iro_email\n"
         "M1,AB,2015-01-01,Team A,sw@example.org,tm@example.org,\n")
MOVE = [  # issue 9 point 1
    ("M1-1", "looked_after_start", "2024-03-01", ""), ("M1-2", "placement_start", "2024-03-01", "foster"),
    ("M1-3", "placement_end", "2024-04-02", ""), ("M1-4", "placement_start", "2024-04-02", "foster"),
    ("M1-5", "visit", "2024-04-05", ""), ("M1-6", "visit", "2024-05-05", ""),
]
AS_OF = ("--as-of", "2024-05-10")


def write_events(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["event_id", "case_id", "event", "date", "placement_kind"])
        for event_id, kind, day, pk in rows:
            w.writerow([event_id, "M1", kind, day, pk])


def rows_of(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


@pytest.fixture()
def moved(tmp_path: Path) -> Ptrack:
    p = Ptrack(tmp_path)
    (tmp_path / "cases.csv").write_text(CASES)
    # split across two files, the new placement's start before the old one's end
    write_events(tmp_path / "b.csv", [MOVE[3], MOVE[4], MOVE[5]])
    write_events(tmp_path / "a.csv", [MOVE[0], MOVE[1], MOVE[2]])
    p("init")
    config = tmp_path / "ptrack.toml"  # the events.csv feed is complete: judge every rule
    config.write_text(config.read_text().replace("complete_sources = []", 'complete_sources = ["csv"]'))
    p(*AS_OF, "import", "cases.csv", "b.csv")
    p(*AS_OF, "import", "a.csv")
    return p


def test_the_issue_reproduction_gives_the_new_placement_its_visit_dates(moved: Ptrack) -> None:
    out = moved(*AS_OF, "deadlines", "--case", "M1", "--status", "all", "--format", "csv").stdout
    visits = sorted((r["due"], r["status"]) for r in rows_of(out) if r["rule_id"] == "visit_year1")
    assert visits == [("2024-05-17", "met"), ("2024-06-16", "upcoming")]
    firsts = sorted((r["anchor_date"], r["status"]) for r in rows_of(out) if r["rule_id"] == "visit_first_week")
    assert firsts == [("2024-03-01", "missed"), ("2024-04-02", "met")]


def test_status_missed_lists_the_breach_and_open_does_not(moved: Ptrack) -> None:
    missed = rows_of(moved(*AS_OF, "deadlines", "--status", "missed", "--format", "csv").stdout)
    # the events.csv feed is declared complete: no placement_notified means the reg 13 notice was never sent
    assert {(r["rule_id"], r["anchor_date"]) for r in missed} == {
        ("visit_first_week", "2024-03-01"), ("placement_plan", "2024-03-01"),
        ("placement_notification", "2024-03-01")}
    open_rows = rows_of(moved(*AS_OF, "deadlines", "--status", "open", "--format", "csv").stdout)
    assert all(r["status"] != "missed" for r in open_rows)
    explained = moved(*AS_OF, "explain", "M1", "placement_plan").stdout
    assert "missed (a breach)" in explained and "placement_end 2024-04-02" in explained


def test_missed_counts_as_a_breach_in_the_digest_of_that_week(moved: Ptrack) -> None:
    week = json.loads(moved("--as-of", "2024-04-05", "digest", "--format", "json").stdout)
    assert week["missed"] == 3 and week["breaches"] == week["overdue"] + 3
    later = json.loads(moved("--as-of", "2024-05-10", "digest", "--format", "json").stdout)
    assert later["missed"] == 0  # shown in the week it happened, not forever


def test_explain_lists_events_not_used_with_the_reason(moved: Ptrack, tmp_path: Path) -> None:
    write_events(tmp_path / "c.csv", [("M1-7", "review_held", "2024-05-08", ""),
                                      ("M1-8", "looked_after_end", "2024-05-06", "")])
    imported = moved(*AS_OF, "import", "c.csv").stdout  # a warning, not a reject: exit 0, the row is stored
    assert "warning c.csv: event M1-7 (case M1, review_held 2024-05-08): not used: outside any period of care" \
        in imported
    out = moved(*AS_OF, "explain", "M1").stdout
    assert "Events not used (1):" in out and "review_held" in out and "outside any period of care" in out


@pytest.fixture(scope="module")
def only_903(tmp_path_factory: pytest.TempPathFactory) -> Ptrack:
    where = tmp_path_factory.mktemp("only903")
    returns = write_returns(where, CaseloadShape(children=50, seed=5, as_of=date(2026, 11, 25)))
    p = Ptrack(where)
    p("init")
    p("--as-of", "2026-11-25", "import", *[str(x) for r in returns for x in (r.header, r.episodes, r.reviews)])
    return p


UNSEEN_BY_903 = {"care_plan", "placement_plan", "visit_first_week", "visit_year1", "permanence_plan_by_second_review"}


def test_a_903_only_deployment_shows_no_overdue_item_for_a_rule_903_cannot_evidence(only_903: Ptrack) -> None:
    overdue = rows_of(only_903("--as-of", "2026-11-25", "deadlines", "--status", "overdue", "--format", "csv").stdout)
    assert not {r["rule_id"] for r in overdue} & UNSEEN_BY_903
    untracked = rows_of(only_903("--as-of", "2026-11-25", "deadlines", "--status", "untracked", "--format",
                                 "csv").stdout)
    assert UNSEEN_BY_903 - {"visit_year1"} <= {r["rule_id"] for r in untracked}  # no visits: no visit chain
    digest = json.loads(only_903("--as-of", "2026-11-25", "digest", "--format", "json").stdout)
    assert not {i["rule_id"] for t in digest["teams"] for w in t["workers"] for i in w["overdue"]} & UNSEEN_BY_903


def test_coverage_says_why_and_doctor_fails_on_untracked_rules(only_903: Ptrack) -> None:
    verdicts = {r["rule_id"]: r for r in json.loads(only_903("coverage", "--format", "json").stdout)}
    assert verdicts["cla_review_first"]["verdict"] == "tracked"
    assert [s["source"] for s in verdicts["cla_review_first"]["supplied"]] == ["ssda903"]
    assert verdicts["placement_plan"]["verdict"] == "untracked"
    assert "placement_plan_agreed" in verdicts["placement_plan"]["why"]
    table = only_903("coverage").stdout
    assert "untracked" in table and "placement_plan" in table
    doctor = only_903("doctor", ok=False)
    assert doctor.returncode == 1 and "coverage" in doctor.stdout and "placement_plan" in doctor.stdout


def test_remind_never_nags_about_untracked_rules(only_903: Ptrack) -> None:
    out = only_903("--as-of", "2026-11-25", "remind", "--dry-run").stdout
    assert not any(rule in out for rule in UNSEEN_BY_903)
