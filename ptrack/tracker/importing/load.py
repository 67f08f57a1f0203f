"""Loading one file into the store: stream its records, write them in chunks inside one transaction, store
the rejects with the batch. A file that fails as a whole leaves nothing of itself behind (its transaction
rolls back) and its batch is recorded as failed; a dry run does everything and then rolls back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from ptrack.tracker.errors import ImportFileError, PtrackError
from ptrack.tracker.importing.extract_records import CaseDetails, CaseSystemDue
from ptrack.tracker.importing.formats import Context, FileFormat
from ptrack.tracker.importing.reader import file_sha256
from ptrack.tracker.importing.report import MAX_REJECTS_KEPT, ImportReport, Reject
from ptrack.tracker.model import Case, Event, Person
from ptrack.tracker.store import Store, WriteCounts, extracts, facts, voids
from ptrack.tracker.store import writes as w
from ptrack.tracker.store.event_writes import EventWriter

CHUNK = 5000
ANALYZE_FROM = 20_000  # rows loaded before the table's statistics are first refreshed, then at 4x, 16x...


class _Rollback(Exception):
    """Raised inside a dry run's transaction to undo it."""


def import_file(store: Store, path: Path, fmt: FileFormat, ctx: Context, *, dry_run: bool) -> ImportReport:
    report = ImportReport(file=path.name, format=fmt.name, sha256=file_sha256(path), dry_run=dry_run,
                          source=fmt.source)
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
    except PtrackError as exc:
        with store.transaction(f"recording the failed import of {path.name}") as conn:
            w.finish_batch(conn, report.batch_id, status="failed", message=str(exc), finished_at=ctx.instant)
        raise
    return report


def _batch_values(report: ImportReport, status: str, ctx: Context) -> dict[str, object]:
    return {
        "rows_read": report.rows_read, "rows_loaded": report.rows_loaded,
        "rows_unchanged": report.rows_unchanged, "rows_corrected": report.rows_corrected,
        "rows_rejected": report.rows_rejected, "status": status, "finished_at": ctx.instant,
    }


class _Chunk:
    """The records read since the last write, by type (each in file order), and the rejects."""

    def __init__(self) -> None:
        self.cases: list[Case] = []
        self.details: list[CaseDetails] = []
        self.people: list[Person] = []
        self.events: list[Event] = []
        self.dues: list[CaseSystemDue] = []
        self.rejects: list[Reject] = []
        self.by_type: dict[type, list[Any]] = {
            Case: self.cases, CaseDetails: self.details, Person: self.people, Event: self.events,
            CaseSystemDue: self.dues,
        }


def _load(
    conn: Connection, path: Path, fmt: FileFormat, ctx: Context, report: ImportReport, batch_id: int | None
) -> None:
    with w.bulk_loading(conn):
        _load_records(conn, path, fmt, ctx, report, batch_id)


def _load_records(
    conn: Connection, path: Path, fmt: FileFormat, ctx: Context, report: ImportReport, batch_id: int | None
) -> None:
    writer = EventWriter(conn, fmt.source, batch_id, ctx.instant)
    report.full_extract = ctx.is_full_extract(path, fmt.name) and fmt.target == "events"
    seen: set[str] | None = set() if report.full_extract else None
    chunk = _Chunk()
    by_type, rejects = chunk.by_type, chunk.rejects
    analyze_at = ANALYZE_FROM
    last_line = rows_read = pending = 0
    for item in fmt.records(path, ctx):
        # A row is read once however many records (an SSDA903 episode gives several events) or field
        # rejects it yields; items come in file order, and records inferred at the end repeat earlier lines.
        if isinstance(item, Reject):
            line = item.line
            report.reject(item)
            rejects.append(item)
        else:
            line, record = item
            by_type[type(record)].append(record)
            pending += 1
        if line > last_line:
            rows_read += 1
            last_line = line
        if pending >= CHUNK or len(rejects) >= CHUNK:
            report.rows_read = rows_read
            _flush(conn, writer, chunk, report, batch_id, seen)
            chunk = _Chunk()
            by_type, rejects, pending = chunk.by_type, chunk.rejects, 0
            if ctx.progress is not None:
                ctx.progress(path.name, rows_read)
            if report.rows_loaded >= analyze_at:  # keep the planner's idea of the table's size current
                w.refresh_statistics(conn, fmt.target)
                analyze_at *= 4
    report.rows_read = rows_read
    _flush(conn, writer, chunk, report, batch_id, seen)
    if batch_id is not None and report.event_kinds:
        report.events_same_as = facts.link_same_facts(conn, batch_id, fmt.source)
    if batch_id is not None and seen is not None:
        _apply_full_extract(conn, path, fmt, ctx, report, batch_id, seen)
    if report.rows_loaded >= ANALYZE_FROM:
        w.refresh_statistics(conn, fmt.target)


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
    counts = WriteCounts()
    if chunk.cases:
        counts.add(w.upsert_cases(conn, chunk.cases))
    if chunk.details:
        counts.add(extracts.merge_case_details(conn, chunk.details))
    if chunk.people:
        counts.add(w.upsert_people(conn, chunk.people))
    if chunk.events:
        counts.add(writer.write(chunk.events))
        if seen is not None:
            seen.update(e.event_id for e in chunk.events)
        kinds = report.event_kinds
        for event in chunk.events:
            last = kinds.get(event.kind)
            if last is None or event.date > last:
                kinds[event.kind] = event.date
    if chunk.dues:
        counts.add(extracts.upsert_case_system_dues(conn, chunk.dues, batch_id, writer.now))
    report.rows_loaded += counts.loaded
    report.rows_unchanged += counts.unchanged
    report.rows_corrected += counts.corrected
    report.affected_cases |= counts.affected_cases
