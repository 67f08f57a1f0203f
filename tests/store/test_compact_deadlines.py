"""Deadline rows are compact (SPEC §10: at most 250 bytes per deadline): migration 0010 converts rows stored in
the earlier form in place, and they read back as the same deadlines; a visit-heavy caseload stays within the
budget on SQLite."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import MetaData, Table, create_engine, func, insert, select

from ptrack.calendars import england_and_wales
from ptrack.tracker import services
from ptrack.tracker.config import Config
from ptrack.tracker.model import Case, Contributor, Deadline, Status, status_on
from ptrack.tracker.store import init_database, open_store
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.deadlines import select_deadlines, write_deadlines
from ptrack.tracker.store.engine import alembic_config
from ptrack.tracker.store.rows import deadline_row
from ptrack.tracker.store.writes import upsert_cases
from ptrack.tracker.synthetic import CaseloadShape, write_csvs

AS_OF = date(2025, 5, 1)
V1 = {"ruleset_version": "england@1", "calendar_version": "ENG/1"}
T1 = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)


def d(s: str) -> date:
    return date.fromisoformat(s)


def deadlines() -> list[Deadline]:
    """An open review (bank holidays skipped, a note), a met visit with two contributors, a cancelled plan."""
    review = Deadline(
        key="cla_review|C1-0|1", case_id="C1", rule_id="cla_review_first", obligation="cla_review",
        due=d("2025-05-19"), last_working_day=d("2025-05-19"), status=Status.UPCOMING,
        anchor_event="looked_after_start", anchor_event_id="C1-0", anchor_date=d("2025-04-14"),
        source="CPPCR 2010 reg 33(1)", counting="20 working days (WD)", due_soon_from=d("2025-05-05"),
        skipped=((d("2025-04-18"), "Good Friday"), (d("2025-04-19"), "Saturday"), (d("2025-04-20"), "Sunday"),
                 (d("2025-04-21"), "Easter Monday")),
        contributors=(Contributor("cla_review_first", d("2025-05-19"), "N", "england"),),
        notes=("anchor: looked_after_start 2025-04-14",),
    )
    visit = replace(
        review, key="placement_visit|C1-1|2", rule_id="visit_year1", obligation="placement_visit",
        due=d("2025-04-20"), last_working_day=d("2025-04-17"), anchor_event="visit", anchor_event_id="C1-5",
        anchor_date=d("2025-03-20"), source="CPPCR 2010 reg 28(3)", counting="6 weeks (WK)",
        due_soon_from=d("2025-04-13"), met_on=d("2025-04-10"), met_event_id="C1-6", skipped=(),
        contributors=(Contributor("visit_connected_or_parent", d("2025-04-20"), "N", "england"),
                      Contributor("visit_year1", d("2025-05-04"), "L", "local|pack")), notes=(),
    )
    plan = replace(
        review, key="care_plan|C1-0|1", rule_id="care_plan", obligation="care_plan", due=d("2025-04-24"),
        last_working_day=d("2025-04-24"), source="CPPCR 2010 reg 4", counting="10 working days (WD)",
        due_soon_from=d("2025-04-17"), cancelled_on=d("2025-04-16"),
        cancel_reason="left care (looked_after_end 2025-04-16)",
        contributors=(Contributor("care_plan", d("2025-04-24"), "N", "england"),), notes=(),
    )
    return [review, visit, plan]


def _old_row(x: Deadline, computed_at: Any) -> dict[str, Any]:
    """`x` as ptrack stored it before migration 0010: every column in the row, the explanation as JSON."""
    closed = min((v for v in (x.met_on, x.cancelled_on) if v is not None), default=None)
    return {
        "case_id": x.case_id, "key": x.key, "rule_id": x.rule_id, "obligation": x.obligation, "due": x.due,
        "last_working_day": x.last_working_day, "anchor_event": x.anchor_event,
        "anchor_event_id": x.anchor_event_id, "anchor_date": x.anchor_date, "source": x.source,
        "counting": x.counting, "due_soon_from": x.due_soon_from, "met_on": x.met_on,
        "met_event_id": x.met_event_id, "cancelled_on": x.cancelled_on, "cancel_reason": x.cancel_reason,
        "closed_on": closed,
        "explanation": json.dumps({
            "skipped": [(str(day), name) for day, name in x.skipped],
            "contributors": [(c.rule_id, str(c.due), c.scope, c.pack) for c in x.contributors],
            "notes": x.notes,
        }, separators=(",", ":")),
        "ruleset_version": V1["ruleset_version"], "calendar_version": V1["calendar_version"],
        "computed_at": computed_at, "content_hash": "0123456789abcdef0123456789abcdef",
    }


def test_migration_0010_converts_stored_deadlines_in_place(db_url: str) -> None:
    engine = create_engine(db_url)
    cfg = alembic_config(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "scale_case_inputs")  # the schema before compact deadlines
    naive = T1.replace(tzinfo=None)
    with engine.begin() as conn:
        old = MetaData()
        upsert_cases(conn, [Case("C1", "AB", d("2015-03-01"), "Team A", "w@example.org", "m@example.org",
                                 "i@example.org")])
        dl, hist = (Table(name, old, autoload_with=conn) for name in ("deadlines", "deadline_history"))
        conn.execute(insert(dl), [_old_row(x, naive) for x in deadlines()])
        archived = replace(deadlines()[0], due=d("2025-05-12"))
        conn.execute(insert(hist), [{**_old_row(archived, naive), "deadline_pk": 1, "reason": "changed",
                                     "archived_at": naive}])
    engine.dispose()

    init_database(db_url)  # upgrades to the newest schema, converting the rows
    store = open_store(db_url)
    try:
        rows = services.query_deadlines(store, AS_OF)
        expected = [replace(x, status=status_on(x.due, x.due_soon_from, x.met_on, x.cancelled_on, AS_OF))
                    for x in deadlines()]
        assert sorted((r.deadline for r in rows), key=lambda x: x.key) == sorted(expected, key=lambda x: x.key)
        assert {(r.ruleset_version, r.calendar_version, r.computed_at) for r in rows} == {(*V1.values(), T1)}
        with store.reading() as conn:
            h = t.deadline_history.c
            [(due, obligation, source)] = conn.execute(
                select(h.due, t.rule_texts.c.obligation, t.rule_texts.c.source).join_from(
                    t.deadline_history, t.rule_texts, t.rule_texts.c.id == h.texts_id)).all()
        assert (due, obligation, source) == (d("2025-05-12"), "cla_review", "CPPCR 2010 reg 33(1)")
        # A recompute that finds the same content rewrites the rows in the new form: nothing archived.
        with store.transaction() as conn:
            counts = write_deadlines(conn, ["C1"], [deadline_row(x) for x in deadlines()], V1, T1)
        assert (counts.inserted, counts.updated, counts.unchanged, counts.archived) == (0, 0, 3, 0)
        with store.reading() as conn:
            assert conn.execute(select(func.count()).select_from(t.deadline_history)).scalar_one() == 1
            stored = {r["key"]: r["explanation"] for r in conn.execute(select_deadlines()).mappings()}
        assert stored["cla_review|C1-0|1"] == "~N|england|31:Good Friday.1.1.1:Easter Monday" \
            "|anchor: looked_after_start 2025-04-14"
        assert [r.deadline for r in services.query_deadlines(store, AS_OF)] == [r.deadline for r in rows]
    finally:
        store.close()


def test_a_visit_heavy_caseload_stores_at_most_250_bytes_per_deadline(tmp_path: Path) -> None:
    """SPEC §10: the deadlines table and its indexes (SQLite `dbstat`) divided by the number of deadlines."""
    files = write_csvs(tmp_path / "data", CaseloadShape(children=300, teams=3, events_per_child=52.0,
                                                        as_of=date(2026, 11, 25), timelines="visit_heavy"))
    url = f"sqlite:///{tmp_path / 'ptrack.db'}"
    init_database(url)
    store = open_store(url)
    try:  # the calendar reaches 2060 as in the benchmarks: a child born in 2025 has deadlines past 2040
        services.import_paths(store, [files.cases, files.people, files.events], today=date(2026, 11, 25),
                              ruleset=Config().ruleset(), calendar=england_and_wales(2000, 2060))
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "ptrack.db") as conn:
        [count] = conn.execute("SELECT count(*) FROM deadlines").fetchone()
        [size] = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name IN "
                              "(SELECT name FROM sqlite_master WHERE tbl_name = 'deadlines')").fetchone()
    assert count > 10_000  # visit-heavy: about 50 deadlines a child
    assert size / count <= 250, f"{size / count:.0f} bytes per deadline"


def test_migration_0010_downgrades_to_the_earlier_rows(db_url: str) -> None:
    engine = create_engine(db_url)
    cfg = alembic_config(db_url)
    naive = T1.replace(tzinfo=None)
    old_rows = [_old_row(x, naive) for x in deadlines()]
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "scale_case_inputs")
            conn.execute(insert(Table("deadlines", MetaData(), autoload_with=conn)), old_rows)
        for revision in ("head", "scale_case_inputs"):
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                (command.upgrade if revision == "head" else command.downgrade)(cfg, revision)
        with engine.connect() as conn:
            dl = Table("deadlines", MetaData(), autoload_with=conn)
            back = [dict(r) for r in conn.execute(select(dl).order_by(dl.c.id)).mappings()]
    finally:
        engine.dispose()
    assert [{k: v for k, v in r.items() if k not in ("id", "content_hash")} for r in back] == [
        {k: v for k, v in r.items() if k != "content_hash"} for r in old_rows]
