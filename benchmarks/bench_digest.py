"""The weekly digest over 100,000 children (target: <= 2 s), on SQLite and PostgreSQL.

Setup (not timed): the synthetic caseload's cases and events bulk-loaded and every deadline computed by
`recompute`, into a SQLite file cached in benchmarks/out/data/ (keyed by caseload, rule set and schema head);
PostgreSQL gets the same cases and deadlines copied into a database created for the run and dropped after it.
Timed, best of 3: `ptrack.tracker.digest.service.load_digest(store, config, as_of)` for every team: the store query
plus the pure builder, i.e. everything `ptrack digest` does before printing.
Baseline, same run, same database: a naive per-case Python loop (per case: read its deadlines, judge each one's
status, keep overdue and due-in-14-days items, count), on a sample of cases, extrapolated to all cases. The
digest's counts for the sample's cases are checked against the baseline's first."""

from __future__ import annotations

import multiprocessing
import shutil
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from benchmarks.bench_recompute_full import _load
from benchmarks.report import Figure, best_of, log, time_figure, timed
from benchmarks.workload import AS_OF, default_setup, extrapolate, postgres_url, shape, synthetic_files
from ptrack.tracker.config import Config
from ptrack.tracker.digest.service import load_digest
from ptrack.tracker.model import Status, status_on
from ptrack.tracker.services import init_database, open_store, recompute
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.bulk import bulk_insert
from ptrack.tracker.store.engine import head_revision
from ptrack.tracker.synthetic import CaseloadShape

TARGET_SECONDS = 2.0


def _build_cached(path: Path, caseload_shape: CaseloadShape) -> None:
    """In a child process: load the caseload and recompute every case (about two minutes at full size)."""
    url = f"sqlite:///{path}"
    _load(url, caseload_shape)
    setup = default_setup()
    store = open_store(url)
    try:
        recompute(store, setup.ruleset, setup.calendar, AS_OF)
    finally:
        store.close()


def cached_sqlite(caseload_shape: CaseloadShape) -> Path:
    files = synthetic_files(caseload_shape)
    version = default_setup().ruleset.version.replace("@", "-").replace("+", "-")
    path = files.cases.parent / f"digest-{head_revision()}-{version}.db"
    if not path.exists():
        log(f"building the cached database {path.name} (setup, not timed)")
        tmp = path.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        child = multiprocessing.get_context("spawn").Process(target=_build_cached, args=(tmp, caseload_shape))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"building the digest database failed (exit {child.exitcode})")
        tmp.replace(path)
    return path


@contextmanager
def sqlite_copy(source: Path) -> Any:
    """A scratch copy, so the cached file is never changed by a run."""
    target = source.with_name(f"run-{source.name}")
    shutil.copyfile(source, target)
    try:
        yield f"sqlite:///{target}"
    finally:
        target.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)


def copy_to(url: str, source: Path) -> None:
    """Cases, people and deadlines from the cached SQLite file into a fresh database at `url`."""
    init_database(url)
    src, dst = create_engine(f"sqlite:///{source}"), create_engine(url)
    try:
        with src.connect() as read, dst.begin() as write:
            for table in (t.cases, t.people, t.computations, t.rule_texts, t.deadlines):
                result = read.execution_options(yield_per=50_000).execute(select(table))
                for part in result.mappings().partitions():
                    bulk_insert(write, table, [dict(r) for r in part])
            write.exec_driver_sql("ANALYZE")
    finally:
        src.dispose()
        dst.dispose()


