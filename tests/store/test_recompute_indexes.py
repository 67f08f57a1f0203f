"""A big recompute into an empty deadlines table builds the open-deadlines index once at the end
(`store.recompute`): the deadlines are the same, the index is there afterwards, also when the recompute fails,
and one a killed recompute left missing is built by the next recompute or `ptrack init`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker import services
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store, init_database
from ptrack.tracker.store import recompute as recompute_module
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.recompute import DEFERRED_INDEXES
from ptrack.tracker.synthetic import CaseloadShape, write_csvs

AS_OF = date(2026, 11, 25)
SHAPE = CaseloadShape(children=12, teams=2, seed=3, as_of=AS_OF, timelines="visit_heavy")
NOW = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)
INDEX = "ix_deadlines_closed_on_due"


def _indexes(store: Store) -> set[str]:
    with store.reading() as conn:
        return {ix["name"] for ix in inspect(conn).get_indexes("deadlines") if ix["name"]}


def _dump(store: Store) -> list[tuple[object, ...]]:
    d = t.deadlines.c
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(
            select(d.case_id, d.key, d.due, d.closed_on, d.explanation, d.content_hash).order_by(d.case_id, d.key))]


def _import(store: Store, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar) -> None:
    files = write_csvs(tmp_path, SHAPE)
    services.import_paths(store, [files.cases, files.people, files.events], today=AS_OF, ruleset=ruleset,
                          calendar=calendar, now=NOW)


def _empty(store: Store) -> None:
    with store.transaction() as conn:
        for table in (t.deadline_history, t.deadlines, t.case_inputs):
            conn.execute(table.delete())


def test_a_cold_recompute_builds_the_index_at_the_end_with_the_same_deadlines(
    store: Store, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [ix.name for ix in DEFERRED_INDEXES] == [INDEX]
    _import(store, tmp_path, ruleset, calendar)
    indexed = _dump(store)
    assert indexed
    _empty(store)
    seen: list[set[str]] = []
    real = recompute_module._run_chunks

    def run_chunks(*args: object, **kwargs: object) -> None:
        seen.append(_indexes(store))
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recompute_module, "STATISTICS_FROM", 0)  # a "big" recompute
    monkeypatch.setattr(recompute_module, "_run_chunks", run_chunks)
    report = services.recompute(store, ruleset, calendar, AS_OF, now=NOW)
    assert report.inserted == len(indexed)
    assert INDEX not in seen[0]  # dropped while the table filled
    assert INDEX in _indexes(store)
    assert _dump(store) == indexed
    services.recompute(store, ruleset, calendar, AS_OF, now=NOW)  # not empty: the index stays
    assert seen[1] >= {INDEX} and INDEX in _indexes(store)


def test_a_failed_recompute_still_builds_the_index(
    store: Store, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(store, tmp_path, ruleset, calendar)
    _empty(store)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(recompute_module, "STATISTICS_FROM", 0)
    monkeypatch.setattr(recompute_module, "_run_chunks", broken)
    with pytest.raises(RuntimeError):
        services.recompute(store, ruleset, calendar, AS_OF, now=NOW)
    assert INDEX in _indexes(store)


def test_an_index_a_killed_recompute_left_missing_is_built_again(
    store: Store, migrated_url: str, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar
) -> None:
    _import(store, tmp_path, ruleset, calendar)
    before = _dump(store)
    with store.transaction() as conn:
        DEFERRED_INDEXES[0].drop(conn)
    assert INDEX not in _indexes(store)
    init_database(migrated_url)
    assert INDEX in _indexes(store)
    with store.transaction() as conn:
        DEFERRED_INDEXES[0].drop(conn)
    services.recompute(store, ruleset, calendar, AS_OF, now=NOW)  # deadlines stored: a small recompute
    assert INDEX in _indexes(store)
    assert _dump(store) == before
