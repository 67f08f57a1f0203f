"""Metamorphic tests of the import path (SPEC §4.1): the same random timelines, shaped as case systems record
them (moves with or without an explicit placement_end row), imported in any row order, split across files, or
twice, give identical deadlines; and every imported event is either used or listed as not used."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.rules import RuleSet, compute_case
from ptrack.tracker.services import case_timeline, import_paths, init_database, open_store
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t

TODAY = date(2026, 11, 25)
HEADER = ("event_id", "case_id", "event", "date", "placement_kind")
Row = tuple[str, str, str, str, str]


def timelines(seed: int, children: int = 12) -> dict[bool, list[Row]]:
    """Each child's period of care with moves, visits and reviews; the moves written with and without an
    explicit placement_end row on the day of the next placement_start."""
    rng = random.Random(seed)
    out: dict[bool, list[Row]] = {True: [], False: []}
    for c in range(children):
        rows = _child(rng, f"R{c}")
        out[True] += [r for r, _ in rows]
        out[False] += [r for r, end_row in rows if not end_row]
    return out


def _child(rng: random.Random, case: str) -> list[tuple[Row, bool]]:
    day = date(2023, 1, 2) + timedelta(days=rng.randrange(400))
    rows: list[tuple[Row, bool]] = []

    def add(kind: str, on: date, pk: str = "", end_row: bool = False) -> None:
        rows.append(((f"{case}-{len(rows) + 1}", case, kind, on.isoformat(), pk), end_row))

    add("looked_after_start", day)
    add("placement_start", day, "foster")
    for _ in range(rng.randrange(1, 4)):
        for _ in range(rng.randrange(0, 4)):
            day += timedelta(days=rng.randrange(5, 50))
            add(rng.choice(["visit", "visit", "review_held", "placement_plan_agreed"]), day)
        day += timedelta(days=rng.randrange(1, 80))
        add("placement_end", day, end_row=True)
        add("placement_start", day, rng.choice(["foster", "residential", "connected_person"]))
    if rng.random() < 0.4:
        add("looked_after_end", day + timedelta(days=rng.randrange(0, 30)))
    return rows


def write(path: Path, rows: list[Row]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def cases(path: Path, children: int = 12) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email"])
        w.writerows([f"R{c}", "AB", "2012-06-01", "Team A", "sw@example.org", "", ""] for c in range(children))
    return path


def deadlines_after(where: Path, batches: list[list[Path]], ruleset: RuleSet,
                    calendar: WorkingDayCalendar) -> tuple[set[tuple[Any, ...]], Store]:
    url = f"sqlite:///{where / 'ptrack.db'}"
    init_database(url)
    store = open_store(url)
    for paths in batches:
        import_paths(store, paths, today=TODAY, ruleset=ruleset, calendar=calendar)
    d = t.deadlines.c
    with store.reading() as conn:
        rows = conn.execute(select(d.case_id, d.rule_id, d.anchor_date, d.due, d.met_on, d.cancelled_on))
        return {tuple(r) for r in rows}, store


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_moves_row_order_file_split_and_reimport_never_change_a_date(
    seed: int, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar
) -> None:
    shapes = timelines(seed)
    rng = random.Random(seed)
    cases_csv = cases(tmp_path / "cases.csv")
    (tmp_path / "plain").mkdir()
    expected, store = deadlines_after(tmp_path / "plain", [[cases_csv, write(tmp_path / "a.csv", shapes[False])]],
                                      ruleset, calendar)
    store.close()
    shuffled = shapes[True][:]
    rng.shuffle(shuffled)
    half = len(shuffled) // 2
    second = write(tmp_path / "second.csv", shuffled[half:])
    first = write(tmp_path / "first.csv", shuffled[:half])
    (tmp_path / "split").mkdir()
    got, store = deadlines_after(tmp_path / "split", [[cases_csv, second], [first], [first, second]],
                                 ruleset, calendar)
    assert got == expected
    _every_event_accounted_for(store, shapes[True], ruleset, calendar)
    store.close()


def _every_event_accounted_for(store: Store, rows: list[Row], ruleset: RuleSet, calendar: WorkingDayCalendar) -> None:
    for case_id in sorted({r[1] for r in rows}):
        timeline = case_timeline(store, case_id)
        assert {e.event_id for e in timeline.events} == {r[0] for r in rows if r[1] == case_id}  # none lost
        result = compute_case(timeline, ruleset, calendar, TODAY)
        used = {d.anchor_event_id for d in result.deadlines} | {d.met_event_id for d in result.deadlines}
        for item in result.ignored:
            assert item.event_id not in used and item.reason, item
            assert not item.reason.startswith("no rule it serves"), item  # every reason is a specific one