def naive_digest(url: str, case_ids: Sequence[str], as_of: date) -> tuple[int, int, Counter[str]]:
    """Per case: read its deadlines, judge each one's status in Python, keep and count the digest's items."""
    engine = create_engine(url)
    horizon = as_of + timedelta(days=14)
    overdue = soon = 0
    by_rule: Counter[str] = Counter()
    try:
        with engine.connect() as conn:
            for case_id in case_ids:
                for r in conn.execute(select(t.deadlines).where(t.deadlines.c.case_id == case_id)).mappings():
                    if r["anchor_date"] > as_of:
                        continue
                    status = status_on(r["due"], r["due_soon_from"], r["met_on"], r["cancelled_on"], as_of)
                    if status is Status.OVERDUE:
                        overdue += 1
                        by_rule[r["rule_id"]] += 1
                    elif status in (Status.DUE_SOON, Status.UPCOMING) and r["due"] <= horizon:
                        soon += 1
    finally:
        engine.dispose()
    return overdue, soon, by_rule


def _case_ids(url: str, n: int) -> tuple[list[str], int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = list(conn.execute(select(t.cases.c.case_id).order_by(t.cases.c.case_id)).scalars())
    finally:
        engine.dispose()
    return ids[:n], len(ids)


def _one_backend(label: str, database: AbstractContextManager[str], source: Path, sample_cases: int
                 ) -> tuple[list[Figure], dict[str, Any]]:
    with database as url:
        if not url.startswith("sqlite"):
            log(f"{label}: copying cases and deadlines (setup, not timed)")
            _, copy_s = timed(lambda: copy_to(url, source))
        else:
            copy_s = 0.0
        store = open_store(url)
        try:
            log(f"{label}: digest, best of 3")
            config = Config()
            digest = load_digest(store, config, AS_OF)
            seconds = best_of(3, lambda: load_digest(store, config, AS_OF))
        finally:
            store.close()
        ids, children = _case_ids(url, sample_cases)
        log(f"{label}: naive baseline on {len(ids):,} cases")
        (overdue, soon, by_rule), naive_sample_s = timed(lambda: naive_digest(url, ids, AS_OF))
    sample = set(ids)
    mine = [(i, True) for team in digest.teams for w in team.workers for i in w.overdue if i.case_id in sample]
    mine += [(i, False) for team in digest.teams for w in team.workers for i in w.due_soon if i.case_id in sample]
    agree = (sum(o for _, o in mine), sum(not o for _, o in mine),
             Counter(i.rule_id for i, o in mine if o)) == (overdue, soon, by_rule)
    if not agree:
        raise RuntimeError(f"{label}: the digest and the naive loop disagree on the sample")
    naive_s = extrapolate(naive_sample_s, len(ids), children)
    base = f"per-case Python loop, {len(ids):,}-case sample, extrapolated"
    figures = [time_figure(f"{label}: digest, {children:,} children", seconds, naive_s, base, TARGET_SECONDS)]
    checks = {"children": children, "overdue": digest.overdue, "due_soon": digest.due_soon,
              "teams": len(digest.teams), "sample_agrees": agree, "baseline_sample_s": round(naive_sample_s, 2),
              "setup_copy_s": round(copy_s, 1)}
    return figures, checks


def run(quick: bool) -> dict[str, Any]:
    children, per_child, sample_cases = (2_000, 19.0, 200) if quick else (100_000, 19.0, 5_000)
    caseload_shape = shape(children, per_child)
    source = cached_sqlite(caseload_shape)
    figures: list[Figure] = []
    checks: dict[str, Any] = {}
    notes: list[str] = []
    for label, database in (("SQLite", sqlite_copy(source)), ("PostgreSQL", postgres_url())):
        try:
            more, checks[label] = _one_backend(label, database, source, sample_cases)
        except Exception as exc:  # one backend failing must not hide the other's figures
            notes.append(f"{label}: not measured: {type(exc).__name__}: {exc}")
            continue
        figures += more
        c = checks[label]
        notes.append(f"{label}: {c['overdue']:,} overdue and {c['due_soon']:,} due in 14 days over {c['teams']} "
                     f"teams; the sample's counts agree with the baseline's")
    return {
        "name": "digest",
        "params": {"children": children, "as_of": AS_OF.isoformat(), "rule_packs": "england (default config)",
                   "baseline_sample_cases": sample_cases},
        "figures": figures,
        "checks": checks,
        "notes": notes,
    }
