"""Loading one file into the store: stream its records, write them in chunks inside one transaction, store
the rejects with the batch. A file that fails as a whole leaves nothing of itself behind (its transaction
rolls back) and its batch is recorded as failed; a dry run does everything and then rolls back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from ptrack.tracker.errors import ImportFileError, PtrackError
from ptrack.tracker.importing.extract_records import Allocation, CaseDetails, CaseSystemDue
from ptrack.tracker.importing.formats import Context, FileFormat, Record
from ptrack.tracker.importing.reader import file_sha256
from ptrack.tracker.importing.report import MAX_REJECTS_KEPT, ImportReport, Reject
from ptrack.tracker.model import Case, Event, Person
from ptrack.tracker.store import Store, WriteCounts, extracts, facts, stale, voids
from ptrack.tracker.store import coverage_queries as cq
from ptrack.tracker.store import writes as w
from ptrack.tracker.store.event_writes import EventWriter

CHUNK = 5000
ANALYZE_FROM = 20_000  # rows loaded before the table's statistics are first refreshed, then at 4x, 16x...


class _Rollback(Exception):
    """Raised inside a dry run's transaction to undo it."""


def import_file(store: Store, path: Path, fmt: FileFormat, ctx: Context, *, dry_run: bool) -> ImportReport:
    report = ImportReport(file=path.name, format=fmt.name, sha256=file_sha256(path), dry_run=dry_run,
                          source=fmt.source, note=_note(fmt, ctx))
    if dry_run:
        try:
            with store.transaction(f"importing {path.name} (dry run)") as conn:
                _load(conn, path, fmt, ctx, report, None)
                raise _Rollback
        except _Rollback:
            pass
        return report
    with store.transaction(f"recording the import of {path.name}") as conn:
        report.batch_id = w.begin_batch(conn, path.name, report.sha256, fmt.name, ctx.instant)
    try:
        with store.transaction(f"importing {path.name}") as conn:
            _load(conn, path, fmt, ctx, report, report.batch_id)
            w.finish_batch(conn, report.batch_id,
                           **_batch_values(report, "rejects" if report.has_rejects else "ok", ctx))
    except Exception as exc:  # a batch never stays `running`: even a bug's failure is recorded, then raised
        message = str(exc) if isinstance(exc, PtrackError) else f"unexpected {type(exc).__name__}: {exc}"
        with store.transaction(f"recording the failed import of {path.name}") as conn:
            w.finish_batch(conn, report.batch_id, status="failed", message=message.replace("\x00", "\\x00")[:2000],
                           finished_at=ctx.instant)
        raise
    return report


def _note(fmt: FileFormat, ctx: Context) -> str:
    note_for = getattr(fmt, "note_for", None)
    return str(note_for(ctx)) if note_for is not None else ""


def _batch_values(report: ImportReport, status: str, ctx: Context) -> dict[str, object]:
    return {
        "rows_read": report.rows_read, "rows_loaded": report.rows_loaded,
        "rows_unchanged": report.rows_unchanged, "rows_corrected": report.rows_corrected,
        "rows_rejected": report.rows_rejected, "status": status, "finished_at": ctx.instant,
    }


class _Chunk:
    """The rows read since the last write: their records by type (each in file order), the line of each event,
    the rows with no event (counted by their record's write), and the field rejects to store."""

    def __init__(self) -> None:
        self.cases: list[Case] = []
        self.details: list[CaseDetails] = []
        self.people: list[Person] = []
        self.events: list[Event] = []
        self.event_lines: list[int] = []  # the row of each event; 0: a record inferred for an earlier row
        self.dues: list[CaseSystemDue] = []
        self.allocations: list[Allocation] = []
        self.rejects: list[Reject] = []
        self.pending = 0
        self.by_type: dict[type, list[Any]] = {
            Case: self.cases, CaseDetails: self.details, Person: self.people, Event: self.events,
            CaseSystemDue: self.dues, Allocation: self.allocations,
        }
        # Non-event records of rows that also give events (an SSDA903 XML child): written, but the row is
        # counted by its events.
        self.side: _Chunk | None = None

    def add_row(self, line: int, records: list[Record], rejects: list[Reject], report: ImportReport) -> None:
        """A row is read once; with no record it is rejected; with records and field rejects it is stored with
        warnings (the fields named were ignored)."""
        new_row = line > report.last_line
        if new_row:
            report.rows_read += 1
            report.last_line = line
        self.rejects += rejects
        if not records:
            if new_row:
                report.rows_rejected += 1
            for reject in rejects:
                report.reject(reject)
            return
        if rejects and new_row:
            report.rows_warned += 1
        for reject in rejects:
            report.warn(reject)
        has_events = False
        for record in records:  # a loop, not any(<generator>): this runs for every row
            if isinstance(record, Event):
                has_events = True
                break
        for record in records:
            if isinstance(record, Event):
                self.events.append(record)
                self.event_lines.append(line if new_row else 0)
            elif has_events:
                self.side = self.side or _Chunk()
                self.side.by_type[type(record)].append(record)
            else:
                self.by_type[type(record)].append(record)
        self.pending += len(records)


