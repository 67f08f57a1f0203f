"""The recompute pipeline. This process lists the cases in id order a chunk at a time; each chunk is one job
that reads the chunk's events, runs the engine, compares content hashes and writes back what changed, in its
own transaction. Jobs run here or in worker processes (each with its own connection), so on two cores the
reading, computing and writing of different chunks overlap. An interrupted recompute leaves every case
either as before or recomputed; running it again finishes the job.

The engine is injected as a function from timelines to deadline rows (`rows.deadline_row`), so the store
never imports the rules.

On PostgreSQL each chunk commits with `synchronous_commit = off` (no wait for the WAL flush per chunk), and the
recompute ends with one ordinary commit, which flushes the WAL up to it and so every chunk's commit before it:
when `recompute_cases` returns, everything it wrote is durable, as before. A server crash during the recompute
can lose the last chunks' commits, never an earlier one alone (the WAL is replayed in order) and never part of
one: a lost chunk loses its deadlines, its inputs digests and the clearing of its cases' stale marks together,
so an import's marked cases stay marked and `recompute_stale` (the daemon at start, `ptrack recompute`) does
them again; a full recompute's closing record is lost with them, so it is not taken as done either.

A big recompute into an empty deadlines table (the first, or a cold rebuild) drops the open-deadlines index
`ix_deadlines_closed_on_due` first and builds it once at the end: keeping it up to date row by row, in random due
order across a table bigger than SQLite's page cache, cost more than half as much again as the inserts themselves
(4.9 M rows: 41 against 24 CPU-s, the build included). The index only speeds up queries, so readers meanwhile get
the same answers, by a scan. It is built again when the recompute ends or fails; a process killed mid-way leaves
it missing until the next recompute (the daemon runs one at start, `ptrack recompute`) or `ptrack init`
builds it (`ensure_deadline_indexes`)."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ptrack.tracker.model import Case, Timeline
from ptrack.tracker.store import Store, stale
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.case_inputs import deadline_counts, record_inputs, stored_inputs
from ptrack.tracker.store.deadlines import (
    DeadlineCounts,
    case_chunks,
    timelines_and_hashes,
    write_deadlines,
)
from ptrack.tracker.store.writes import bulk_loading, refresh_statistics, set_meta

InputsDigest = Callable[[Timeline, Sequence[str]], str]
"""(a case's timeline, its events' stored content hashes in the same order) -> a digest of everything its
deadlines are computed from (same digest: same deadlines)"""
RowsComputer = Callable[[list[Timeline]], tuple[Sequence[Mapping[str, Any]], list[tuple[str, str]]]]
"""timelines -> (deadline rows, [(case id, error)] for the cases the engine could not compute)"""
ChunkJob = Callable[[list[Case], bool], DeadlineCounts]
"""(cases in id order, whether they are every case between the first and the last) -> what was written"""
STATISTICS_FROM = 10_000  # cases: a recompute this big first refreshes the planner's statistics
IN_FLIGHT = 4  # jobs queued per worker pool: enough to keep every worker busy, few enough to bound memory


@dataclass
class RecomputeReport:
    """What a recompute did. `deadlines` = inserted + updated + unchanged (what the engine produced);
    `archived` deadlines were no longer produced and moved to history. `failed` lists the cases the engine
    could not compute (e.g. a date beyond the calendar), with the error: their stored deadlines are kept."""

    as_of: date
    ruleset_version: str
    calendar_version: str
    computed_at: datetime  # the caller's clock: store/ reads none
    cases: int = 0
    deadlines: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    workers: int = 1
    seconds: float = 0.0
    skipped_cases: int = 0  # inputs unchanged since their deadlines were computed: not computed again
    failed: list[tuple[str, str]] = field(default_factory=list)

    def add(self, counts: DeadlineCounts) -> None:
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.archived += counts.archived
        self.deadlines += counts.inserted + counts.updated + counts.unchanged
        self.skipped_cases += counts.skipped_cases
        self.failed.extend(counts.failed)


def count_cases(store: Store) -> int:
    with store.reading("counting cases") as conn:
        return int(conn.execute(select(func.count()).select_from(t.cases)).scalar_one())


def recompute_cases(
    store: Store,
    job: ChunkJob,
    report: RecomputeReport,
    case_ids: Sequence[str] | None,
    *,
    executor: Executor | None = None,
    chunk_size: int = 1000,
) -> RecomputeReport:
    """Run `job` over `case_ids` (None: all cases, streamed in id order), a chunk at a time."""
    started = time.perf_counter()
    big = case_ids is None or len(case_ids) >= STATISTICS_FROM
    if big:
        with store.transaction("refreshing statistics") as conn:
            refresh_statistics(conn, "cases", "events", "deadlines")
    with store.transaction("preparing the deadlines table") as conn:
        unindexed = big and _empty_deadlines(conn)
        if unindexed:
            _drop_deferred_indexes(conn)
        else:
            ensure_deadline_indexes(conn)  # one a killed recompute left missing
    try:
        _run_chunks(store, job, report, case_ids, executor, chunk_size)
    finally:
        if unindexed:
            with store.transaction("building the deadlines index") as conn:
                ensure_deadline_indexes(conn)
    if store.dialect == "postgresql":
        with store.transaction("making the recompute durable") as conn:
            conn.exec_driver_sql("SELECT txid_current()")  # an xid: the commit is a WAL record, flushed at once
    if case_ids is None:
        with store.transaction("recording the recompute") as conn:
            set_meta(conn, {
                "last_recompute_at": report.computed_at.isoformat(timespec="seconds"),
                "last_recompute_as_of": report.as_of.isoformat(),
                "last_ruleset_version": report.ruleset_version,
                "last_calendar_version": report.calendar_version,
                stale.MIXED_KEY: "",
            })
    report.seconds = time.perf_counter() - started
    return report


def _run_chunks(
    store: Store, job: ChunkJob, report: RecomputeReport, case_ids: Sequence[str] | None,
    executor: Executor | None, chunk_size: int,
) -> None:
    pending: deque[Future[DeadlineCounts]] = deque()
    for cases in case_chunks(store.engine, case_ids, chunk_size):
        report.cases += len(cases)
        if executor is None:
            report.add(job(cases, case_ids is None))
            continue
        pending.append(executor.submit(job, cases, case_ids is None))
        if len(pending) >= IN_FLIGHT * report.workers:
            report.add(pending.popleft().result())
    while pending:
        report.add(pending.popleft().result())


DEFERRED_INDEXES = [ix for ix in t.deadlines.indexes if ix.name == "ix_deadlines_closed_on_due"]
"""Indexes of the deadlines table that a recompute into an empty table builds once at the end."""


def _empty_deadlines(conn: Connection) -> bool:
    return conn.execute(select(t.deadlines.c.id).limit(1)).first() is None


def _drop_deferred_indexes(conn: Connection) -> None:
    for index in DEFERRED_INDEXES:
        index.drop(conn, checkfirst=True)


def ensure_deadline_indexes(conn: Connection) -> None:
    """Build the deferred deadlines indexes that are missing (a recompute killed before it built them)."""
    for index in DEFERRED_INDEXES:
        index.create(conn, checkfirst=True)


def _per_case(rows: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """How many rows each case has (rows from `rows.deadline_row` carry their case id as an attribute)."""
    return Counter(getattr(row, "case_id", None) or row["case_id"] for row in rows)


def recompute_chunk(
    store: Store, cases: list[Case], contiguous: bool, compute_rows: RowsComputer, report: RecomputeReport,
    inputs_digest: InputsDigest | None = None,
) -> DeadlineCounts:
    """One job: read the cases' stale marks then their events, compute, write back what changed and, in the
    same transaction, clear the marks read of the cases written or found unchanged (a case the engine could not
    compute stays stale). With `inputs_digest`, a case whose digest matches the one recorded when its deadlines
    were last written is not computed again."""
    with store.reading("reading events") as conn:
        marks = stale.tokens(conn, [c.case_id for c in cases])
        timelines, hashes = timelines_and_hashes(conn, cases, contiguous)
    digests: dict[str, str] = {}
    unchanged: dict[str, int] = {}
    if inputs_digest is not None:
        digests = {tl.case.case_id: inputs_digest(tl, hashes.get(tl.case.case_id, [])) for tl in timelines}
        with store.reading("reading what the cases were computed from") as conn:
            recorded = stored_inputs(conn, list(digests))
            same = [cid for cid, (digest, _) in recorded.items() if digests[cid] == digest]
            # Deadlines removed or added behind the recompute's back (by hand, a restore) are not "unchanged".
            present = deadline_counts(conn, same)
        unchanged = {cid: recorded[cid][1] for cid in same if present.get(cid, 0) == recorded[cid][1]}
        if unchanged:
            timelines = [tl for tl in timelines if tl.case.case_id not in unchanged]
    rows, failed = compute_rows(timelines)
    skip = {case_id for case_id, _ in failed}
    versions = {"ruleset_version": report.ruleset_version, "calendar_version": report.calendar_version}
    with store.transaction("writing deadlines") as conn, bulk_loading(conn):  # a chunk's pages stay in memory
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")  # see the module's docstring
        ids = [tl.case.case_id for tl in timelines if tl.case.case_id not in skip]
        counts = write_deadlines(conn, ids, rows, versions, report.computed_at)
        stale.clear(conn, {case_id: marks[case_id] for case_id in [*ids, *unchanged] if case_id in marks})
        if digests:
            record_inputs(conn, {cid: digests[cid] for cid in ids}, _per_case(rows))
    counts.failed = failed
    counts.unchanged += sum(unchanged.values())
    counts.skipped_cases = len(unchanged)
    return counts
