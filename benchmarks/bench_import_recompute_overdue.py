"""A whole caseload from CSV: import + recompute + list overdue, on SQLite (a large council's scale; brief: 20,000
children, ~1,000,000 events in <= 60 s, aim 20 s, peak memory <= 1.5 GB), for each caseload shape (the standard
synthetic timelines and the visit-heavy ones, `workload.SHAPES`).

ptrack: `ptrack.tracker.services.import_paths` (cases, people, events; recomputes the affected cases) then
`query_deadlines(statuses={overdue})`, on a fresh SQLite file.
Baseline, same run: the naive way on a sample of children (one statement and one commit per case and per
event, then per case: read, compute, delete, insert each deadline, commit; then per-case overdue queries),
extrapolated to the full event count and labelled so. Second baseline, same run: a bare SQLite insert of the
same CSV rows (`workload.bare_insert`), the floor any import stands on (the aim: within 3x of it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.report import Figure, TreePeakRss, log, own_cpu_seconds, time_figure, timed
from benchmarks.workload import (
    AS_OF,
    SHAPES,
    bare_insert,
    count_rows,
    default_setup,
    extrapolate,
    naive_import,
    naive_overdue,
    naive_recompute,
    sample,
    shape,
    sqlite_url,
    synthetic_files,
)
from ptrack.tracker import services
from ptrack.tracker.model import Status
from ptrack.tracker.services import RecomputeReport, import_paths, init_database, open_store, query_deadlines
from ptrack.tracker.store import schema as t

TARGET_SECONDS = 60.0
AIM_SECONDS = 20.0
TARGET_RSS_MB = 1536.0


def run(quick: bool) -> dict[str, Any]:
    figures: list[Figure] = []
    params: dict[str, Any] = {}
    checks: dict[str, Any] = {}
    notes: list[str] = []
    for timelines in SHAPES:
        result = _one_shape(quick, timelines)
        prefix = "" if timelines == "standard" else f"{timelines}: "
        for figure in result["figures"]:
            figure["what"] = prefix + figure["what"]
            figures.append(figure)
        params[timelines], checks[timelines] = result["params"], result["checks"]
        notes += [prefix + n for n in result["notes"]]
    return {"name": "import_recompute_overdue", "params": params, "figures": figures, "checks": checks,
            "notes": notes, "rss_main_mb": max(c["rss_main_mb"] for c in checks.values())}


def _one_shape(quick: bool, timelines: str) -> dict[str, Any]:
    children, per_child, sample_children = (1_000, 52.0, 20) if quick else (20_000, 52.0, 200)
    setup = default_setup()
    caseload_shape = shape(children, per_child, timelines)
    files, gen_s = timed(lambda: synthetic_files(caseload_shape))
    log(f"{timelines}: {children:,} children, {files.event_count:,} events ({gen_s:.1f} s to generate or find)")
    log("baseline: bare SQLite insert of the same rows")
    bare_s, bare_cpu = bare_insert(files)

    with sqlite_url() as url:
        init_database(url)
        store = open_store(url)
        recompute_s: list[float] = []
        real_recompute = services.recompute

        def timed_recompute(*args: Any, **kwargs: Any) -> RecomputeReport:
            report: RecomputeReport = real_recompute(*args, **kwargs)
            recompute_s.append(report.seconds)
            return report

        services.recompute = timed_recompute  # to split the import's time into loading and recomputing
        try:
            cpu_before = own_cpu_seconds()
            with TreePeakRss() as rss:
                log("ptrack: import_paths (with recompute)")
                reports, import_s = timed(lambda: import_paths(
                    store, [files.cases, files.people, files.events], today=AS_OF,
                    ruleset=setup.ruleset, calendar=setup.calendar))
                log("ptrack: query_deadlines(overdue)")
                overdue, query_s = timed(lambda: query_deadlines(store, AS_OF, statuses={Status.OVERDUE}))
        finally:
            services.recompute = real_recompute
            store.close()
        cpu_main = own_cpu_seconds() - cpu_before + rss.descendants_cpu_s
        deadlines = count_rows(url, t.deadlines)
        db_bytes = Path(url.removeprefix("sqlite:///")).stat().st_size
    rss_main = rss.peak_mb
    total_s = import_s + query_s
    rejected = sum(r.rows_rejected for r in reports)

    log(f"baseline: row-at-a-time on {sample_children} children")
    picked = sample(caseload_shape, sample_children)
    sample_events = sum(len(events) for _, events in picked)
    ids = [case.case_id for case, _ in picked]
    with sqlite_url() as url:
        init_database(url)
        _, naive_import_s = timed(lambda: naive_import(url, picked))
        _, naive_recompute_s = timed(lambda: naive_recompute(url, ids, setup, AS_OF))
        _, naive_query_s = timed(lambda: naive_overdue(url, ids, AS_OF))
    naive_s = extrapolate(naive_import_s + naive_recompute_s + naive_query_s, sample_events, files.event_count)
    label = f"row-at-a-time, {sample_children}-child sample, extrapolated"
    return {
        "params": {"timelines": timelines, "children": children, "events": files.event_count,
                   "database": "SQLite (file)",
                   "rule_packs": "england (default config)", "as_of": AS_OF.isoformat(),
                   "baseline_sample_children": sample_children, "baseline_sample_events": sample_events},
        "figures": [
            time_figure("import + recompute + list overdue", total_s, naive_s, label, TARGET_SECONDS),
            time_figure("import + recompute + list overdue vs bare insert", total_s, bare_s,
                        "bare SQLite insert of the same CSV rows (sqlite3 executemany, one commit)"),
        ],
        "checks": {
            "rss_main_mb": round(rss_main, 1),
            "bare_insert_s": round(bare_s, 2), "bare_insert_cpu_s": round(bare_cpu, 2),
            "times_bare_insert": round(total_s / bare_s, 1),
            "cpu_ms_per_child": round(1000 * cpu_main / children, 2),
            "deadlines": deadlines, "database_bytes": db_bytes,
            "overdue_listed": len(overdue), "rejected_rows": rejected,
            "cpu_s": round(cpu_main, 1),
            "phases_s": {"import_without_recompute": round(import_s - sum(recompute_s), 2),
                         "recompute": round(sum(recompute_s), 2), "query_overdue": round(query_s, 2)},
            "aim_s": AIM_SECONDS, "meets_aim": total_s <= AIM_SECONDS,
            "rss_target_mb": TARGET_RSS_MB,
            "meets_rss_target": rss_main <= TARGET_RSS_MB,
            "baseline_sample_phases_s": {"import": round(naive_import_s, 2), "recompute": round(naive_recompute_s, 2),
                                         "query": round(naive_query_s, 2)},
        },
        "notes": [
            f"import {import_s - sum(recompute_s):.1f} s + recompute of the affected cases {sum(recompute_s):.1f} s "
            f"+ overdue query {query_s:.2f} s (CPU, all processes: {cpu_main:.1f} s); "
            f"{len(overdue):,} overdue; peak RSS of the ptrack phase (all processes) {rss_main:,.0f} MB "
            f"(target <= 1,536 MB)",
            f"{total_s / bare_s:.1f}x the bare insert of the same rows ({bare_s:.1f} s, {bare_cpu:.1f} CPU-s; "
            f"aim <= 3x); {1000 * cpu_main / children:.2f} CPU-ms per child; {deadlines:,} deadlines, database "
            f"{db_bytes / 1e6:,.0f} MB ({db_bytes / max(deadlines, 1):,.0f} bytes per deadline, all tables)",
        ],
    }
