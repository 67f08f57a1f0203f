"""Writing deadlines back: unchanged ones are not rewritten, changed and vanished ones keep their history, and
reading derives the status for the date asked about. Hand-built deadlines, no engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from ptrack.tracker import services
from ptrack.tracker.model import Case, Contributor, Deadline, Status
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.deadlines import DeadlineCounts, write_deadlines
from ptrack.tracker.store.rows import deadline_row
from ptrack.tracker.store.writes import upsert_cases

V1 = {"ruleset_version": "england@1", "calendar_version": "ENG/1"}
T1 = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)
T2 = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)


def d(s: str) -> date:
    return date.fromisoformat(s)


def review(case_id: str = "C1", due: str = "2025-01-21", **changes: object) -> Deadline:
    base = Deadline(
        key=f"cla_review_first|{case_id}-las|1", case_id=case_id, rule_id="cla_review_first",
        obligation="cla_review_first", due=d(due), last_working_day=d(due), status=Status.UPCOMING,
        anchor_event="looked_after_start", anchor_event_id=f"{case_id}-las", anchor_date=d("2024-12-19"),
        source="CPPCR 2010 reg 33(1)", counting="20 working days (WD)", due_soon_from=d("2025-01-07"),
        skipped=((d("2024-12-25"), "Christmas Day"), (d("2024-12-26"), "Boxing Day")),
        contributors=(Contributor("cla_review_first", d(due), "N", "england"),),
        notes=("anchor: looked_after_start 2024-12-19",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def visit(case_id: str = "C1") -> Deadline:
    return review(case_id, "2025-01-02", key=f"visit_first_week|{case_id}-p1|1", rule_id="visit_first_week",
                  obligation="visit_first_week", anchor_event="placement_start", counting="1 weeks (WK)",
                  due_soon_from=d("2024-12-30"), skipped=(), source="CPPCR 2010 reg 28(2)(a)")


@pytest.fixture
def cases(store: Store) -> Store:
    with store.transaction() as conn:
        upsert_cases(conn, [
            Case("C1", "AB", d("2015-03-01"), "Team A", "worker.a1@example.org", "manager.a@example.org",
                 "iro.a@example.org"),
            Case("C2", "CD", d("2016-04-02"), "Team B", "worker.b1@example.org", "manager.b@example.org",
                 "iro.b@example.org"),
        ])
    return store


def write(store: Store, case_ids: list[str], deadlines: list[Deadline], versions: dict[str, str] = V1,
          at: datetime = T1) -> DeadlineCounts:
    with store.transaction() as conn:
        return write_deadlines(conn, case_ids, [deadline_row(x) for x in deadlines], versions, at)


def history(store: Store) -> list[tuple[str, str, date]]:
    h = t.deadline_history.c
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(select(h.key, h.reason, h.due).order_by(h.id))]  # type: ignore[misc]


def test_a_deadline_reads_back_with_its_whole_explanation(cases: Store) -> None:
    write(cases, ["C1"], [review()])
    [row] = services.query_deadlines(cases, d("2025-01-10"))
    assert row.deadline == review(status=Status.DUE_SOON)
    assert (row.team, row.worker_email, row.iro_email) == ("Team A", "worker.a1@example.org", "iro.a@example.org")
    assert (row.ruleset_version, row.calendar_version, row.computed_at) == ("england@1", "ENG/1", T1)


def test_unchanged_deadlines_are_not_rewritten(cases: Store) -> None:
    write(cases, ["C1"], [review(), visit()])
    counts = write(cases, ["C1"], [review(), visit()], at=T2)
    assert (counts.inserted, counts.updated, counts.unchanged, counts.archived) == (0, 0, 2, 0)
    assert {r.computed_at for r in services.query_deadlines(cases, d("2025-06-01"))} == {T1}
    assert history(cases) == []


def test_a_changed_deadline_keeps_its_old_version_in_history(cases: Store) -> None:
    write(cases, ["C1"], [review()])
    counts = write(cases, ["C1"], [review(due="2025-01-22")], at=T2)
    assert (counts.updated, counts.inserted) == (1, 0)
    [row] = services.query_deadlines(cases, d("2025-06-01"))
    assert (row.due, row.computed_at) == (d("2025-01-22"), T2)
    assert history(cases) == [(review().key, "changed", d("2025-01-21"))]


def test_a_deadline_no_longer_computed_moves_to_history_never_silently_lost(cases: Store) -> None:
    write(cases, ["C1"], [review(), visit()])
    counts = write(cases, ["C1"], [review()], at=T2)
    assert counts.archived == 1
    assert [r.rule_id for r in services.query_deadlines(cases, d("2025-06-01"))] == ["cla_review_first"]
    assert history(cases) == [(visit().key, "disappeared", d("2025-01-02"))]


def test_other_cases_are_untouched_by_a_recompute_of_one(cases: Store) -> None:
    write(cases, ["C1", "C2"], [review("C1"), review("C2")])
    write(cases, ["C1"], [])
    assert [r.case_id for r in services.query_deadlines(cases, d("2025-06-01"))] == ["C2"]


def test_a_new_ruleset_version_is_recorded_without_history(cases: Store) -> None:
    write(cases, ["C1"], [review()])
    counts = write(cases, ["C1"], [review()], {"ruleset_version": "england@2", "calendar_version": "ENG/1"}, T2)
    assert counts.unchanged == 1
    [row] = services.query_deadlines(cases, d("2025-06-01"))
    assert (row.ruleset_version, row.computed_at) == ("england@2", T2)
    assert history(cases) == []


@pytest.mark.parametrize(
    ("as_of", "status"),
    [("2025-01-06", Status.UPCOMING), ("2025-01-07", Status.DUE_SOON), ("2025-01-21", Status.DUE_SOON),
     ("2025-01-22", Status.OVERDUE)],
)
def test_status_is_derived_for_the_date_asked_about(cases: Store, as_of: str, status: Status) -> None:
    write(cases, ["C1"], [review()])
    [row] = services.query_deadlines(cases, d(as_of))
    assert row.status is status


def test_met_and_cancelled_are_states_on_and_after_their_dates(cases: Store) -> None:
    write(cases, ["C1", "C2"], [
        review("C1", met_on=d("2025-01-23"), met_event_id="C1-r1"),
        review("C2", cancelled_on=d("2025-01-10"), cancel_reason="looked_after_end"),
    ])
    on = {r.case_id: r.status for r in services.query_deadlines(cases, d("2025-01-22"))}
    assert on == {"C1": Status.OVERDUE, "C2": Status.CANCELLED}
    later = {r.case_id: r.status for r in services.query_deadlines(cases, d("2025-02-01"))}
    assert later == {"C1": Status.MET_LATE, "C2": Status.CANCELLED}


def test_a_deadline_is_invisible_before_its_anchor_date(cases: Store) -> None:
    write(cases, ["C1"], [review()])
    assert services.query_deadlines(cases, d("2024-12-18")) == []
    assert len(services.query_deadlines(cases, d("2024-12-19"))) == 1


def test_filters_by_case_team_worker_and_status(cases: Store) -> None:
    write(cases, ["C1", "C2"], [review("C1"), visit("C1"), review("C2", met_on=d("2025-01-20"))])
    as_of = d("2025-01-15")

    def ids(**filters: object) -> list[tuple[str, str]]:
        return [(r.case_id, r.rule_id) for r in services.query_deadlines(cases, as_of, **filters)]  # type: ignore[arg-type]

    assert ids(case_id="C2") == [("C2", "cla_review_first")]
    assert ids(team="Team A") == [("C1", "visit_first_week"), ("C1", "cla_review_first")]
    assert ids(worker="Worker.B1@example.org") == [("C2", "cla_review_first")]
    assert ids(statuses=["overdue"]) == [("C1", "visit_first_week")]
    assert ids(statuses={Status.DUE_SOON}) == [("C1", "cla_review_first"), ("C2", "cla_review_first")]
    assert ids(statuses=[Status.MET]) == []
    assert ids(team="Team C") == []


def test_a_deadline_count_stays_put_across_repeated_writes(cases: Store) -> None:
    for _ in range(3):
        write(cases, ["C1"], [review(), visit()])
    with cases.reading() as conn:
        assert conn.execute(select(func.count()).select_from(t.deadlines)).scalar_one() == 2
