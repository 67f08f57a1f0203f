"""The synthetic caseload: deterministic, streaming, realistic enough to exercise every rule family."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from ptrack.tracker.model import EVENT_KINDS, PLACEMENT_KINDS
from ptrack.tracker.rules import load_ruleset
from ptrack.tracker.synthetic import CASES_HEADER, EVENTS_HEADER, CaseloadShape, caseload, people, write_csvs

SHAPE = CaseloadShape(children=300, teams=3, seed=7, as_of=date(2026, 11, 25), events_per_child=40)


def test_same_seed_same_caseload_and_child_independent_of_size() -> None:
    first = list(caseload(SHAPE))
    assert first == list(caseload(SHAPE))
    small = list(caseload(CaseloadShape(children=10, teams=3, seed=7, events_per_child=40)))
    assert small == first[:10]
    assert first != list(caseload(CaseloadShape(children=300, teams=3, seed=8, events_per_child=40)))


def test_timelines_are_plausible() -> None:
    kinds: set[str] = set()
    for case, events in caseload(SHAPE):
        assert case.dob is not None and len(case.initials) == 2
        assert case.worker_email.endswith("@example.org")
        assert [e.date for e in events] == sorted(e.date for e in events)
        assert all(case.dob <= e.date <= SHAPE.as_of for e in events)
        assert all(e.kind in EVENT_KINDS for e in events)
        assert all(e.placement_kind in PLACEMENT_KINDS for e in events if e.kind == "placement_start")
        assert len({e.event_id for e in events}) == len(events)
        kinds.update(e.kind for e in events)
    wanted = {"looked_after_start", "looked_after_end", "placement_start", "placement_end", "review_held",
              "visit", "ppm_held", "proceedings_issued", "proceedings_extended", "temporary_approval",
              "permanence_achieved", "pf_notified", "pf_visit", "assessment_completed"}
    assert wanted <= kinds


def test_people_have_no_real_names() -> None:
    staff = people(SHAPE)
    assert {p.role for p in staff} == {"worker", "manager", "iro", "admin"}
    assert all(p.email.endswith("@example.org") for p in staff)


def test_csv_files_stream_with_the_spec_headers(tmp_path: Path) -> None:
    files = write_csvs(tmp_path, SHAPE)
    with files.cases.open() as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CASES_HEADER and len(rows) == SHAPE.children + 1
    with files.events.open() as f:
        events = list(csv.reader(f))
    assert tuple(events[0]) == EVENTS_HEADER and len(events) == files.event_count + 1
    assert 30 * SHAPE.children < files.event_count < 50 * SHAPE.children


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_demo_sized_caseload_has_evidence_for_every_national_rule_whatever_the_day(seed: int) -> None:
    """`ptrack demo` generates 60 children as of today and CI then runs `ptrack doctor`, which fails when any
    active rule is untracked (no source ever supplied its meeting evidence): every national rule but the
    dispute ones (recorded by `ptrack dispute`) must have its evidence in any 60 children, any day."""
    rules = [r for r in load_ruleset(["england"]).rules.values() if r.within != "dispute"]
    for days in range(0, 366, 61):
        as_of = date(2026, 1, 1) + timedelta(days=days)
        kinds = {e.kind for _, events in caseload(CaseloadShape(children=60, seed=seed, as_of=as_of))
                 for e in events}
        assert [r.rule_id for r in rules if not r.met_by & kinds] == [], as_of


VISIT_HEAVY = CaseloadShape(children=400, teams=3, seed=3, as_of=date(2026, 11, 25), timelines="visit_heavy")


def test_visit_heavy_caseload_has_the_real_case_system_rhythm() -> None:
    """Looked after since 2019-2026, one placement (foster, residential or connected person), a first review
    15-40 days after entry, then reviews 120-200 days apart and visits 25-50 days apart; about 30% left care."""
    children = list(caseload(VISIT_HEAVY))
    assert children == list(caseload(VISIT_HEAVY))
    assert list(caseload(CaseloadShape(children=5, seed=3, timelines="visit_heavy"))) == children[:5]
    left = 0
    for case, events in children:
        assert case.dob is not None
        assert [e.date for e in events] == sorted(e.date for e in events)
        start = events[0]
        assert start.kind == "looked_after_start" and date(2019, 1, 1) <= start.date <= VISIT_HEAVY.as_of
        placements = [e for e in events if e.kind == "placement_start"]
        assert len(placements) == 1 and placements[0].date == start.date
        assert placements[0].placement_kind in ("foster", "residential", "connected_person")
        reviews = [e.date for e in events if e.kind == "review_held"]
        visits = [e.date for e in events if e.kind == "visit"]
        if reviews:
            assert 15 <= (reviews[0] - start.date).days <= 40
        assert all(120 <= (b - a).days <= 200 for a, b in zip(reviews, reviews[1:], strict=False))
        assert all(25 <= (b - a).days <= 50 for a, b in zip([start.date, *visits], visits, strict=False))
        ended = [e for e in events if e.kind == "looked_after_end"]
        left += bool(ended)
        end = ended[0].date if ended else VISIT_HEAVY.as_of
        assert all(e.date <= end for e in events)
        assert len({e.event_id for e in events}) == len(events)
    assert 0.24 < left / len(children) < 0.36
    assert 35 < sum(len(e) for _, e in children) / len(children) < 60  # years of visits: the costly shape
