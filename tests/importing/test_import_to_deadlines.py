"""End to end through the store: the SPEC §3 examples imported as CSV and read back with `query_deadlines`."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar, england_and_wales
from ptrack.tracker import services
from ptrack.tracker.model import Status
from ptrack.tracker.rules import RuleSet, load_ruleset
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t

TODAY = date(2026, 11, 25)
CASES_HEADER = ["case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email"]
EVENTS_HEADER = ["event_id", "case_id", "event", "date"]


def d(s: str) -> date:
    return date.fromisoformat(s)


@pytest.fixture
def spec_examples(store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path,
                  write_csv: Callable[..., Path]) -> Store:
    cases = [[f"X{i}", "ZZ", "2012-01-01", "Team A", "worker.a1@example.org", "manager.a@example.org",
              "iro.a@example.org"] for i in range(1, 6)]
    events = [
        ["x1-las", "X1", "looked_after_start", "2024-12-19"],
        ["x2-las", "X2", "looked_after_start", "2022-05-28"],
        ["x3-las", "X3", "looked_after_start", "2024-12-20"],
        ["x3-r1", "X3", "review_held", "2025-01-21"],
        ["x4-las", "X4", "looked_after_start", "2023-11-01"],
        ["x4-r1", "X4", "review_held", "2023-11-30"],
        ["x5-las", "X5", "looked_after_start", "2023-12-01"],
        ["x5-pi", "X5", "proceedings_issued", "2024-01-08"],
    ]
    services.import_paths(store, [write_csv(tmp_path / "cases.csv", CASES_HEADER, cases),
                                  write_csv(tmp_path / "events.csv", EVENTS_HEADER, events)],
                          today=TODAY, ruleset=ruleset, calendar=calendar)
    return store


def due_of(store: Store, case_id: str, rule_id: str, as_of: date = TODAY) -> tuple[date, date]:
    [row] = [r for r in services.query_deadlines(store, as_of, case_id=case_id) if r.rule_id == rule_id]
    return row.due, row.deadline.last_working_day


@pytest.mark.parametrize(
    ("case_id", "rule_id", "due", "last_working_day"),
    [
        ("X1", "cla_review_first", "2025-01-21", "2025-01-21"),
        ("X2", "cla_review_first", "2022-06-28", "2022-06-28"),
        ("X3", "cla_review_second", "2025-04-21", "2025-04-17"),
        ("X4", "cla_review_second", "2024-02-29", "2024-02-29"),
        ("X5", "care_proceedings_26_weeks", "2024-07-07", "2024-07-05"),
    ],
)
def test_spec_examples_through_the_store(spec_examples: Store, case_id: str, rule_id: str, due: str,
                                         last_working_day: str) -> None:
    assert due_of(spec_examples, case_id, rule_id) == (d(due), d(last_working_day))


def test_deadlines_carry_the_versions_they_were_computed_with(spec_examples: Store, ruleset: RuleSet,
                                                              calendar: WorkingDayCalendar) -> None:
    rows = services.query_deadlines(spec_examples, TODAY)
    assert {(r.ruleset_version, r.calendar_version) for r in rows} == {(ruleset.version, calendar.version)}
    first = [r for r in rows if r.case_id == "X1" and r.rule_id == "cla_review_first"][0]
    assert first.status is Status.OVERDUE
    assert {name for _, name in first.deadline.skipped} >= {"Christmas Day", "Boxing Day", "New Year's Day"}


def test_a_full_recompute_of_unchanged_data_rewrites_nothing(spec_examples: Store, ruleset: RuleSet,
                                                             calendar: WorkingDayCalendar) -> None:
    report = services.recompute(spec_examples, ruleset, calendar, TODAY)
    assert report.cases == 5 and report.deadlines > 0
    assert (report.inserted, report.updated, report.archived) == (0, 0, 0)
    assert report.unchanged == report.deadlines


def test_a_new_rule_pack_changes_deadlines_with_history(spec_examples: Store,
                                                        calendar: WorkingDayCalendar) -> None:
    local = load_ruleset(["england", "tameside"])
    report = services.recompute(spec_examples, local, calendar, TODAY)
    assert report.inserted > 0 and report.ruleset_version == local.version
    rows = services.query_deadlines(spec_examples, TODAY)
    assert {r.ruleset_version for r in rows} == {local.version}
    with spec_examples.reading() as conn:
        assert conn.execute(select(t.meta.c.value).where(t.meta.c.key == "last_ruleset_version")).scalar_one() \
            == local.version


def test_a_recompute_of_chosen_cases_leaves_the_others(spec_examples: Store, ruleset: RuleSet,
                                                       calendar: WorkingDayCalendar) -> None:
    report = services.recompute(spec_examples, ruleset, calendar, TODAY, ["X1", "X404"])
    assert report.cases == 1


def test_the_timeline_is_oldest_first(spec_examples: Store) -> None:
    timeline = services.case_timeline(spec_examples, "X3")
    assert [(e.event_id, e.kind) for e in timeline.events] == [
        ("x3-las", "looked_after_start"), ("x3-r1", "review_held")]
    assert timeline.case.team == "Team A"


def test_a_case_the_engine_cannot_compute_is_reported_and_keeps_its_deadlines(
    spec_examples: Store, ruleset: RuleSet
) -> None:
    before = services.query_deadlines(spec_examples, TODAY, case_id="X1")
    narrow = england_and_wales(2024, 2026)  # X2's 2022 anchor is outside this calendar
    report = services.recompute(spec_examples, ruleset, narrow, TODAY, ["X1", "X2"])
    assert [case_id for case_id, _ in report.failed] == ["X2"]
    assert "2022" in report.failed[0][1]
    assert [r.rule_id for r in services.query_deadlines(spec_examples, TODAY, case_id="X2")] != []
    assert len(services.query_deadlines(spec_examples, TODAY, case_id="X1")) == len(before)


def test_worker_processes_give_the_same_deadlines(spec_examples: Store, ruleset: RuleSet,
                                                  calendar: WorkingDayCalendar,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    before = services.query_deadlines(spec_examples, TODAY)
    with spec_examples.transaction() as conn:
        stored = conn.execute(t.deadlines.delete()).rowcount
    monkeypatch.setattr(services, "PARALLEL_FROM_CASES", 1)
    report = services.recompute(spec_examples, ruleset, calendar, TODAY)
    assert report.workers == min(2, os.cpu_count() or 1) and report.inserted == stored
    after = services.query_deadlines(spec_examples, TODAY)
    assert [r.deadline for r in after] == [r.deadline for r in before]
