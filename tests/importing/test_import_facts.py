"""One fact, one event: the same real-world event from two sources (same case, kind and date) is stored once,
with both provenances, so counts and `met_on` never change because a second source arrived."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import import_paths
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.synthetic import CaseloadShape, SyntheticFiles, write_csvs
from ptrack.tracker.synthetic_903 import CONNECTED_PLACE_CODES, Return, write_returns

TODAY = date(2026, 11, 25)
SHAPE = CaseloadShape(children=40, seed=11, as_of=TODAY)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticFiles, list[Path]]:
    root = tmp_path_factory.mktemp("facts")
    canonical = write_csvs(root / "csv" if (root / "csv").mkdir() is None else root, SHAPE)
    (root / "903").mkdir()
    returns: list[Return] = write_returns(root / "903", SHAPE)
    return canonical, [p for r in returns for p in (r.header, r.episodes, r.reviews)]


def load(store: Store, paths: list[Path], ruleset: RuleSet, calendar: WorkingDayCalendar) -> list[Any]:
    return import_paths(store, paths, today=TODAY, ruleset=ruleset, calendar=calendar,
                        connected_person_place_codes=CONNECTED_PLACE_CODES)


def facts(store: Store, with_source: bool = False) -> list[tuple[Any, ...]]:
    e = t.events.c
    cols = [e.case_id, e.kind, e.date] + ([e.source] if with_source else [])
    with store.reading() as conn:
        return sorted(tuple(r) for r in conn.execute(
            select(*cols).where(e.same_as.is_(None), e.voided_at.is_(None))))


def deadlines(store: Store) -> set[tuple[Any, ...]]:
    d = t.deadlines.c
    with store.reading() as conn:
        return {tuple(r) for r in conn.execute(select(d.case_id, d.key, d.rule_id, d.due, d.met_on, d.cancelled_on))}


def test_903_on_top_of_canonical_stores_each_fact_once(
    store: Store, sources: tuple[SyntheticFiles, list[Path]], ruleset: RuleSet, calendar: WorkingDayCalendar
) -> None:
    canonical, returns = sources
    load(store, [canonical.cases, canonical.events], ruleset, calendar)
    before_facts, before = facts(store), deadlines(store)
    reports = load(store, returns, ruleset, calendar)
    linked = sum(r.events_same_as for r in reports)
    assert linked > 0
    after_facts = facts(store)
    by_fact = set(after_facts)
    sources_of: dict[tuple[Any, ...], set[str]] = {}
    for case_id, kind, day, source in facts(store, with_source=True):
        sources_of.setdefault((case_id, kind, day), set()).add(source)
    assert all(len(s) == 1 for s in sources_of.values())  # no fact held by two sources
    with store.reading() as conn:
        rows = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
    assert rows == len(after_facts) + linked  # every provenance row is kept
    assert set(before_facts) <= by_fact
    assert deadlines(store) == before  # a second source changes no date and no met_on
    again = load(store, returns, ruleset, calendar)
    assert sum(r.rows_loaded for r in again) == 0 and facts(store) == after_facts

