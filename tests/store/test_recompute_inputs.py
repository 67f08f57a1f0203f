"""A recompute skips the cases whose inputs have not changed (their digest is recorded with their deadlines), and
the skip never changes an answer: a changed event, date of birth, rule set setting or calendar recomputes the case,
and the deadlines after a skipping recompute equal those of a recompute from nothing. Real engine, real databases,
the visit-heavy synthetic caseload."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select, update

from ptrack.calendars import WorkingDayCalendar, england_and_wales
from ptrack.tracker import services
from ptrack.tracker.rules import RuleSet, load_ruleset
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.case_inputs import forget_inputs
from ptrack.tracker.synthetic import CaseloadShape, write_csvs

AS_OF = date(2026, 11, 25)
SHAPE = CaseloadShape(children=30, teams=3, seed=5, as_of=AS_OF, timelines="visit_heavy")
NOW = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)


def _load(store: Store, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar) -> None:
    files = write_csvs(tmp_path, SHAPE)
    services.import_paths(store, [files.cases, files.people, files.events], today=AS_OF, ruleset=ruleset,
                          calendar=calendar, now=NOW)


def _deadlines(store: Store) -> list[tuple[object, ...]]:
    rows = services.query_deadlines(store, AS_OF)
    return [(r.deadline, r.ruleset_version, r.calendar_version) for r in rows]


def test_an_unchanged_case_is_skipped_and_the_answer_is_the_same(
    store: Store, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar
) -> None:
    _load(store, tmp_path, ruleset, calendar)
    before = _deadlines(store)
    assert before
    again = services.recompute(store, ruleset, calendar, AS_OF)
    assert again.skipped_cases == SHAPE.children
    assert (again.inserted, again.updated, again.archived) == (0, 0, 0)
    with store.reading() as conn:
        stored = len(conn.execute(select(t.deadlines.c.id)).all())
    assert again.deadlines == again.unchanged == stored  # the skipped cases' deadlines count as unchanged
    with store.transaction() as conn:
        forget_inputs(conn)
    fresh = services.recompute(store, ruleset, calendar, AS_OF)
    assert fresh.skipped_cases == 0 and fresh.unchanged == stored
    assert _deadlines(store) == before


def test_a_new_event_recomputes_its_case_only(
    store: Store, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar
) -> None:
    _load(store, tmp_path, ruleset, calendar)
    night = tmp_path / "night.csv"
    night.write_text("event_id,case_id,event,date\nlate-visit,C000003,visit,2026-11-24\n", encoding="utf-8")
    services.import_paths(store, [night], today=AS_OF, ruleset=ruleset, calendar=calendar, now=NOW)
    report = services.recompute(store, ruleset, calendar, AS_OF)
    assert report.skipped_cases == SHAPE.children  # the import recomputed C000003 and recorded its new digest
    with store.reading() as conn:
        visits = conn.execute(select(t.deadlines.c.anchor_event_id).where(
            t.deadlines.c.case_id == "C000003", t.deadlines.c.anchor_event_id == "late-visit")).all()
    assert len(visits) == 1  # the new visit anchors the next visit's deadline


def test_a_changed_date_of_birth_rule_setting_or_calendar_recomputes(
    store: Store, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar
) -> None:
    _load(store, tmp_path, ruleset, calendar)
    with store.transaction() as conn:  # a correction made behind the import's back: the digest still sees it
        conn.execute(update(t.cases).where(t.cases.c.case_id == "C000001").values(dob=date(2009, 1, 1)))
    assert services.recompute(store, ruleset, calendar, AS_OF).skipped_cases == SHAPE.children - 1

    sooner = load_ruleset(["england"], {"due_soon_working_days": 3})
    assert sooner.version != ruleset.version
    report = services.recompute(store, sooner, calendar, AS_OF)
    assert report.skipped_cases == 0
    due_soon = {(r.deadline.key, r.deadline.due_soon_from) for r in services.query_deadlines(store, AS_OF)}
    with store.transaction() as conn:
        forget_inputs(conn)
    services.recompute(store, sooner, calendar, AS_OF)
    assert {(r.deadline.key, r.deadline.due_soon_from) for r in services.query_deadlines(store, AS_OF)} == due_soon

    closed = england_and_wales(closure_days=[date(2025, 12, 29)])
    assert closed.version != calendar.version
    assert services.recompute(store, sooner, closed, AS_OF).skipped_cases == 0
    assert {r.calendar_version for r in services.query_deadlines(store, AS_OF)} == {closed.version}
