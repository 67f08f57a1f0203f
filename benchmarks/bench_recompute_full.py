"""Full recompute from the database with deadlines written back, on SQLite and PostgreSQL (target: 100,000
children, ~2 million events, <= 60 s each; peak memory <= 1.5 GB).

Setup (not timed, in a separate process so its memory is not counted): a fresh database per backend, with the
synthetic caseload's cases and events bulk-inserted. Then, timed:
- cold: every deadline deleted, then `ptrack.tracker.services.recompute(store, ...)` for all cases: every deadline
  is computed and inserted;
- unchanged: the same recompute again: every case's inputs digest matches the one recorded, so no case is computed
  and nothing is written (before the digests, every deadline was computed and compared).
Baseline, same run, same database: the naive per-case loop (read the case, read its events, compute, delete its
deadlines, insert each one, commit) on a sample of cases, extrapolated to all cases and labelled so.
PostgreSQL runs in a database created for the run and dropped afterwards.
"""

from __future__ import annotations

import csv
import multiprocessing
import time
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, create_engine, delete, insert

from benchmarks.report import Figure, TreePeakRss, log, own_cpu_seconds, time_figure, timed
from benchmarks.workload import (
    AS_OF,
    SHAPES,
    Setup,
    default_setup,
    extrapolate,
    naive_recompute,
    postgres_url,
    shape,
    sqlite_url,
    synthetic_files,
)
from ptrack.tracker.services import init_database, open_store, recompute
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.coverage_queries import ensure_supply
from ptrack.tracker.store.rows import event_row
from ptrack.tracker.synthetic import CaseloadShape, SyntheticFiles, caseload

CASE_COLUMNS = ("case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email")

TARGET_SECONDS = 60.0
TARGET_RSS_MB = 1536.0


def _load(url: str, caseload_shape: CaseloadShape) -> None:
    """Setup, in a child process: create the schema and bulk-insert the caseload's cases and events (the same
    rows `import_paths` stores; the import itself is measured by import_recompute_overdue), then record which
    event kinds the source has supplied, as the imports that filled a real database would have (without it, the
    nightly import's first act was a one-off scan of every event: 20-25 % of its time)."""
    init_database(url)
    engine = create_engine(url)
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []

    def flush(conn: Connection) -> None:
        if cases:
            conn.execute(insert(t.cases), cases)
        if events:
            conn.execute(insert(t.events), events)
        cases.clear()
        events.clear()

    try:
        with engine.begin() as conn:
            for case, case_events in caseload(caseload_shape):
                cases.append({k: getattr(case, k) for k in CASE_COLUMNS})
                events.extend(event_row(e, "events", None) for e in case_events)
                if len(events) >= 20_000:
                    flush(conn)
            flush(conn)
            ensure_supply(conn)
    finally:
        engine.dispose()


