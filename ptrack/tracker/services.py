"""The use cases the CLI and the daemon call: initialise the database, import files, recompute deadlines,
query them. Each is one function over a `Store`; the clock is passed in (`today`, `as_of`)."""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.context
import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from hashlib import blake2b
from os import PathLike
from pathlib import Path
from typing import Any

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.coverage import RuleCoverage, judge
from ptrack.tracker.coverage import untracked_rules as untracked_of
from ptrack.tracker.errors import CalendarError, PtrackError
from ptrack.tracker.importing import ImportReport, plan
from ptrack.tracker.importing.formats import Context, ExtractOptions
from ptrack.tracker.importing.load import import_file
from ptrack.tracker.importing.report import MAX_REJECTS_KEPT
from ptrack.tracker.model import Case, IgnoredEvent, Status, Timeline
from ptrack.tracker.rules import RuleSet, compute, compute_case
from ptrack.tracker.rules.scopes import known_on
from ptrack.tracker.store import DeadlineCounts, DeadlineRow, Store, init_database, open_store, stale, voids
from ptrack.tracker.store import coverage_queries as cq
from ptrack.tracker.store import queries as q
from ptrack.tracker.store import writes as w
from ptrack.tracker.store.engine import create_store_engine
from ptrack.tracker.store.event_writes import batch_case_count
from ptrack.tracker.store.recompute import RecomputeReport, count_cases, recompute_cases, recompute_chunk
from ptrack.tracker.store.rows import ComputedRow, deadline_row
from ptrack.tracker.store.voids import StoredEvent

META_LAST_IMPORT = "last_successful_import_at"
# Below this, starting worker processes costs more than it saves. A forked worker (the CLI) starts in
# milliseconds with the rule set and calendar already loaded; one from forkserver (the daemon, which runs
# threads) first imports ptrack and unpickles them, well under a second, against the seconds 2,000 cases take.
PARALLEL_FROM_CASES = 2_000
# Allocations between young-generation collections while recomputing (CPython's default is 700): see _few_collections.
GC_YOUNG_THRESHOLD = 50_000
MAX_WORKERS = 2
# Cases per job when workers share the cases: small enough that a nightly import's few thousand cases split
# evenly over the workers (a 5,000-case recompute in 1,000-case chunks left one worker 3 chunks, the other 2),
# never more than 1,000 (memory, transaction size), never fewer than 100 (per-chunk queries).
CHUNK_MOST, CHUNK_LEAST, CHUNKS_PER_WORKER = 1000, 100, 8


def import_paths(
    store: Store,
    paths: Sequence[str | PathLike[str]],
    *,
    fmt: str = "auto",
    dry_run: bool = False,
    today: date,
    ruleset: RuleSet,
    calendar: WorkingDayCalendar,
    connected_person_place_codes: Collection[str] = (),
    progress: Callable[[str, int], None] | None = None,
    now: datetime | None = None,
    full_extract: Collection[str] = (),
    max_void_share: float = 0.10,
    allow_mass_void: bool = False,
    options: ExtractOptions | None = None,
) -> list[ImportReport]:
    """Import files (cases before people before events), then recompute the cases they touched as of `today`.
    Every header is checked before anything is written; a file that cannot be read as a whole raises
    `ImportFileError` after the files before it have been imported and recomputed. `progress(file, rows)` is
    called while a file loads; SSDA903 PLACE codes in `connected_person_place_codes` are connected-person
    placements (config `import.connected_person_place_codes`). `now` is the instant of the import (the caller's
    clock; None: noon UTC on `today`), recorded on its batches and as the last successful import. A file of a
    format (or drop-folder subfolder) in `full_extract` voids the stored events of its source and format it no
    longer has, unless that is more than `max_void_share` of them and `allow_mass_void` is not given. `options`
    carries the council's extract settings (config `[import]`: PlacedAdoption, SSD health check types)."""
    planned = plan([Path(p) for p in paths], fmt)
    with store.reading("reading the known cases") as conn:
        ctx = Context(today, w.case_dobs(conn), frozenset(connected_person_place_codes), progress, now,
                      frozenset(full_extract), max_void_share, allow_mass_void, options or ExtractOptions(),
                      earliest=calendar.start, latest=calendar.end)
    reports: list[ImportReport] = []
    succeeded = False
    try:
        with _few_collections():  # loading allocates millions of short-lived rows and events, as a recompute does
            for path, file_format in planned:
                reports.append(import_file(store, path, file_format, ctx, dry_run=dry_run))
        succeeded = True
    finally:
        if not dry_run and reports:
            _recompute_imported(store, reports, ruleset, calendar, today, succeeded, ctx.instant)
    return reports


