"""Deleted records (issue 9): a full extract voids the events it no longer has, by hand with
`ptrack events void`, both kept in history, recomputed, and refused past the safety valve."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.errors import ImportFileError
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import import_paths, query_deadlines
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t

TODAY = date(2025, 4, 30)
CASES = [("V1", "AB", "2015-01-01", "Team A", "sw@example.org", "tm@example.org", "")]
EVENTS = [  # one child, one placement, visits; V1-4 is the visit the case system will delete
    ("V1-1", "V1", "looked_after_start", "2025-03-03"), ("V1-2", "V1", "placement_start", "2025-03-03"),
    ("V1-3", "V1", "review_held", "2025-03-28"), ("V1-4", "V1", "visit", "2025-03-07"),
    ("V1-5", "V1", "visit", "2025-04-11"), ("V1-6", "V1", "visit", "2025-04-25"),
    ("V1-7", "V1", "care_plan_agreed", "2025-03-10"), ("V1-8", "V1", "placement_plan_agreed", "2025-03-05"),
    ("V1-9", "V1", "visit", "2025-04-28"), ("V1-10", "V1", "visit", "2025-04-29"),
    ("V1-11", "V1", "visit", "2025-04-14"),
]


def write(where: Path, name: str, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> Path:
    path = where / name
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def cases_file(where: Path) -> Path:
    return write(where, "cases.csv", CASES, ("case_id", "initials", "dob", "team", "worker_email", "manager_email",
                                             "iro_email"))


def events_file(where: Path, rows: list[tuple[str, ...]], name: str = "events.csv") -> Path:
    return write(where, name, rows, ("event_id", "case_id", "event", "date"))


def load(store: Store, paths: list[Path], ruleset: RuleSet, calendar: WorkingDayCalendar, **kw: Any) -> list[Any]:
    return import_paths(store, paths, today=TODAY, ruleset=ruleset, calendar=calendar, full_extract=["events"], **kw)


def first_visit(store: Store) -> tuple[str, Any]:
    [d] = [r.deadline for r in query_deadlines(store, TODAY, case_id="V1", statuses=None)
           if r.rule_id == "visit_first_week"]
    return d.status.value, d.met_on


def event_row(store: Store, event_id: str) -> Any:
    with store.reading() as conn:
        return conn.execute(select(t.events).where(t.events.c.event_id == event_id)).mappings().one()


def test_a_full_extract_voids_what_it_no_longer_has_and_restores_what_comes_back(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path
) -> None:
    load(store, [cases_file(tmp_path), events_file(tmp_path, EVENTS)], ruleset, calendar)
    assert first_visit(store) == ("met", date(2025, 3, 7))
    [report] = load(store, [events_file(tmp_path, [e for e in EVENTS if e[0] != "V1-4"], "events2.csv")],
                    ruleset, calendar)
    assert report.events_voided == 1 and report.voided[0][:3] == ("V1-4", "V1", "visit")
    assert first_visit(store) == ("met_late", date(2025, 4, 11))  # recomputed: the next visit was late
    row = event_row(store, "V1-4")  # kept in history, with the batch that voided it
    assert row["voided_at"] is not None and row["voided_by_batch_id"] == report.batch_id
    assert "events2.csv" in row["void_reason"]
    [back] = load(store, [events_file(tmp_path, EVENTS, "events3.csv")], ruleset, calendar)
    assert back.events_voided == 0 and event_row(store, "V1-4")["voided_at"] is None
    assert first_visit(store) == ("met", date(2025, 3, 7))
    with store.reading() as conn:
        trail = [r.action for r in conn.execute(select(t.event_voids).order_by(t.event_voids.c.id))]
    assert trail == ["voided", "restored"]


def test_the_safety_valve_refuses_a_mass_void_unless_allowed(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path
) -> None:
    load(store, [cases_file(tmp_path), events_file(tmp_path, EVENTS)], ruleset, calendar)
    half = events_file(tmp_path, EVENTS[:6], "half.csv")
    with pytest.raises(ImportFileError, match=r"would void 5 of 11 csv events \(45%\).*--allow-mass-void"):
        load(store, [half], ruleset, calendar)
    assert event_row(store, "V1-9")["voided_at"] is None  # refused as a whole: nothing voided
    [report] = load(store, [half], ruleset, calendar, allow_mass_void=True)
    assert report.events_voided == 5 and event_row(store, "V1-9")["voided_at"] is not None


def test_only_a_declared_full_extract_voids_and_a_file_with_rejects_voids_nothing(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path
) -> None:
    load(store, [cases_file(tmp_path), events_file(tmp_path, EVENTS)], ruleset, calendar)
    partial = events_file(tmp_path, [e for e in EVENTS if e[0] != "V1-4"], "partial.csv")
    [plain] = import_paths(store, [partial], today=TODAY, ruleset=ruleset, calendar=calendar)
    assert not plain.full_extract and event_row(store, "V1-4")["voided_at"] is None
    bad = events_file(tmp_path, [e for e in EVENTS if e[0] != "V1-4"] + [("V1-99", "V1", "visit", "someday")],
                      "bad.csv")
    [report] = load(store, [bad], ruleset, calendar)
    assert report.has_rejects and report.events_voided == 0 and "rejected rows" in report.void_note
    assert event_row(store, "V1-4")["voided_at"] is None
