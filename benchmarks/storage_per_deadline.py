"""Bytes per deadline (issue 13): import N visit-heavy children into a fresh SQLite file the way
`import_recompute_overdue` does, then read SQLite's `dbstat` per table and index.

    python -m benchmarks.storage_per_deadline 2000 [folder-to-keep-the-database]

Prints each object's size per deadline, the deadlines table with its indexes, the whole file, and the import's
CPU seconds (this process)."""

from __future__ import annotations

import os
import resource
import sqlite3
import sys
import tempfile

from benchmarks.workload import AS_OF, default_setup, shape, synthetic_files
from ptrack.tracker.services import import_paths, init_database, open_store


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(children: int, folder: str) -> None:
    files = synthetic_files(shape(children, 52.0, "visit_heavy"))
    setup = default_setup()
    path = os.path.join(folder, "ptrack.db")
    init_database(f"sqlite:///{path}")
    store = open_store(f"sqlite:///{path}")
    started = cpu()
    try:
        import_paths(store, [files.cases, files.people, files.events], today=AS_OF, ruleset=setup.ruleset,
                     calendar=setup.calendar)
    finally:
        store.close()
    seconds = cpu() - started
    with sqlite3.connect(path) as conn:
        [count] = conn.execute("SELECT count(*) FROM deadlines").fetchone()
        sizes = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        own = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'deadlines'")}
    print(f"{children:,} children, {files.event_count:,} events, {count:,} deadlines")
    for name, size in sizes:
        if size / count < 0.1:
            continue
        print(f"  {name:40s} {size:>14,} bytes {size / count:8.1f} per deadline")
    table = sum(size for name, size in sizes if name in own)
    print(f"deadlines table + indexes: {table / count:.1f} bytes per deadline; whole file "
          f"{os.path.getsize(path) / count:.1f}; import {seconds:.2f} CPU-s")


if __name__ == "__main__":
    if len(sys.argv) > 2:
        main(int(sys.argv[1]), sys.argv[2])
    else:
        with tempfile.TemporaryDirectory(prefix="ptrack-storage-") as tmp:
            main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, tmp)