def _load(
    conn: Connection, path: Path, fmt: FileFormat, ctx: Context, report: ImportReport, batch_id: int | None
) -> None:
    with w.bulk_loading(conn):
        _load_records(conn, path, fmt, ctx, report, batch_id)


def _load_records(
    conn: Connection, path: Path, fmt: FileFormat, ctx: Context, report: ImportReport, batch_id: int | None
) -> None:
    writer = EventWriter(conn, fmt.source, batch_id, ctx.instant)
    if batch_id is not None and fmt.target == "events":  # a first import: merged into, not counted after
        cq.start_supply(conn)
    report.full_extract = ctx.is_full_extract(path, fmt.name) and fmt.target == "events"
    seen: set[str] | None = set() if report.full_extract else None
    chunk = _Chunk()
    analyze_at = ANALYZE_FROM
    for line, records, rejects in _rows(fmt.records(path, ctx)):
        chunk.add_row(line, records, rejects, report)
        if chunk.pending >= CHUNK or len(chunk.rejects) >= CHUNK:  # only between rows: a row is never split
            _flush(conn, writer, chunk, report, batch_id, seen)
            chunk = _Chunk()
            if ctx.progress is not None:
                ctx.progress(path.name, report.rows_read)
            if report.events_created >= analyze_at:  # keep the planner's idea of the table's size current
                w.refresh_statistics(conn, fmt.target)
                analyze_at *= 4
    _flush(conn, writer, chunk, report, batch_id, seen)
    if batch_id is not None and report.event_kinds:
        report.events_same_as = facts.link_same_facts(conn, batch_id, fmt.source)
    if batch_id is not None and seen is not None:
        _apply_full_extract(conn, path, fmt, ctx, report, batch_id, seen)
    if report.events_created >= ANALYZE_FROM:
        w.refresh_statistics(conn, fmt.target)
    if batch_id is not None:  # with the events, in their transaction: a crash before the recompute is seen
        stale.mark(conn, report.affected_cases, f"import {path.name}", ctx.instant)
        if report.event_kinds:  # what the sources supplied, as stored (the import records it again at its end)
            cq.record_supply(conn, fmt.source, report.event_kinds, ctx.instant)


def _rows(items: Iterable[tuple[int, Record] | Reject]) -> Iterator[tuple[int, list[Record], list[Reject]]]:
    """The items of one row together: a row can give several records (an SSDA903 episode: period start,
    placement start, placement end, period end) and several field rejects. Items come in file order; records
    inferred at the end of a file repeat earlier lines and come as rows of their own."""
    line, records, rejects = 0, [], []  # type: tuple[int, list[Record], list[Reject]]
    for item in items:
        at = item.line if isinstance(item, Reject) else item[0]
        if at != line and (records or rejects):
            yield line, records, rejects
            records, rejects = [], []
        line = at
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            records.append(item[1])
    if records or rejects:
        yield line, records, rejects


