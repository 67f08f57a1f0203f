"""Explanations are stored compactly when they are the common kind (one rule, no notes, only weekends skipped) and
read back to exactly what was computed; rows stored in the earlier JSON form read the same and are rewritten in
place, not archived as changes, when a recompute finds the same content."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from ptrack.tracker import services
from ptrack.tracker.model import Case, Contributor, Deadline, Status
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.deadlines import write_deadlines
from ptrack.tracker.store.rows import deadline_row, read_explanation
from ptrack.tracker.store.writes import upsert_cases

V1 = {"ruleset_version": "england@1", "calendar_version": "ENG/1"}
T1 = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)
ANCHOR = date(2025, 6, 2)  # a Monday


def weekends(start: date, end: date) -> tuple[tuple[date, str], ...]:
    days = (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
    return tuple((d, "Saturday" if d.weekday() == 5 else "Sunday") for d in days if d.weekday() >= 5)


def review(due: date = date(2025, 6, 30), **changes: object) -> Deadline:
    base = Deadline(
        key="cla_review|C1-las|1", case_id="C1", rule_id="cla_review_first", obligation="cla_review",
        due=due, last_working_day=due, status=Status.UPCOMING, anchor_event="looked_after_start",
        anchor_event_id="C1-las", anchor_date=ANCHOR, source="CPPCR 2010 reg 33(1)",
        counting="20 working days (WD)", due_soon_from=due - timedelta(days=14), skipped=weekends(ANCHOR, due),
        contributors=(Contributor("cla_review_first", due, "N", "england"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def case(store: Store) -> Store:
    with store.transaction() as conn:
        upsert_cases(conn, [Case("C1", "AB", date(2015, 3, 1), "Team A", "worker.a1@example.org")])
    return store


def stored_explanation(store: Store) -> str:
    with store.reading() as conn:
        return str(conn.execute(select(t.deadlines.c.explanation)).scalar_one())


@pytest.mark.parametrize("deadline", [
    review(),
    review(skipped=()),
    review(skipped=((date(2025, 6, 7), "Saturday"), (date(2025, 6, 9), "Whit Monday"))),  # a named holiday
    review(notes=("extended by 8 weeks",)),
    review(contributors=(Contributor("cla_review_first", date(2025, 6, 30), "N", "england"),
                         Contributor("local_review", date(2025, 7, 3), "L", "local"))),
    review(skipped=((date(2025, 6, 8), "Saturday"),)),  # a Sunday named Saturday: kept as given
    review(skipped=((date(2025, 6, 9), "St. Swithin's|Day"),), notes=("a | in a note", "")),  # separators
    review(contributors=(Contributor("visit_first_week", date(2025, 6, 30), "N", "england"),
                         Contributor("cla_review_first", date(2025, 6, 16), "L", "local"),
                         Contributor("visit_year1", date(2025, 7, 14), "N", "england")),
           notes=("moves with the review",), skipped=((date(2025, 6, 9), "Whit Monday"),)),
    review(contributors=(Contributor("cla,review", date(2025, 6, 30), "N", "eng;land"),)),
    review(contributors=()),
    review(notes=("", "second: with . and : and ;")),
], ids=["weekends", "none", "holiday", "notes", "two-rules", "misnamed", "separators", "three-rules",
        "separators-in-rules", "no-contributor", "odd-notes"])
def test_every_explanation_reads_back_as_computed(case: Store, deadline: Deadline) -> None:
    with case.transaction() as conn:
        write_deadlines(conn, ["C1"], [deadline_row(deadline)], V1, T1)
    [row] = services.query_deadlines(case, date(2025, 6, 10))
    assert row.deadline == replace(deadline, status=row.deadline.status)


def test_explanations_are_compact_unless_a_separator_forbids(case: Store) -> None:
    """Bank holidays, notes and several contributors are written compactly; JSON only when a word holds a
    separator of the compact forms."""
    two = review(contributors=(Contributor("visit_first_week", date(2025, 6, 30), "N", "england"),
                               Contributor("cla_review_first", date(2025, 7, 3), "N", "england")),
                 skipped=((date(2025, 6, 9), "Whit Monday"),), notes=("moves with the review",))
    assert deadline_row(two)["explanation"] == (
        "*visit_first_week,,N,england;,3,N,england|21:Whit Monday|moves with the review")
    assert deadline_row(review(notes=("a|b",)))["explanation"].startswith("{")


def test_the_common_explanation_is_a_few_bytes(case: Store) -> None:
    deadline = review()
    assert len(deadline.skipped) == 8
    with case.transaction() as conn:
        write_deadlines(conn, ["C1"], [deadline_row(deadline)], V1, T1)
    text = stored_explanation(case)
    assert len(text) <= 30 and "Saturday" not in text
    assert read_explanation(text, deadline.rule_id, deadline.due) == (
        deadline.skipped, deadline.contributors, deadline.notes)


def _legacy(deadline: Deadline) -> tuple[str, int]:
    """The explanation an earlier ptrack stored for `deadline` (always JSON), and the content hash a row upgraded
    from then holds (migration 0010 sets 0: the earlier hash was another digest)."""
    text = json.dumps({
        "skipped": [(str(day), name) for day, name in deadline.skipped],
        "contributors": [(c.rule_id, str(c.due), c.scope, c.pack) for c in deadline.contributors],
        "notes": deadline.notes,
    }, separators=(",", ":"), ensure_ascii=False)
    return text, 0


def test_a_row_in_the_earlier_form_is_rewritten_not_archived(case: Store) -> None:
    deadline = review()
    with case.transaction() as conn:
        write_deadlines(conn, ["C1"], [deadline_row(deadline)], V1, T1)
        text, digest = _legacy(deadline)
        conn.execute(update(t.deadlines).values(explanation=text, content_hash=digest))
    with case.transaction() as conn:
        counts = write_deadlines(conn, ["C1"], [deadline_row(deadline)], V1, T1)
    assert (counts.inserted, counts.updated, counts.unchanged, counts.archived) == (0, 0, 1, 0)
    with case.reading() as conn:
        assert conn.execute(select(t.deadline_history.c.id)).all() == []
    assert stored_explanation(case).startswith("~")
    changed = review(due=date(2025, 7, 1))  # a real change is still archived
    with case.transaction() as conn:
        counts = write_deadlines(conn, ["C1"], [deadline_row(changed)], V1, T1)
    assert counts.updated == 1
    with case.reading() as conn:
        assert len(conn.execute(select(t.deadline_history.c.id)).all()) == 1