def _recompute_imported(
    store: Store,
    reports: list[ImportReport],
    ruleset: RuleSet,
    calendar: WorkingDayCalendar,
    today: date,
    succeeded: bool,
    now: datetime,
) -> None:
    affected = set().union(*(r.affected_cases for r in reports))
    if affected:
        recompute(store, ruleset, calendar, today, affected, now)
    for report in reports:
        if report.batch_id is not None and report.event_kinds:
            _report_unused(store, report, ruleset, calendar, today)
    with store.transaction("recording the import") as conn:
        for report in reports:
            report.cases_recomputed = len(report.affected_cases)
            if report.batch_id is not None:
                w.finish_batch(conn, report.batch_id, cases_recomputed=report.cases_recomputed)
                cq.record_supply(conn, report.source, report.event_kinds, now)
        if succeeded:
            w.set_meta(conn, {META_LAST_IMPORT: now.isoformat(timespec="seconds")})


UNUSED_CHECK_MAX_CASES = 2000  # above this, the import report says to use `ptrack explain CASE` instead


def _report_unused(
    store: Store, report: ImportReport, ruleset: RuleSet, calendar: WorkingDayCalendar, today: date
) -> None:
    """List the events this file stored that no deadline uses (docs/rules.md), as located warnings."""
    with store.reading("finding the events of the import") as conn:
        if report.batch_id is None:
            return
        # Counted in SQL first when the file may have touched too many cases: its events are not read back.
        touched = (batch_case_count(conn, report.batch_id, report.event_cases)
                   if len(report.event_cases) > UNUSED_CHECK_MAX_CASES else 0)
        mine = {} if touched > UNUSED_CHECK_MAX_CASES else q.batch_event_ids(conn, report.batch_id,
                                                                             report.event_cases)
        touched = max(touched, len(mine))
        if touched > UNUSED_CHECK_MAX_CASES:
            report.unused_note = (f"events not used were not listed: the file touched {touched} cases (more than "
                                  f"{UNUSED_CHECK_MAX_CASES}); `ptrack explain CASE` lists them per case")
            return
        timelines = [q.case_timeline(conn, case_id) for case_id in sorted(mine)]
    for tl in timelines:
        for item in compute_case(tl, ruleset, calendar, today).ignored:
            if item.event_id not in mine[tl.case.case_id]:
                continue
            report.events_unused += 1
            if len(report.unused) < MAX_REJECTS_KEPT:
                report.unused.append(f"{report.file}: event {item.event_id} (case {item.case_id}, {item.kind} "
                                     f"{item.date.isoformat()}): not used: {item.reason}")


def recompute(
    store: Store,
    ruleset: RuleSet,
    calendar: WorkingDayCalendar,
    as_of: date,
    case_ids: Iterable[str] | None = None,
    now: datetime | None = None,
) -> RecomputeReport:
    """Recompute the deadlines of `case_ids` (None: every case) and write back what changed, with history.
    `now` stamps the rows written (the caller's clock; None: noon UTC on `as_of`)."""
    ids = None if case_ids is None else sorted(set(case_ids))
    computed_at = now or datetime.combine(as_of, time(12), UTC)
    report = RecomputeReport(as_of, ruleset.version, calendar.version, computed_at=computed_at)
    cases = len(ids) if ids is not None else count_cases(store)
    workers = min(MAX_WORKERS, os.cpu_count() or 1) if cases >= PARALLEL_FROM_CASES else 1
    if store.engine.url.database in (None, "", ":memory:"):
        workers = 1  # an in-memory database is invisible to other processes
    report.workers = workers
    spread = cases // (workers * CHUNKS_PER_WORKER)
    chunk_size = CHUNK_MOST if workers == 1 else max(CHUNK_LEAST, min(CHUNK_MOST, spread))
    with ExitStack() as stack:
        executor: Executor | None = None
        stack.enter_context(_few_collections())
        if workers > 1:
            url = store.engine.url.render_as_string(hide_password=False)
            executor = stack.enter_context(ProcessPoolExecutor(
                workers, mp_context=_fork_context(), initializer=_init_worker,
                initargs=(url, ruleset, calendar, report),
            ))
        else:
            _WORKER.update(store=store, ruleset=ruleset, calendar=calendar, report=report)
        try:
            done = recompute_cases(store, _recompute_chunk, report, ids, executor=executor, chunk_size=chunk_size)
        finally:
            _WORKER.clear()
    if ids is not None:
        with store.transaction("recording the versions computed with") as conn:
            stale.note_partial_recompute(conn, ruleset.version, calendar.version)
    return done


