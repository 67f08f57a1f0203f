"""Issue 10 severe 3 on both databases: a recompute that fails midway (the database refuses writes, as a full disk
does) leaves the cases an import or a void touched marked stale, never silently without deadlines; `refresh`
then finishes them, and its result is what a recompute of every case gives; a mark made while a recompute runs
survives it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker import freshness, services
from ptrack.tracker.errors import StoreError
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store, stale
from ptrack.tracker.store import schema as t
from ptrack.tracker.synthetic import CaseloadShape, write_csvs
from tests.hostile.fs_harness import write_cases, write_events

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
FULL = "database or disk is full"


@contextmanager
def disk_full_after(store: Store, rows: int) -> Iterator[None]:
    """The database refuses any new deadline once `rows` are stored (and, with 0, any change to deadlines)."""
    with store.transaction("installing the fault") as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql(f"CREATE TRIGGER disk_full BEFORE INSERT ON deadlines WHEN (SELECT count(*) FROM "
                                 f"deadlines) >= {rows} BEGIN SELECT RAISE(ABORT, '{FULL}'); END")
            if rows == 0:
                for what in ("UPDATE", "DELETE"):
                    conn.exec_driver_sql(f"CREATE TRIGGER disk_full_{what} BEFORE {what} ON deadlines "
                                         f"BEGIN SELECT RAISE(ABORT, '{FULL}'); END")
        else:
            conn.exec_driver_sql(f"CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN IF TG_OP <> 'INSERT' OR "
                                 f"(SELECT count(*) FROM deadlines) >= {rows} THEN RAISE EXCEPTION '{FULL}'; END IF; "
                                 f"RETURN NEW; END $$ LANGUAGE plpgsql")
            ops = "INSERT OR UPDATE OR DELETE" if rows == 0 else "INSERT"
            conn.exec_driver_sql(f"CREATE TRIGGER disk_full BEFORE {ops} ON deadlines FOR EACH ROW EXECUTE "
                                 f"FUNCTION disk_full()")
    try:
        yield
    finally:
        with store.transaction("removing the fault") as conn:
            if store.dialect == "sqlite":
                for name in ("disk_full", "disk_full_UPDATE", "disk_full_DELETE"):
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            else:
                conn.exec_driver_sql("DROP TRIGGER disk_full ON deadlines")
                conn.exec_driver_sql("DROP FUNCTION disk_full()")


def stored(store: Store) -> list[tuple[object, ...]]:
    d = t.deadlines.c
    query = select(d.case_id, d.rule_id, d.due, d.last_working_day, d.met_on, t.rule_texts.c.anchor_event,
                   d.anchor_date).join_from(t.deadlines, t.rule_texts, t.rule_texts.c.id == d.texts_id)
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(query.order_by(d.case_id, d.rule_id, d.anchor_date))]


def caseload(tmp_path: Path) -> list[Path]:
    made = write_csvs(tmp_path / "files", CaseloadShape(children=40, events_per_child=12, seed=11))
    return [made.cases, made.people, made.events]


@pytest.mark.parametrize("after_rows", [0, 25])
def test_a_recompute_failing_midway_leaves_the_cases_stale_then_refresh_finishes_them(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path, after_rows: int,
) -> None:
    files = caseload(tmp_path)
    with disk_full_after(store, after_rows), pytest.raises(StoreError, match=FULL):
        services.import_paths(store, files, today=TODAY, ruleset=ruleset, calendar=calendar, now=NOW)
    found = freshness.staleness(store, ruleset, calendar)
    with store.reading() as conn:
        cases = {r[0] for r in conn.execute(select(t.cases.c.case_id))}
        with_deadlines = {r[0] for r in conn.execute(select(t.deadlines.c.case_id).distinct())}
        marked = set(stale.marked(conn))
    assert found.stale and found.marked == len(cases) == 40
    assert cases - with_deadlines <= marked, "every case without its deadlines is marked stale"
    assert "40 cases have events not yet in their deadlines" in found.describe()
    done = freshness.refresh(store, ruleset, calendar, TODAY, NOW)
    assert not done.error and not done.after.stale and done.recomputed == 40
    refreshed = stored(store)
    assert len({row[0] for row in refreshed}) > len(with_deadlines)
    again = services.recompute(store, ruleset, calendar, TODAY, None, NOW)  # every case, from scratch
    assert (again.inserted, again.updated, again.archived) == (0, 0, 0)
    assert stored(store) == refreshed


def test_a_refresh_that_cannot_write_says_so_and_keeps_the_marks(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path,
) -> None:
    files = caseload(tmp_path)
    with disk_full_after(store, 0):
        with pytest.raises(StoreError):
            services.import_paths(store, files, today=TODAY, ruleset=ruleset, calendar=calendar, now=NOW)
        r = freshness.refresh(store, ruleset, calendar, TODAY, NOW)
    assert FULL in r.error and r.after.marked == 40 and r.recomputed == 0


def test_a_void_marks_its_case_stale_with_the_void(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path,
) -> None:
    cases = write_cases(tmp_path / "cases.csv", ["V1"])
    events = write_events(tmp_path / "events.csv", [("E1", "V1", "looked_after_start", "2024-12-19"),
                                                   ("E2", "V1", "review_held", "2025-01-21")])
    services.import_paths(store, [cases, events], today=TODAY, ruleset=ruleset, calendar=calendar, now=NOW)
    assert not freshness.staleness(store, ruleset, calendar).stale
    with disk_full_after(store, 0), pytest.raises(StoreError):
        services.void_event(store, "E2", source=None, reason="entered in error", actor="admin@example.org", now=NOW,
                            today=TODAY, ruleset=ruleset, calendar=calendar)
    found = freshness.staleness(store, ruleset, calendar)
    assert found.marked == 1 and "void of event E2" in found.describe()
    freshness.refresh(store, ruleset, calendar, TODAY, NOW)
    rows = services.query_deadlines(store, TODAY, case_id="V1", statuses=None)
    assert {(r.rule_id, r.deadline.due) for r in rows if r.rule_id.startswith("cla_review")} == {
        ("cla_review_first", date(2025, 1, 21))}, "the void reached the deadlines: no second review is due"


def test_a_mark_made_while_a_recompute_runs_survives_it(store: Store) -> None:
    with store.transaction() as conn:
        stale.mark(conn, ["C1", "C2"], "import a.csv", NOW)
    with store.reading() as conn:
        read = stale.tokens(conn, ["C1", "C2"])  # what a recompute read before the events
    with store.transaction() as conn:
        stale.mark(conn, ["C2"], "import b.csv", NOW)  # an import commits new events for C2 meanwhile
    with store.transaction() as conn:
        stale.clear(conn, read)  # the recompute writes the deadlines it computed from the older events
        assert stale.marked(conn) == ["C2"]
        assert conn.execute(text("select reason from stale_cases")).scalar_one() == "import b.csv"


def test_an_import_run_with_another_config_leaves_its_cases_stale_for_the_active_one(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path,
) -> None:
    from ptrack.tracker.rules import load_ruleset

    files = caseload(tmp_path)
    services.import_paths(store, files, today=TODAY, ruleset=ruleset, calendar=calendar, now=NOW)
    assert not freshness.staleness(store, ruleset, calendar).stale
    clean = stored(store)
    other = load_ruleset(["england", "tameside"])
    late = write_events(tmp_path / "late.csv", [("L1", "C000001", "review_held", "2026-11-20")])
    services.import_paths(store, [late], today=TODAY, ruleset=other, calendar=calendar, now=NOW)
    found = freshness.staleness(store, ruleset, calendar)
    assert found.other_version == 1 and "1 cases have deadlines computed with another" in found.describe()
    done = freshness.refresh(store, ruleset, calendar, TODAY, NOW)
    assert done.recomputed == 1 and not done.after.stale and not done.after.mixed
    again = services.recompute(store, ruleset, calendar, TODAY, None, NOW)
    assert (again.inserted, again.updated, again.archived) == (0, 0, 0)
    assert stored(store) != clean, "the late review reached the deadlines"