def _clear_deadlines(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(delete(t.deadline_history))
            conn.execute(delete(t.deadlines))
            if hasattr(t, "case_inputs"):  # (absent when the harness measures an earlier commit)
                conn.execute(delete(t.case_inputs))  # else every case would be skipped as unchanged
    finally:
        engine.dispose()


def _one_backend(label: str, database: AbstractContextManager[str], caseload_shape: CaseloadShape,
                 files: SyntheticFiles, setup: Setup, sample_cases: int) -> tuple[list[Figure], dict[str, Any]]:
    with database as url:
        log(f"{label}: loading {files.event_count:,} events (setup, not timed)")
        loader = multiprocessing.get_context("spawn").Process(target=_load, args=(url, caseload_shape))
        started = time.perf_counter()
        loader.start()
        loader.join()
        load_s = time.perf_counter() - started
        if loader.exitcode != 0:
            raise RuntimeError(f"{label}: loading the caseload failed (exit {loader.exitcode})")
        _clear_deadlines(url)
        store = open_store(url)
        try:
            with TreePeakRss() as rss:
                log(f"{label}: cold full recompute")
                cpu_start = own_cpu_seconds()
                cold, cold_s = timed(lambda: recompute(store, setup.ruleset, setup.calendar, AS_OF))
                cpu_cold = own_cpu_seconds() - cpu_start + rss.descendants_cpu_s
                log(f"{label}: unchanged full recompute")
                warm, warm_s = timed(lambda: recompute(store, setup.ruleset, setup.calendar, AS_OF))
                cpu_warm = own_cpu_seconds() - cpu_start - cpu_cold + rss.descendants_cpu_s  # cold workers: in cpu_cold
        finally:
            store.close()
        log(f"{label}: naive baseline on {sample_cases:,} cases")
        ids = _first_case_ids(files, sample_cases)
        _, naive_sample_s = timed(lambda: naive_recompute(url, ids, setup, AS_OF))
    naive_s = extrapolate(naive_sample_s, sample_cases, files.children)
    base = f"per-case row-at-a-time, {sample_cases:,}-case sample, extrapolated"
    figures = [
        time_figure(f"{label}: full recompute, all deadlines written", cold_s, naive_s, base, TARGET_SECONDS),
        time_figure(f"{label}: full recompute, nothing changed", warm_s, naive_s, base, TARGET_SECONDS),
    ]
    checks = {
        "setup_load_s": round(load_s, 1),
        "cpu_s": {"cold": round(cpu_cold, 1), "unchanged": round(cpu_warm, 1)},
        "cpu_ms_per_child": {"cold": round(1000 * cpu_cold / files.children, 2),
                             "unchanged": round(1000 * cpu_warm / files.children, 2)},
        "cold_report": _plain(cold), "unchanged_report": _plain(warm),
        "rss_main_mb": round(rss.peak_mb, 1), "meets_rss_target": rss.peak_mb <= TARGET_RSS_MB,
        "baseline_sample_s": round(naive_sample_s, 2),
    }
    return figures, checks


def _first_case_ids(files: SyntheticFiles, n: int) -> list[str]:
    with files.cases.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f)
        return [row["case_id"] for _, row in zip(range(n), rows, strict=False)]


def _plain(report: object) -> dict[str, Any]:
    return {k: v for k, v in vars(report).items() if isinstance(v, int | float | str)}


def run(quick: bool) -> dict[str, Any]:
    children, per_child, sample_cases = (2_000, 19.0, 50) if quick else (100_000, 19.0, 1_000)
    setup = default_setup()
    figures: list[Figure] = []
    checks: dict[str, Any] = {}
    notes: list[str] = []
    params: dict[str, Any] = {}
    for timelines in SHAPES:
        caseload_shape = shape(children, per_child, timelines)
        files = synthetic_files(caseload_shape)
        log(f"{timelines}: {children:,} children, {files.event_count:,} events")
        params[timelines] = {"children": children, "events": files.event_count}
        prefix = "" if timelines == "standard" else f"{timelines}: "
        _one_shape(prefix, caseload_shape, files, setup, sample_cases, figures, checks, notes)
    return {
        "name": "recompute_full",
        "params": {"shapes": params, "rule_packs": "england (default config)", "as_of": AS_OF.isoformat(),
                   "baseline_sample_cases": sample_cases},
        "rss_main_mb": max((c["rss_main_mb"] for c in checks.values()), default=0.0),
        "figures": figures,
        "checks": checks,
        "notes": notes,
    }


def _one_shape(prefix: str, caseload_shape: CaseloadShape, files: SyntheticFiles, setup: Setup, sample_cases: int,
               figures: list[Figure], checks: dict[str, Any], notes: list[str]) -> None:
    for backend, database in (("SQLite", sqlite_url()), ("PostgreSQL", postgres_url())):
        label = prefix + backend
        try:
            more, checks[label] = _one_backend(label, database, caseload_shape, files, setup, sample_cases)
        except Exception as exc:  # one backend failing must not hide the other's figures
            notes.append(f"{label}: not measured: {type(exc).__name__}: {exc}")
            continue
        figures += more
        c = checks[label]
        notes.append(f"{label}: peak RSS of the recompute phase (all processes) {c['rss_main_mb']:,.0f} MB"
                     f" (target <= 1,536 MB); CPU, all processes: cold {c['cpu_s']['cold']} s, unchanged "
                     f"{c['cpu_s']['unchanged']} s; setup load {c['setup_load_s']} s; "
                     f"{c['cpu_ms_per_child']['cold']} / {c['cpu_ms_per_child']['unchanged']} CPU-ms per child")