def stale_cases(store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar) -> list[str]:
    """Cases an import or a void left to recompute, and those with a deadline of another rule set or calendar
    version (`ptrack.tracker.freshness`)."""
    from ptrack.tracker.freshness import stale_case_ids

    return stale_case_ids(store, ruleset, calendar)


def recompute_stale(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, as_of: date, now: datetime | None = None
) -> RecomputeReport:
    """Recompute what is stale: every case after a rule-set or calendar change, else the cases an interrupted
    import or recompute left marked (the default of `ptrack recompute`, and what the daemon runs at start and
    after an import)."""
    from ptrack.tracker.freshness import recompute_stale as run

    return run(store, ruleset, calendar, as_of, now)


# What `_compute_rows` works with: in a worker process its own store connection, set by the pool initializer.
_WORKER: dict[str, Any] = {}


@contextmanager
def _few_collections() -> Iterator[None]:
    """Fewer garbage collections while recomputing. A recompute allocates millions of short-lived tuples, dicts and
    dataclasses that form no reference cycles, so CPython's default threshold ran a young collection every few
    rows and, every hundred of those, a full one walking the long-lived rule set and calendar tables (about an
    eighth of a recompute's CPU). What exists when it starts lives for the whole run: it is frozen (never scanned),
    and young collections wait for more allocations; both are restored afterwards. Worker processes, which exist
    only for the recompute, are tuned once by `_init_worker`."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _init_worker(url: str, ruleset: RuleSet, calendar: WorkingDayCalendar, report: RecomputeReport) -> None:
    gc.freeze()  # the rule set and calendar, inherited or unpickled: kept for the worker's life
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    _WORKER.update(store=Store(create_store_engine(url)), ruleset=ruleset, calendar=calendar, report=report)


def _recompute_chunk(cases: list[Case], contiguous: bool) -> DeadlineCounts:
    report: RecomputeReport = _WORKER["report"]
    digest = _inputs_digest if engine_fingerprint() else None
    return recompute_chunk(_WORKER["store"], cases, contiguous, _compute_rows, report, digest)


def _inputs_digest(tl: Timeline, event_hashes: Sequence[str]) -> str:
    """A digest of everything `compute` reads for this case: the events it knows on the as-of date (in order: their
    ids and stored content hashes, which cover every other field), the case id and date of birth, the rule set
    (packs and settings) and calendar versions, and the engine's own code. Equal digests give equal deadlines,
    so an unchanged case need not be computed again."""
    report: RecomputeReport = _WORKER["report"]
    as_of = report.as_of
    parts = [engine_fingerprint(), report.ruleset_version, report.calendar_version, tl.case.case_id,
             str(tl.case.dob)]
    parts += [e.event_id + "=" + h for e, h in zip(tl.events, event_hashes, strict=True) if known_on(e, as_of)]
    return blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


@cache
def engine_fingerprint() -> str:
    """A digest of the code that turns events into deadline rows (the rules engine, calendars, the domain model and
    the row conversion), so that a new ptrack version recomputes every case once. Empty when the sources cannot be
    read (then no case is ever skipped)."""
    root = Path(__file__).resolve().parent
    engine, calendars = sorted((root / "rules").glob("*.py")), sorted((root.parent / "calendars").glob("*.py"))
    if not engine or not calendars:
        return ""
    files = [*engine, *calendars, root / "model.py", root / "store" / "rows.py"]
    digest = blake2b(digest_size=16)
    try:
        for path in files:
            digest.update(path.read_bytes())
    except OSError:
        return ""
    return digest.hexdigest()


def _compute_rows(timelines: list[Timeline]) -> tuple[list[ComputedRow], list[tuple[str, str]]]:
    """The engine over a chunk of timelines, as deadline rows with their content hashes. A case the engine
    cannot compute (a date past the calendar's coverage, say) is reported, not allowed to stop the others."""
    ruleset, calendar, as_of = _WORKER["ruleset"], _WORKER["calendar"], _WORKER["report"].as_of
    rows: list[ComputedRow] = []
    failed: list[tuple[str, str]] = []
    for tl in timelines:
        try:
            deadlines = compute(tl, ruleset, calendar, as_of)
        except (PtrackError, CalendarError) as exc:
            failed.append((tl.case.case_id, str(exc)))
            continue
        rows.extend(map(deadline_row, deadlines))
    return rows, failed


def _fork_context() -> multiprocessing.context.BaseContext | None:
    """Fork where the platform has it and this process runs one thread (the CLI): workers inherit the rule set
    and calendar instead of unpickling them. A threaded process (the daemon's scheduler) must not fork, since a
    lock held by another thread would stay locked in the child: it uses forkserver."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver") if "forkserver" in methods else None


def query_deadlines(
    store: Store,
    as_of: date,
    *,
    case_id: str | None = None,
    team: str | None = None,
    worker: str | None = None,
    statuses: Collection[Status | str] | None = None,
    untracked: Collection[str] = (),
) -> list[DeadlineRow]:
    """Deadlines visible on `as_of` (anchor on or before it), with their status on that date, by due date. The
    deadlines of `untracked` rules (`untracked_rules`) show as `untracked` unless met."""
    wanted = {Status(s) for s in statuses} if statuses else None
    with store.reading("querying deadlines") as conn:
        return q.query_deadlines(
            conn, as_of, case_id=case_id, team=team, worker=worker.lower() if worker else None, statuses=wanted,
            untracked=frozenset(untracked),
        )


def coverage(store: Store, ruleset: RuleSet, complete_sources: Collection[str] = ()) -> list[RuleCoverage]:
    """`ptrack coverage`: per active rule, the evidence it needs, who has supplied it, and the verdict."""
    with store.reading("counting the events each source supplied") as conn:
        return judge(ruleset, cq.live_supply(conn), complete_sources)


def untracked_rules(store: Store, ruleset: RuleSet, complete_sources: Collection[str] = ()) -> frozenset[str]:
    """The active rules no source supplies evidence for: their deadlines are shown, never nagged or counted."""
    with store.reading("reading which event kinds have arrived") as conn:
        return untracked_of(judge(ruleset, cq.cached_supply(conn), complete_sources))


@dataclass(frozen=True)
class VoidResult:
    event: StoredEvent
    already_voided: bool
    cases_recomputed: int


def void_event(
    store: Store, event_id: str, *, source: str | None, reason: str, actor: str, now: datetime, today: date,
    ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> VoidResult:
    """`ptrack events void`: void one event by hand (kept in history with the audit line), then recompute its
    case. Voiding an event already voided changes nothing."""
    if not reason.strip():
        raise PtrackError("events void: --reason is required: say why the event is void (it goes in the audit)")
    with store.transaction(f"voiding event {event_id}") as conn:
        event = voids.find_event(conn, event_id, source)
        cases = voids.void(conn, [event], reason=reason.strip(), actor=actor, batch_id=None, now=now)
        stale.mark(conn, cases, f"void of event {event_id}", now)  # with the void: a crash before the recompute
    if cases:
        recompute(store, ruleset, calendar, today, cases, now)
    return VoidResult(event, event.voided_at is not None, len(cases))


def ignored_events(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, as_of: date, case_id: str
) -> list[IgnoredEvent]:
    """The events of one case that no deadline used on `as_of`, each with the reason (docs/rules.md)."""
    return compute_case(case_timeline(store, case_id), ruleset, calendar, as_of).ignored


def case_timeline(store: Store, case_id: str) -> Timeline:
    """The case and its events, oldest first; `NotFoundError` for an unknown case."""
    with store.reading(f"reading case {case_id}") as conn:
        return q.case_timeline(conn, case_id)


@dataclass(frozen=True)
class ImportStatus:
    last_successful_import_at: datetime | None


def last_import(store: Store) -> ImportStatus:
    """When an import last succeeded (for the stale-data alert)."""
    with store.reading("reading the import status") as conn:
        value = w.get_meta(conn, META_LAST_IMPORT)
    return ImportStatus(datetime.fromisoformat(value) if value else None)


__all__ = [
    "DeadlineRow",
    "ImportReport",
    "ImportStatus",
    "RecomputeReport",
    "Store",
    "case_timeline",
    "coverage",
    "ignored_events",
    "import_paths",
    "init_database",
    "last_import",
    "recompute_stale",
    "stale_cases",
    "open_store",
    "query_deadlines",
    "recompute",
    "untracked_rules",
    "void_event",
]