def _apply_full_extract(
    conn: Connection, path: Path, fmt: FileFormat, ctx: Context, report: ImportReport, batch_id: int, seen: set[str]
) -> None:
    """Void the stored events of this source and format that the full extract no longer has, restore those it
    has again; refuse (the whole file) past the safety valve. A file with rejects voids nothing: a rejected
    row is not a deleted event."""
    if report.has_rejects:
        report.void_note = "nothing voided: the file has rejected rows; fix them and import it again"
        return
    report.affected_cases.update(voids.restore_seen(conn, fmt.source, seen, batch_id, ctx.instant))
    domain = voids.extract_domain(conn, fmt.source, fmt.name)
    absent = [ev for ev in domain if ev.event_id not in seen]
    share = len(absent) / len(domain) if domain else 0.0
    if absent and share > ctx.max_void_share and not ctx.allow_mass_void:
        raise ImportFileError(
            f"{path.name}: this full extract would void {len(absent)} of {len(domain)} {fmt.source} events "
            f"({share:.0%}), more than import.max_void_share ({ctx.max_void_share:.0%}); nothing was imported from "
            f"it. If the case system really deleted them, import it again with --allow-mass-void")
    report.affected_cases.update(voids.void(conn, absent, reason=f"absent from full extract {path.name}",
                                            actor="", batch_id=batch_id, now=ctx.instant))
    report.events_voided = len(absent)
    report.voided = [(ev.event_id, ev.case_id, ev.kind, ev.date) for ev in absent[:MAX_REJECTS_KEPT]]


def _flush(
    conn: Connection, writer: EventWriter, chunk: _Chunk, report: ImportReport, batch_id: int | None,
    seen: set[str] | None = None,
) -> None:
    """Write by record type, cases before the events that need them (an SSDA903 XML file holds both)."""
    if batch_id is not None:
        w.add_rejects(conn, batch_id, [(r.file, r.line, r.field, r.reason) for r in chunk.rejects])
    if chunk.side is not None:
        report.affected_cases |= _write_records(conn, chunk.side, writer, batch_id).affected_cases
    counts = _write_records(conn, chunk, writer, batch_id)  # rows without events: one record per row
    if chunk.events:
        outcomes: list[str] = []
        written = writer.write(chunk.events, outcomes)
        report.events_created += written.loaded
        report.affected_cases |= written.affected_cases
        report.event_cases |= written.affected_cases
        _count_event_rows(report, chunk.event_lines, outcomes)
        if seen is not None:
            seen.update(e.event_id for e in chunk.events)
        kinds = report.event_kinds
        for event in chunk.events:
            last = kinds.get(event.kind)
            if last is None or event.date > last:
                kinds[event.kind] = event.date
    report.rows_loaded += counts.loaded
    report.rows_unchanged += counts.unchanged
    report.rows_corrected += counts.corrected
    report.affected_cases |= counts.affected_cases


def _write_records(conn: Connection, chunk: _Chunk, writer: EventWriter, batch_id: int | None) -> WriteCounts:
    """The records other than events, cases first (events need them)."""
    counts = WriteCounts()
    if chunk.cases:
        counts.add(w.upsert_cases(conn, chunk.cases))
    if chunk.details:
        counts.add(extracts.merge_case_details(conn, chunk.details))
    if chunk.people:
        counts.add(w.upsert_people(conn, chunk.people))
    if chunk.dues:
        counts.add(extracts.upsert_case_system_dues(conn, chunk.dues, batch_id, writer.now))
    if chunk.allocations:
        counts.add(extracts.upsert_allocations(conn, chunk.allocations, batch_id, writer.now))
    return counts


def _count_event_rows(report: ImportReport, lines: list[int], outcomes: list[str]) -> None:
    """A row with events is corrected if any of its events was, loaded if any was new, else unchanged."""
    if len(set(outcomes)) == 1:  # the common chunk: every event new (or all unchanged), and so is every row
        rows = len(set(lines) - {0})
        outcome = outcomes[0]
        if outcome == "corrected":
            report.rows_corrected += rows
        elif outcome == "loaded":
            report.rows_loaded += rows
        else:
            report.rows_unchanged += rows
        return
    state: dict[int, str] = {}
    for line, outcome in zip(lines, outcomes, strict=True):
        if line:
            state[line] = max(state.get(line, "unchanged"), outcome, key=_RANK.__getitem__)
    for outcome in state.values():
        if outcome == "corrected":
            report.rows_corrected += 1
        elif outcome == "loaded":
            report.rows_loaded += 1
        else:
            report.rows_unchanged += 1


_RANK = {"unchanged": 0, "loaded": 1, "corrected": 2}
