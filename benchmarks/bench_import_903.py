"""An SSDA903 episodes file of 1,000,000 rows into a fresh SQLite file (issue 3: >= 50,000 rows/s with
<= 500 MB resident).

ptrack: `ptrack.tracker.importing.load.import_file` with the episodes format (streaming read, mapping to events, bulk
writes in chunks; the header file is loaded first as setup and not timed; recompute is not part of it).
Baseline, same run: the naive way on a 20,000-row sample (csv.DictReader, one INSERT and one commit per event),
extrapolated by row count and labelled so.
"""

from __future__ import annotations

import csv
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import TreePeakRss, cpu_seconds, log, rate_figure, timed
from benchmarks.workload import AS_OF, DATA, sqlite_url
from ptrack.tracker.importing.formats import Context
from ptrack.tracker.importing.load import import_file
from ptrack.tracker.importing.ssda903 import EPISODE_COLUMNS, HEADER_COLUMNS, SSDA903_EPISODES, SSDA903_HEADER
from ptrack.tracker.services import init_database, open_store
from ptrack.tracker.store import writes as w

TARGET_RATE = 50_000.0
TARGET_RSS_MB = 500.0
EPISODES_PER_CHILD = 5
PLACES = ("U4", "U6", "U3", "K2", "P1", "H5", "A5", "Z11")


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    """`rows` episodes, 5 per child: S, then P (X1 between them), the last one ending E11 for one child in 3."""
    folder.mkdir(parents=True, exist_ok=True)
    header, episodes = folder / "header.csv", folder / "episodes.csv"
    if episodes.exists() and header.exists():
        return header, episodes
    children = rows // EPISODES_PER_CHILD
    with header.open("w", newline="") as hf, episodes.open("w", newline="") as ef:
        hw, ew = csv.writer(hf), csv.writer(ef)
        hw.writerow(HEADER_COLUMNS)
        ew.writerow(EPISODE_COLUMNS)
        for c in range(children):
            child = f"B{c:07d}"
            start = date(2019, 1, 1) + timedelta(days=c % 1500)
            hw.writerow((child, "1" if c % 2 else "2", (start - timedelta(days=3000)).strftime("%d/%m/%Y"),
                         "WBRI", "", "", ""))
            for n in range(EPISODES_PER_CHILD):
                decom = start + timedelta(days=90 * n)
                last = n == EPISODES_PER_CHILD - 1
                dec, rec = ("", "") if last and c % 3 else (decom + timedelta(days=90), "E11" if last else "X1")
                ew.writerow((child, decom.strftime("%d/%m/%Y"), "S" if n == 0 else "P", "C2", "N1",
                             PLACES[(c + n) % len(PLACES)], "PR1", dec if isinstance(dec, str)
                             else dec.strftime("%d/%m/%Y"), rec, "", "", "", ""))
    return header, episodes


def naive(url_path: str, episodes: Path, sample: int) -> float:
    """Row at a time: parse with DictReader, one INSERT and one commit per event."""
    conn = sqlite3.connect(url_path)
    conn.execute("CREATE TABLE naive (event_id TEXT PRIMARY KEY, case_id TEXT, kind TEXT, date TEXT)")
    _, seconds = timed(lambda: _naive_rows(conn, episodes, sample))
    conn.close()
    return seconds


def _naive_rows(conn: sqlite3.Connection, episodes: Path, sample: int) -> None:
    with episodes.open(newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if i >= sample:
                return
            d, m, y = row["DECOM"].split("/")
            day = f"{y}-{m}-{d}"
            kinds = ["placement_start"] + (["looked_after_start"] if row["RNE"] == "S" else [])
            for kind in kinds:
                conn.execute("INSERT OR REPLACE INTO naive VALUES (?, ?, ?, ?)",
                             (f"903:{row['CHILD']}:{day}:{kind}", row["CHILD"], kind, day))
                conn.commit()


def run(quick: bool) -> dict[str, Any]:
    rows, sample = (20_000, 2_000) if quick else (1_000_000, 20_000)
    header, episodes = write_files(DATA / f"ssda903-{rows}", rows)
    log(f"{rows:,} episode rows in {episodes}")
    with sqlite_url() as url:
        init_database(url)
        store = open_store(url)
        with store.reading() as conn:
            ctx = Context(AS_OF, w.case_dobs(conn))
        import_file(store, header, SSDA903_HEADER, ctx, dry_run=False)
        cpu_before = cpu_seconds()
        with TreePeakRss() as rss:
            report, seconds = timed(lambda: import_file(store, episodes, SSDA903_EPISODES, ctx, dry_run=False))
        cpu_s = cpu_seconds() - cpu_before
        store.close()
        baseline_s = naive(url.removeprefix("sqlite:///") + ".naive", episodes, sample)
    log(f"ptrack: {report.summary()} in {seconds:.1f} s ({cpu_s:.1f} CPU-s); peak {rss.peak_mb:.0f} MB")
    figure = rate_figure("SSDA903 episodes import (rows/s)", report.rows_read, seconds, sample, baseline_s,
                         f"DictReader + one INSERT and commit per event, {sample:,}-row sample", TARGET_RATE)
    return {
        "name": "import_903", "params": {"rows": rows, "episodes_per_child": EPISODES_PER_CHILD},
        "figures": [figure],
        "checks": {"rows_read": report.rows_read, "events_loaded": report.rows_loaded,
                   "rejected": report.rows_rejected, "rss_main_mb": round(rss.peak_mb, 1),
                   "cpu_s": round(cpu_s, 2), "rows_per_cpu_s": round(report.rows_read / cpu_s),
                   "cpu_rate_meets_target": report.rows_read / cpu_s >= TARGET_RATE,
                   "rss_within_target": rss.peak_mb <= TARGET_RSS_MB},
        "notes": [f"{report.rows_loaded:,} events from {report.rows_read:,} rows in {seconds:.1f} s wall, "
                  f"{cpu_s:.1f} CPU-s ({report.rows_read / cpu_s:,.0f} rows per CPU-second); "
                  "recompute not included"],
    }
