"""The nightly import (target: 10,000 new events plus the recompute of the affected cases <= 10 s), on SQLite.

Setup (not timed): a database holding the 100,000-child synthetic caseload (~2.3 million events, loaded in a
child process as recompute_full does) with every deadline computed. Then, timed: `import_paths` of one
events.csv with 10,000 new events (a visit and a review for each of 5,000 cases, dated the day before the
as-of date), which stores them and recomputes the cases they touch, as the daemon's 02:30 job does.
Baseline, same run, same database, same kind of file: the naive path, one INSERT and one commit per event,
then the naive per-case recompute of the affected cases, on a 500-case sample, extrapolated and labelled so.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.bench_recompute_full import _load
from benchmarks.report import Figure, TreePeakRss, log, own_cpu_seconds, time_figure, timed
from benchmarks.workload import AS_OF, SHAPES, default_setup, extrapolate, naive_recompute, shape, sqlite_url
from ptrack.tracker.model import Event
from ptrack.tracker.services import import_paths, open_store, recompute
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.rows import event_row

TARGET_SECONDS = 10.0
# A smaller caseload for profiling (not a measurement of the target): PTRACK_BENCH_NIGHTLY_CHILDREN=20000 loads
# 20,000 children and touches one case in 20 of them (at most 5,000).
CHILDREN = int(os.environ.get("PTRACK_BENCH_NIGHTLY_CHILDREN", "100000"))
HEADER = ("event_id", "case_id", "event", "date")


def _night_file(folder: Path, case_ids: list[str]) -> Path:
    """One night's export: a visit and a review for each case, the day before the as-of date."""
    day = (AS_OF - timedelta(days=1)).isoformat()
    path = folder / "events.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for cid in case_ids:
            w.writerow((f"night-{cid}-v", cid, "visit", day))
            w.writerow((f"night-{cid}-r", cid, "review_held", day))
    return path


def _naive_import(url: str, case_ids: list[str]) -> None:
    from sqlalchemy import create_engine, insert

    day = AS_OF - timedelta(days=1)
    engine = create_engine(url)
    try:
        for cid in case_ids:
            for suffix, kind in (("v", "visit"), ("r", "review_held")):
                event = Event(f"naive-{cid}-{suffix}", cid, kind, day)
                with engine.begin() as conn:
                    conn.execute(insert(t.events).values(event_row(event, "naive.csv", None)))
    finally:
        engine.dispose()


def run(quick: bool) -> dict[str, Any]:
    figures: list[Figure] = []
    out: dict[str, Any] = {"name": "nightly_import", "params": {}, "checks": {}, "notes": []}
    for timelines in SHAPES:
        one = _one_shape(quick, timelines)
        prefix = "" if timelines == "standard" else f"{timelines}: "
        for figure in one["figures"]:
            figure["what"] = prefix + figure["what"]
            figures.append(figure)
        out["params"][timelines], out["checks"][timelines] = one["params"], one["checks"]
        out["notes"] += [prefix + n for n in one["notes"]]
    out["figures"] = figures
    out["rss_main_mb"] = max(c["rss_main_mb"] for c in out["checks"].values())
    return out


def _one_shape(quick: bool, timelines: str) -> dict[str, Any]:
    children, per_child, touched, sample = (2_000, 19.0, 500, 50) if quick else (
        CHILDREN, 19.0, min(5_000, CHILDREN // 20), min(500, CHILDREN // 200))
    setup = default_setup()
    caseload_shape = shape(children, per_child, timelines)
    with sqlite_url() as url, tempfile.TemporaryDirectory() as tmp:
        log(f"setup: loading {children:,} children and computing every deadline (not timed)")
        loader = multiprocessing.get_context("spawn").Process(target=_load, args=(url, caseload_shape))
        loader.start()
        loader.join()
        if loader.exitcode != 0:
            raise RuntimeError(f"loading the caseload failed (exit {loader.exitcode})")
        store = open_store(url)
        try:
            recompute(store, setup.ruleset, setup.calendar, AS_OF)
            ids = [f"C{i:06d}" for i in range(1, children + 1, children // touched)][:touched]
            night = _night_file(Path(tmp), ids)
            log(f"ptrack: import_paths of {2 * len(ids):,} new events, recomputing {len(ids):,} cases")
            with TreePeakRss() as rss:
                cpu_start = own_cpu_seconds()
                reports, seconds = timed(lambda: import_paths(
                    store, [night], today=AS_OF, ruleset=setup.ruleset, calendar=setup.calendar))
                cpu = own_cpu_seconds() - cpu_start + rss.descendants_cpu_s
        finally:
            store.close()
        report = reports[0]
        log(f"baseline: row-at-a-time import and per-case recompute on {sample:,} cases")
        naive_ids = [cid for cid in (f"C{i:06d}" for i in range(2, children + 1, children // touched))][:sample]
        _, naive_import_s = timed(lambda: _naive_import(url, naive_ids))
        started = time.perf_counter()
        naive_recompute(url, naive_ids, setup, AS_OF)
        naive_s = extrapolate(naive_import_s + time.perf_counter() - started, len(naive_ids), len(ids))
    base = f"one INSERT and commit per event, then per-case recompute; {sample:,}-case sample, extrapolated"
    figures: list[Figure] = [time_figure(
        f"{2 * len(ids):,} new events imported + {len(ids):,} cases recomputed (SQLite, {children:,} children)",
        seconds, naive_s, base, TARGET_SECONDS)]
    return {
        "params": {"timelines": timelines, "children": children, "new_events": 2 * len(ids), "cases_touched": len(ids),
                   "as_of": AS_OF.isoformat()},
        "figures": figures,
        "checks": {"rss_main_mb": round(rss.peak_mb, 1), "rows_loaded": report.rows_loaded,
                   "rows_rejected": report.rows_rejected,
                   "cases_recomputed": report.cases_recomputed, "cpu_s": round(cpu, 1)},
        "notes": [f"{report.rows_loaded:,} events loaded, {report.rows_rejected} rejected, "
                  f"{report.cases_recomputed:,} cases recomputed in {seconds:.2f} s ({cpu:.1f} CPU-s); "
                  f"peak RSS {rss.peak_mb:,.0f} MB"],
    }
