"""The SSDA903 tables beyond header, episodes and reviews (docs/importing.md): short breaks as V3 breaks and V4
agreements, Missing, PlacedAdoption, SWEpisodes and the tables read for nothing (UASC, OC2, OC3, AD1, PrevPerm),
all matched by column name."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar
from ptrack.calendars.counting import add_months
from ptrack.tracker.importing import detect_format
from ptrack.tracker.importing.formats import ExtractOptions
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import import_paths
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.extract_schema import worker_allocations
from ptrack.tracker.synthetic import CaseloadShape, caseload
from ptrack.tracker.synthetic_903 import CONNECTED_PLACE_CODES, Return, write_returns

TODAY = date(2026, 11, 25)
SHAPE = CaseloadShape(children=120, seed=5, as_of=TODAY)


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> list[Return]:
    return write_returns(tmp_path_factory.mktemp("903"), SHAPE)


def _import(store: Store, paths: list[Path], ruleset: RuleSet, calendar: WorkingDayCalendar,
            **options: Any) -> list[Any]:
    return import_paths(store, paths, today=TODAY, ruleset=ruleset, calendar=calendar,
                        connected_person_place_codes=CONNECTED_PLACE_CODES, options=ExtractOptions(**options))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_every_table_is_recognised_by_name(returns: list[Return]) -> None:
    r = returns[-1]
    assert detect_format(r.missing).name == "ssda903_missing"
    assert detect_format(r.sw_episodes).name == "ssda903_sw_episodes"
    assert detect_format(r.placed_adoption).name == "ssda903_adoption"
    assert [detect_format(p).name for p in r.unused] == [
        "ssda903_uasc", "ssda903_oc2", "ssda903_oc3", "ssda903_ad1", "ssda903_prevperm"]


def test_a_return_with_v3_breaks_and_v4_agreements_gives_one_first_review_per_series(
    returns: list[Return], store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> None:
    lss = {row["LS"] for r in returns for row in _rows(r.episodes)}
    assert {"V3", "V4"} <= lss, "the return records short breaks both ways"
    reports = _import(store, [p for r in returns for p in r.csvs], ruleset, calendar)
    assert sum(r.rows_rejected for r in reports) == 0, [str(x) for r in reports for x in r.rejects][:5]
    # Expected from the children's timelines, not from the 903 mapping: the series starts at the first break.
    first_break = {}
    entered_full_care = set()
    for case, events in caseload(SHAPE):
        starts = [e for e in events if e.kind == "looked_after_start"]
        breaks = [e.date for e in starts if e.subkind == "short_breaks"]
        if breaks:
            first_break[case.case_id] = breaks[0]
            if any(e.subkind != "short_breaks" for e in starts):
                entered_full_care.add(case.case_id)
    assert len(first_break) >= 4 and entered_full_care, "short-break children, one of them entering full care"
    with store.reading() as conn:
        got = conn.execute(select(t.deadlines.c.case_id, t.deadlines.c.due).where(
            t.deadlines.c.rule_id == "short_break_review_first")).all()
        reviews = {r.case_id for r in conn.execute(select(t.deadlines.c.case_id).where(
            t.deadlines.c.rule_id == "cla_review_first"))}
    by_case: dict[str, list[date]] = {}
    for case_id, due in got:
        by_case.setdefault(case_id, []).append(due)
    assert by_case == {c: [add_months(d, 3)] for c, d in first_break.items()}
    assert entered_full_care <= reviews, "entering full care starts the reg 33 reviews"


def test_missing_episodes_including_one_still_open(
    returns: list[Return], store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> None:
    rows = [row for r in returns for row in _rows(r.missing)]
    assert {row["MISSING"] for row in rows} == {"M", "A"}
    still_missing = [row for row in _rows(returns[-1].missing) if not row["MIS_END"]]
    assert still_missing, "the synthetic return has an episode with no end"
    _import(store, [p for r in returns for p in (r.header, r.missing)], ruleset, calendar)
    with store.reading() as conn:
        stored = {(r.case_id, r.kind, r.date, r.subkind) for r in conn.execute(
            select(t.events.c.case_id, t.events.c.kind, t.events.c.date, t.events.c.subkind))}
    for row in rows:
        d, m, y = (int(x) for x in row["MIS_START"].split("/"))
        kind = "missing" if row["MISSING"] == "M" else "away"
        assert (row["CHILD"], "missing_start", date(y, m, d), kind) in stored
    open_child = still_missing[0]["CHILD"]
    d, m, y = (int(x) for x in still_missing[0]["MIS_START"].split("/"))
    assert not any(c == open_child and k == "missing_end" and day >= date(y, m, d) for c, k, day, _ in stored)


def test_headers_match_by_name_in_any_order_with_extra_columns(
    returns: list[Return], store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path,
) -> None:
    source = returns[-1].missing
    rows = _rows(source)
    shuffled = tmp_path / "missing_reordered.csv"
    with shuffled.open("w", newline="") as f:
        w = csv.DictWriter(f, ["MIS_END", "LA_OWN_COLUMN", "MISSING", "DOB", "MIS_START", "CHILD"])
        w.writeheader()
        w.writerows({**row, "LA_OWN_COLUMN": "x"} for row in rows)
    assert detect_format(shuffled).name == "ssda903_missing"
    _import(store, [returns[-1].header, shuffled], ruleset, calendar)
    with store.reading() as conn:
        first = set(conn.execute(select(t.events.c.event_id, t.events.c.date, t.events.c.subkind)).all())
    again = _import(store, [source], ruleset, calendar)
    assert again[0].rows_loaded == 0 and again[0].rows_corrected == 0, "the same events, whatever the order"
    with store.reading() as conn:
        assert set(conn.execute(select(t.events.c.event_id, t.events.c.date, t.events.c.subkind)).all()) == first


def test_placed_adoption_is_the_authority_to_place_only_where_the_council_says_so(
    returns: list[Return], store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> None:
    files = [p for r in returns for p in (r.header, r.placed_adoption)]
    assert any(_rows(r.placed_adoption) for r in returns)
    reports = _import(store, files, ruleset, calendar)
    adoption = [r for r in reports if r.format == "ssda903_adoption"]
    assert all("not used for deadlines" in r.note and r.rows_rejected == 0 for r in adoption)
    with store.reading() as conn:
        assert not conn.execute(select(t.events.c.id).where(t.events.c.kind == "authority_to_place")).all()
    _import(store, files, ruleset, calendar, placed_adoption_is_authority_to_place=True)
    with store.reading() as conn:
        got = conn.execute(select(t.events.c.case_id, t.events.c.date).where(
            t.events.c.kind == "authority_to_place")).all()
    assert len(got) == sum(len(_rows(r.placed_adoption)) for r in returns)


def test_uasc_oc2_oc3_ad1_prevperm_are_reported_as_not_used_never_rejected(
    returns: list[Return], store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> None:
    r = returns[-1]
    assert all(_rows(p) for p in r.unused)
    reports = _import(store, [r.header, *r.unused], ruleset, calendar)
    for report in reports[1:]:
        assert "not used for deadlines" in report.note and report.rows_rejected == 0 and report.events_created == 0


def test_sw_episodes_become_worker_allocations(
    returns: list[Return], store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> None:
    _import(store, [p for r in returns for p in (r.header, r.sw_episodes)], ruleset, calendar)
    with store.reading() as conn:
        stored = conn.execute(select(worker_allocations.c.case_id, worker_allocations.c.sw_id,
                                     worker_allocations.c.start, worker_allocations.c.end)).all()
    expected = set()
    for r in returns:
        for row in _rows(r.sw_episodes):
            d, m, y = (int(x) for x in row["SW_DECOM"].split("/"))
            expected.add((row["CHILD"], row["SW_ID"], date(y, m, d)))
    # an allocation in several years' returns is one allocation; the last return's end stands
    assert {(c, sw, start) for c, sw, start, _ in stored} == expected
    assert any(end is None for *_, end in stored) and any(end is not None for *_, end in stored)


def test_a_legal_status_change_from_short_breaks_to_full_care_starts_the_full_regime_that_day(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path, write_csv: Any,
) -> None:
    header = write_csv(tmp_path / "h.csv", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
                       [["K2", "1", "01/01/2015", "WBRI", "", "", ""]])
    cols = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE",
            "HOME_POST", "PL_POST", "URN"]
    # a V4 agreement from 6 Jan 2025; on 3 Mar 2025 the legal status changes to a care order (RNE L, same place)
    episodes = write_csv(tmp_path / "e.csv", cols, [
        ["K2", "06/01/2025", "S", "V4", "N1", "U6", "PR1", "03/03/2025", "X1", "", "", "", ""],
        ["K2", "03/03/2025", "L", "C2", "N1", "U6", "PR1", "", "", "", "", "", ""],
    ])
    _import(store, [header, episodes], ruleset, calendar)
    with store.reading() as conn:
        got = {(r.rule_id, r.due, r.cancelled_on) for r in conn.execute(select(
            t.deadlines.c.rule_id, t.deadlines.c.due, t.deadlines.c.cancelled_on).where(
            t.deadlines.c.rule_id.in_(["short_break_review_first", "cla_review_first", "visit_first_week"])))}
    assert got == {
        ("short_break_review_first", date(2025, 4, 6), date(2025, 3, 3)),  # the series ended on 3 March
        ("cla_review_first", date(2025, 3, 31), None),  # 20 working days from 3 March 2025
        ("visit_first_week", date(2025, 3, 10), None),  # the placement carries on under the full regime
    }
