"""What the database benchmarks share: synthetic files (cached), databases made and dropped, the default
rule set and calendar, and the naive row-at-a-time baseline they are all compared with."""

from __future__ import annotations

import csv
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, insert, select, text

from ptrack.calendars import WorkingDayCalendar, england_and_wales
from ptrack.tracker.config import Config
from ptrack.tracker.model import Case, Event, Status, Timeline, status_on
from ptrack.tracker.rules import RuleSet, compute
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.deadlines import _computation, _text_ids
from ptrack.tracker.store.rows import DEADLINE_STORED, deadline_row, event_row, row_event
from ptrack.tracker.synthetic import CaseloadShape, SyntheticFiles, caseload, write_csvs

DATA = Path(__file__).resolve().parent / "out" / "data"  # git-ignored; generated files are cached here
POSTGRES_ADMIN_URL = os.environ.get("PTRACK_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AS_OF = date(2026, 11, 25)
# The caseload shapes each database benchmark measures (`ptrack.tracker.synthetic`): "standard" (ptrack's own
# synthetic timelines) and "visit_heavy" (a real case system's rhythm: visits every 25-50 days, reviews every
# 120-200 days, for years). PTRACK_BENCH_SHAPES=visit_heavy measures one of them only.
SHAPES = tuple(s for s in os.environ.get("PTRACK_BENCH_SHAPES", "standard,visit_heavy").split(",") if s)


@dataclass(frozen=True)
class Setup:
    ruleset: RuleSet
    calendar: WorkingDayCalendar


def default_setup() -> Setup:
    """What `ptrack` runs with no config file (the england pack), on the England calendar extended to 2060:
    with the default 2000-2040 coverage, a child born in 2025 has a 16th-birthday deadline past the calendar and
    recompute stops with CalendarCoverageError (reported; the admin's remedy is [calendar] last_year)."""
    config = Config()
    return Setup(config.ruleset(), england_and_wales(2000, 2060))


def shape(children: int, events_per_child: float, timelines: str = "standard") -> CaseloadShape:
    return CaseloadShape(children=children, teams=max(3, children // 400), events_per_child=events_per_child,
                         as_of=AS_OF, timelines=timelines)


def synthetic_files(caseload_shape: CaseloadShape) -> SyntheticFiles:
    """The synthetic CSVs for `caseload_shape`, generated once and reused from benchmarks/out/data/."""
    key = f"c{caseload_shape.children}-e{caseload_shape.events_per_child:g}-s{caseload_shape.seed}-{AS_OF}"
    if caseload_shape.timelines != "standard":
        key = f"{caseload_shape.timelines}-c{caseload_shape.children}-s{caseload_shape.seed}-{AS_OF}"
    folder = DATA / key
    done = folder / "event_count"
    if done.exists():
        return SyntheticFiles(folder / "cases.csv", folder / "people.csv", folder / "events.csv",
                              caseload_shape.children, int(done.read_text()))
    files = write_csvs(folder, caseload_shape)
    done.write_text(str(files.event_count))
    return files


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="ptrack-bench-") as tmp:
        yield f"sqlite:///{tmp}/bench.db"


@contextmanager
def postgres_url() -> Iterator[str]:
    """A fresh database on the benchmark PostgreSQL server, dropped afterwards whatever happens."""
    name = f"ptrack_bench_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sample(caseload_shape: CaseloadShape, children: int) -> list[tuple[Case, list[Event]]]:
    """The first `children` children of the caseload, exactly as the files hold them."""
    out = []
    for i, item in enumerate(caseload(caseload_shape)):
        if i >= children:
            break
        out.append(item)
    return out


def bare_insert(files: SyntheticFiles) -> tuple[float, float]:
    """The floor of any import: the same cases and events CSV rows read with `csv.reader` and inserted as they
    are (text, no parsing, no validation, no index but the rowid) into a fresh SQLite file with the `sqlite3`
    module, one `executemany` per 20,000 rows and one commit. Returns (wall seconds, CPU seconds)."""
    with tempfile.TemporaryDirectory(prefix="ptrack-bare-") as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        db = sqlite3.connect(f"{tmp}/bare.db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for path in (files.cases, files.events):
            with path.open(encoding="utf-8", newline="") as f:
                rows = csv.reader(f)
                header = next(rows)
                cols = ", ".join(f'"{c}"' for c in header)
                db.execute(f'CREATE TABLE "{path.stem}" ({cols})')
                insert_sql = f'INSERT INTO "{path.stem}" VALUES ({", ".join("?" for _ in header)})'
                while True:
                    chunk = [tuple(r) for _, r in zip(range(20_000), rows, strict=False)]
                    if not chunk:
                        break
                    db.executemany(insert_sql, chunk)
        db.commit()
        db.close()
        return time.perf_counter() - wall, time.process_time() - cpu


# -- the naive baseline: one row, one statement; one case at a time ---------------------------------------------


def naive_import(url: str, children: Sequence[tuple[Case, list[Event]]]) -> None:
    """Insert every case and every event with its own statement and its own commit (events are handed over
    already parsed, which flatters the baseline)."""
    engine = create_engine(url)
    try:
        for case, events in children:
            with engine.begin() as conn:
                conn.execute(insert(t.cases).values(
                    case_id=case.case_id, initials=case.initials, dob=case.dob, team=case.team,
                    worker_email=case.worker_email, manager_email=case.manager_email, iro_email=case.iro_email))
            for event in events:
                with engine.begin() as conn:
                    conn.execute(insert(t.events).values(event_row(event, "events.csv", None)))
    finally:
        engine.dispose()


def naive_recompute(url: str, case_ids: Sequence[str], setup: Setup, as_of: date) -> int:
    """Per case: read the case, read its events, compute, delete its deadlines, insert each one, commit."""
    engine = create_engine(url)
    versions = {"ruleset_version": setup.ruleset.version, "calendar_version": setup.calendar.version}
    written = 0
    try:
        for case_id in case_ids:
            with engine.begin() as conn:
                case_row = conn.execute(select(t.cases).where(t.cases.c.case_id == case_id)).mappings().one()
                case = Case(**{k: case_row[k] for k in (
                    "case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email")})
                rows = conn.execute(select(t.events).where(t.events.c.case_id == case_id)
                                    .order_by(t.events.c.date, t.events.c.id)).mappings()
                timeline = Timeline(case, tuple(row_event(r) for r in rows))
                deadlines = compute(timeline, setup.ruleset, setup.calendar, as_of)
                conn.execute(delete(t.deadlines).where(t.deadlines.c.case_id == case_id))
                now = datetime.now(UTC)
                rows = [deadline_row(d) for d in deadlines]
                computation, texts = _computation(conn, versions, now), _text_ids(conn, rows)
                for r in rows:
                    conn.execute(insert(t.deadlines).values({
                        **{c: r[c] for c in DEADLINE_STORED}, "texts_id": texts[r.texts],
                        "computation_id": computation}))
                written += len(deadlines)
    finally:
        engine.dispose()
    return written


def naive_overdue(url: str, case_ids: Sequence[str], as_of: date) -> int:
    """Per case: read its deadlines and judge each one's status in Python."""
    engine = create_engine(url)
    overdue = 0
    try:
        with engine.connect() as conn:
            for case_id in case_ids:
                for r in conn.execute(select(t.deadlines).where(t.deadlines.c.case_id == case_id)).mappings():
                    status = status_on(r["due"], r["due_soon_from"], r["met_on"], r["cancelled_on"], as_of)
                    if r["anchor_date"] <= as_of and status is Status.OVERDUE:
                        overdue += 1
    finally:
        engine.dispose()
    return overdue


def extrapolate(sample_seconds: float, sample_units: int, full_units: int) -> float:
    return sample_seconds * full_units / sample_units


def count_rows(url: str, table: Any) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(text("count(*)")).select_from(table)).scalar_one())
    finally:
        engine.dispose()
