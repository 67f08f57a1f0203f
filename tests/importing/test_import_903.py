"""SSDA903 returns (CSV and XML, several collection years) into the store: same deadlines either way, the
first review 20 working days after every period starts, and messy returns handled row by row."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.importing import detect_format
from ptrack.tracker.importing.formats import Context
from ptrack.tracker.importing.report import Reject
from ptrack.tracker.importing.ssda903 import SSDA903_EPISODES
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import import_paths, init_database, open_store
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.synthetic import CaseloadShape
from ptrack.tracker.synthetic_903 import CONNECTED_PLACE_CODES, Return, make_messy, write_returns

TODAY = date(2026, 11, 25)
SHAPE = CaseloadShape(children=60, seed=5, as_of=TODAY)


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> list[Return]:
    return write_returns(tmp_path_factory.mktemp("903"), SHAPE)


def _import(store: Store, paths: list[Path], ruleset: RuleSet, calendar: WorkingDayCalendar) -> list[Any]:
    return import_paths(store, paths, today=TODAY, ruleset=ruleset, calendar=calendar,
                        connected_person_place_codes=CONNECTED_PLACE_CODES)


def _csv_paths(returns: list[Return]) -> list[Path]:
    return [p for r in returns for p in (r.header, r.episodes, r.reviews, r.missing)]


def deadlines(store: Store) -> set[tuple[Any, ...]]:
    d = t.deadlines
    with store.reading() as conn:
        rows = conn.execute(select(d.c.case_id, d.c.key, d.c.rule_id, d.c.due, d.c.met_on, d.c.cancelled_on))
        return {tuple(r) for r in rows}


def events(store: Store) -> dict[str, tuple[Any, ...]]:
    e = t.events
    with store.reading() as conn:
        return {r.event_id: tuple(r) for r in conn.execute(select(e.c.event_id, e.c.kind, e.c.date, e.c.note))}


def test_tables_are_recognised_by_their_exact_columns(returns: list[Return]) -> None:
    r = returns[0]
    assert detect_format(r.header).name == "ssda903_header"
    assert detect_format(r.episodes).name == "ssda903_episodes"
    assert detect_format(r.reviews).name == "ssda903_reviews"
    assert detect_format(r.xml).name == "ssda903_xml"
    assert detect_format(r.episodes, "ssda903").name == "ssda903_episodes"


def test_csv_and_xml_give_the_same_deadlines_and_first_reviews_count_20_working_days(
    returns: list[Return], db_url: str, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> None:
    assert len(returns) >= 3
    init_database(db_url)
    csv_store = open_store(db_url)
    reports = _import(csv_store, _csv_paths(returns), ruleset, calendar)
    assert sum(r.rows_rejected for r in reports) == 0
    xml_url = f"sqlite:///{tmp_path / 'xml.db'}"
    init_database(xml_url)
    xml_store = open_store(xml_url)
    assert sum(r.rows_rejected for r in _import(xml_store, [r.xml for r in returns], ruleset, calendar)) == 0
    from_csv, from_xml = deadlines(csv_store), deadlines(xml_store)
    assert from_csv and from_csv == from_xml
    assert events(csv_store) == events(xml_store)
    with csv_store.reading() as conn:
        starts = conn.execute(select(t.events.c.event_id, t.events.c.date, t.events.c.short_break,
                                     t.events.c.note).where(t.events.c.kind == "looked_after_start")).all()
        firsts = {r.anchor_event_id: r.due for r in conn.execute(select(t.deadlines).where(
            t.deadlines.c.rule_id == "cla_review_first"))}
    # A later year's return repeats an episode that began in an earlier one; when that episode is not RNE S, its
    # inferred start falls inside the period the earlier return opened, and opens no period of its own.
    periods = [s for s in starts if not s.short_break and not s.note]
    assert any(s.short_break for s in starts), "the synthetic return has short breaks"
    assert len(firsts) == len(periods)
    for start in periods:
        assert firsts[start.event_id] == calendar.add_working_days(start.date, 20)
    assert not {s.event_id for s in starts if s.short_break} & set(firsts)
    csv_store.close()
    xml_store.close()


def test_importing_the_returns_again_changes_nothing(
    returns: list[Return], store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> None:
    _import(store, _csv_paths(returns), ruleset, calendar)
    before = (deadlines(store), events(store))
    again = _import(store, _csv_paths(returns) + [r.xml for r in returns], ruleset, calendar)
    assert all(r.rows_loaded == 0 and r.rows_corrected == 0 for r in again)
    assert (deadlines(store), events(store)) == before


def test_a_messy_return_loads_or_rejects_every_row_and_loses_nothing(
    returns: list[Return], store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path,
) -> None:
    _import(store, _csv_paths(returns), ruleset, calendar)
    stored = events(store)
    messy = write_returns(tmp_path / "messy", SHAPE, [returns[-1].year])[0]
    planted = make_messy(messy, TODAY)
    reports = _import(store, [messy.header, messy.episodes, messy.reviews], ruleset, calendar)
    by_file = {r.file: r for r in reports}
    # a field problem is a reject when the row gives nothing, a warning when the rest of the row is stored
    rejects = {(x.file, x.line): x for r in reports for x in [*r.rejects, *r.warnings]}
    assert rejects[("header.csv", planted["bad_sex"])].field == "SEX"
    expected = {"rec_without_dec": "REC", "overlap": "DECOM", "unknown_place": "PLACE", "bad_date": "DECOM",
                "unknown_child": "CHILD", "future_decom": "DECOM"}
    for kind, column in expected.items():
        assert rejects[("episodes.csv", planted[kind])].field == column, kind
    assert str(rejects[("episodes.csv", planted["unknown_place"])]) == (
        f"episodes.csv:{planted['unknown_place']}: PLACE: unknown placement code 'Q9'")
    after = events(store)
    assert set(stored) <= set(after), "nothing stored is lost"
    inferred = [e for e in after.values() if e[3].startswith("period start inferred")]
    assert inferred
    lines = _lines(messy.episodes)
    assert by_file["episodes.csv"].rows_read == lines
    for r in reports:  # the report reconciles, in rows
        assert r.rows_read == r.rows_loaded + r.rows_unchanged + r.rows_corrected + r.rows_rejected, r.summary()
        assert r.rows_warned <= r.rows_read - r.rows_rejected
        assert {x.line for x in r.rejects}.isdisjoint({x.line for x in r.warnings})
    assert by_file["episodes.csv"].rows_rejected >= 1 and by_file["episodes.csv"].rows_warned >= 1
    _every_row_loaded_or_rejected(messy.episodes, store)
    before = (deadlines(store), events(store))
    again = _import(store, [messy.header, messy.episodes, messy.reviews], ruleset, calendar)
    assert all(r.rows_loaded == 0 and r.rows_corrected == 0 for r in again)
    assert (deadlines(store), events(store)) == before


def _lines(path: Path) -> int:
    return sum(1 for _ in path.open()) - 1


def _every_row_loaded_or_rejected(path: Path, store: Store) -> None:
    from ptrack.tracker.store import writes as w
    with store.reading() as conn:
        ctx = Context(TODAY, w.case_dobs(conn), frozenset(CONNECTED_PLACE_CODES))
    outcome: dict[int, set[str]] = {}
    for item in SSDA903_EPISODES.records(path, ctx):
        line = item.line if isinstance(item, Reject) else item[0]
        outcome.setdefault(line, set()).add("rejected" if isinstance(item, Reject) else "loaded")
    assert set(outcome) == set(range(2, _lines(path) + 2))


def test_episode_mapping_by_rne_rec_ls_and_place(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path, write_csv: Any,
) -> None:
    header = write_csv(tmp_path / "h.csv", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
                       [["K1", "M", "01/01/2015", "WBRI", "A123", "", ""]])
    cols = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE",
            "HOME_POST", "PL_POST", "URN"]
    episodes = write_csv(tmp_path / "e.csv", cols, [
        ["K1", "02/01/2024", "S", "C2", "N1", "U4", "PR1", "01/03/2024", "X1", "", "ZZ9 9ZZ", "ZZ8 8ZZ", "SC1"],
        ["K1", "01/03/2024", "L", "C2", "N1", "U4", "PR1", "01/04/2024", "X1", "", "", "", ""],
        ["K1", "01/04/2024", "P", "C2", "N1", "U2", "PR1", "01/06/2024", "E11", "", "", "", ""],
    ])
    _import(store, [header, episodes], ruleset, calendar)
    got = {k: v[1:3] for k, v in events(store).items()}
    assert got == {
        "903:K1:2024-01-02:looked_after_start": ("looked_after_start", date(2024, 1, 2)),
        "903:K1:2024-01-02:placement_start": ("placement_start", date(2024, 1, 2)),
        "903:K1:2024-04-01:placement_start": ("placement_start", date(2024, 4, 1)),
        "903:K1:2024-04-01:placement_end": ("placement_end", date(2024, 6, 1)),
        "903:K1:2024-04-01:looked_after_end": ("looked_after_end", date(2024, 6, 1)),
    }
    with store.reading() as conn:
        kinds = dict(conn.execute(select(t.events.c.event_id, t.events.c.placement_kind).where(
            t.events.c.kind == "placement_start")).all())
        dumped = repr(conn.execute(select(t.events)).all()) + repr(conn.execute(select(t.cases)).all())
    assert kinds == {"903:K1:2024-01-02:placement_start": "foster",
                     "903:K1:2024-04-01:placement_start": "connected_person"}
    assert "ZZ9" not in dumped and "SC1" not in dumped and "A123" not in dumped
