"""The recompute pipeline: list the cases a chunk at a time; for each chunk read the events and compute (in
this process, or in worker processes that read the database themselves); write back what changed, in this
process, in case order. The engine is injected as a function from a chunk of cases to deadline rows
(`rows.deadline_row`), so the store never imports the rules.

With an executor, up to `IN_FLIGHT` chunks are out at once, so the single writer (this process) and the
workers' reading and computing overlap. Each chunk is its own transaction: an interrupted recompute leaves
every case either as before or recomputed, and running it again finishes the job."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from tracker.model import Case, Timeline
from tracker.store import Store
from tracker.store import schema as t
from tracker.store.deadlines import DeadlineCounts, case_chunks, timelines_for, write_deadlines
from tracker.store.writes import set_meta

ChunkComputer = Callable[[list[Case], bool], list[dict[str, Any]]]
"""(cases in id order, whether they are every case between the first and the last) -> deadline rows"""
IN_FLIGHT = 4


@dataclass
class RecomputeReport:
    """What a recompute did. `deadlines` = inserted + updated + unchanged (what the engine produced);
    `archived` deadlines were no longer produced and moved to history."""

    as_of: date
    ruleset_version: str
    calendar_version: str
    cases: int = 0
    deadlines: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    workers: int = 1
    seconds: float = 0.0

    def add(self, counts: DeadlineCounts) -> None:
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.archived += counts.archived
        self.deadlines += counts.inserted + counts.updated + counts.unchanged


def count_cases(store: Store) -> int:
    with store.reading("counting cases") as conn:
        return int(conn.execute(select(func.count()).select_from(t.cases)).scalar_one())


def recompute_cases(
    store: Store,
    compute_rows: ChunkComputer,
    report: RecomputeReport,
    case_ids: Sequence[str] | None,
    *,
    executor: Executor | None = None,
    chunk_size: int = 1000,
) -> RecomputeReport:
    """Recompute `case_ids` (None: all cases, streamed in id order) and write the results back."""
    started = time.perf_counter()
    versions = {"ruleset_version": report.ruleset_version, "calendar_version": report.calendar_version}
    computed_at = datetime.now(UTC)
    pending: deque[tuple[list[str], Future[list[dict[str, Any]]] | list[dict[str, Any]]]] = deque()

    def write_one() -> None:
        ids, result = pending.popleft()
        rows = result.result() if isinstance(result, Future) else result
        with store.transaction("writing deadlines") as conn:
            report.add(write_deadlines(conn, ids, rows, versions, computed_at))

    for cases in case_chunks(store.engine, case_ids, chunk_size):
        contiguous = case_ids is None
        report.cases += len(cases)
        ids = [c.case_id for c in cases]
        work = executor.submit(compute_rows, cases, contiguous) if executor else compute_rows(cases, contiguous)
        pending.append((ids, work))
        if len(pending) >= (IN_FLIGHT if executor else 1):
            write_one()
    while pending:
        write_one()
    if case_ids is None:
        with store.transaction("recording the recompute") as conn:
            set_meta(conn, {
                "last_recompute_at": computed_at.isoformat(timespec="seconds"),
                "last_recompute_as_of": report.as_of.isoformat(), **{f"last_{k}": v for k, v in versions.items()},
            })
    report.seconds = time.perf_counter() - started
    return report


def read_timelines(store: Store, cases: list[Case], contiguous: bool) -> list[Timeline]:
    with store.reading("reading events") as conn:
        return timelines_for(conn, cases, contiguous)
