"""The recompute pipeline: read a chunk of cases with their events, have the engine compute (in this process
or in worker processes), write back what changed. The engine is injected as a function from timelines to
deadline rows (`rows.deadline_row`), so the store never imports the rules.

With an executor, reading and writing in this process overlap the computing in the workers: up to
`IN_FLIGHT` chunks are out at once, and results are written in case order."""

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

ChunkComputer = Callable[[list[Timeline]], list[dict[str, Any]]]
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
        timelines = _read(store, cases, contiguous=case_ids is None)
        report.cases += len(cases)
        ids = [c.case_id for c in cases]
        pending.append((ids, executor.submit(compute_rows, timelines) if executor else compute_rows(timelines)))
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


def _read(store: Store, cases: list[Case], contiguous: bool) -> list[Timeline]:
    with store.reading("reading events") as conn:
        return timelines_for(conn, cases, contiguous)
