"""`ptrack import`: load cases, people and events files (canonical CSV, SSDA903 CSV/XML, SSD extracts) or the
nightly drop folder, and print what happened to every row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ptrack.cli import output
from ptrack.cli.freshness import refreshed
from ptrack.cli.state import UsageError, state
from ptrack.tracker import services
from ptrack.tracker.drop_folder import REPORT, DropFolderReport, import_drop_folder, report_json
from ptrack.tracker.importing import FAMILIES, FORMATS, ImportReport
from ptrack.tracker.importing.report import MAX_REJECTS_KEPT

PROGRESS_FROM_BYTES = 5_000_000  # files smaller than this load too fast for a bar to help


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


def import_files(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH",
        help="Files or folders of files (an SSD or SSDA903 export) to import; with --drop-folder, the folder "
             "(default: import.drop_folder).",
    )] = None,
    fmt: Annotated[str, typer.Option(
        "--format", metavar="FORMAT",
        help=f"What the files hold: auto (recognise each file), {', '.join(FAMILIES)} or {', '.join(FORMATS)}.",
    )] = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, write nothing.")] = False,
    drop_folder: Annotated[bool, typer.Option(
        "--drop-folder", help="Import every new file in the drop folder; move each to processed/ or failed/.",
    )] = False,
    report_format: Annotated[ReportFormat, typer.Option(
        "--format-report", help="How to print the import report.",
    )] = ReportFormat.text,
    allow_mass_void: Annotated[bool, typer.Option(
        "--allow-mass-void", help="Let a full extract void more than import.max_void_share of its events.",
    )] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="With the drop folder: first put back the files of failed/ (and of processed/ "
        "whose rows were rejected) and import them again.",
    )] = False,
) -> None:
    """Import files, print a report (rows read, loaded, rejected with reasons); exit 1 if any row was rejected."""
    if drop_folder or retry_failed:
        _drop_folder(ctx, paths or [], report_format, retry_failed)
        return
    if not paths:
        raise UsageError("import: give one or more files, or --drop-folder")
    if fmt != "auto" and fmt not in FORMATS and fmt not in FAMILIES:
        raise UsageError(f"import: --format {fmt!r} is not a format; use auto, {', '.join([*FAMILIES, *FORMATS])}")
    paths = expand_folders(paths, fmt)
    s = state(ctx)
    big = report_format is ReportFormat.text and any(p.stat().st_size >= PROGRESS_FROM_BYTES for p in paths)
    with _progress(big and output.out.is_terminal, paths) as progress:
        reports = services.import_paths(
            s.store, paths, fmt=fmt, dry_run=dry_run, today=s.as_of, ruleset=s.ruleset, calendar=s.calendar,
            connected_person_place_codes=s.config.import_settings.connected_person_place_codes, progress=progress,
            now=datetime.now(UTC),  # the clock is read at the edge: an import happens now, whatever --as-of
            full_extract=s.config.import_settings.full_extract,
            max_void_share=s.config.import_settings.max_void_share, allow_mass_void=allow_mass_void,
            options=s.config.import_settings.extract_options(),
        )
    if not dry_run:  # a re-run after a killed import finishes the cases that import left stale
        refreshed(s, "import")
    if report_format is ReportFormat.json:
        output.write_json([report_json(r) for r in reports])
    else:
        print_reports(reports)
    if any(r.has_rejects for r in reports):
        raise typer.Exit(1)


def expand_folders(paths: list[Path], fmt: str = "auto") -> list[Path]:
    """Each folder becomes the files in it (an SSD or SSDA903 export is a folder of CSV files, one per table):
    every .csv and .xml file, in name order. Standard Safeguarding Dataset tables ptrack does not read
    (`ssd_address.csv`...) are left out with a note; any other file must be one ptrack can read."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                           and p.suffix.lower() in (".csv", ".xml"))
            used = [p for p in found if not _unused_ssd_table(p, fmt)]
            for skipped in sorted(set(found) - set(used)):
                output.warn(f"note: {skipped}: a Standard Safeguarding Dataset table ptrack does not read; skipped")
            if not used:
                raise UsageError(f"import: folder {str(path)!r} has no .csv or .xml file ptrack can read")
            out.extend(used)
        elif path.is_file():
            out.append(path)
        else:
            raise UsageError(f"import: no such file {str(path)!r}; check the path")
    return out


def _unused_ssd_table(path: Path, fmt: str) -> bool:
    """An `ssd_*` file named after none of the SSD tables ptrack reads (by name, so that a broken table it does
    read still fails loudly)."""
    stem = path.stem.lower()
    if not stem.startswith(FAMILIES["ssd"]) or fmt not in ("auto", "ssd"):
        return False
    return not any(stem.startswith(name) for name in FORMATS if name.startswith(FAMILIES["ssd"]))


@contextmanager
def _progress(show: bool, paths: list[Path]) -> Iterator[Callable[[str, int], None] | None]:
    """A rich progress bar over rows (estimated from the file size) on a terminal; nothing otherwise."""
    if not show:
        yield None
        return
    sizes = {p.name: p.stat().st_size for p in paths}
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                  TextColumn("{task.completed:,} rows"), TimeElapsedColumn(), console=output.out,
                  transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(name: str, rows: int) -> None:
            if name not in tasks:
                total = max(sizes.get(name, 0) // 60, rows)  # ~60 bytes a row
                tasks[name] = bar.add_task(output.printable(name), total=total)
            bar.update(tasks[name], completed=rows)

        yield update


def _drop_folder(ctx: typer.Context, paths: list[Path], report_format: ReportFormat, retry_failed: bool) -> None:
    if len(paths) > 1:
        raise UsageError("import --drop-folder: give at most one folder")
    s = state(ctx)
    report = import_drop_folder(s.store, s.config, s.ruleset, s.calendar, s.as_of, paths[0] if paths else None,
                                now=datetime.now(UTC), retry_failed=retry_failed)
    if report_format is ReportFormat.json:
        output.write_json({"folder": report.folder, "started_at": report.started_at, "retried": report.retried,
                           "files": [vars(f) for f in report.files]})
    else:
        print_drop_folder(report)
    if report.failed or report.count("rejects"):
        raise typer.Exit(1)


DROP_REJECTS_SHOWN = 5  # per file; the rest are in its report and in rejected_rows


def print_drop_folder(report: DropFolderReport) -> None:
    if report.retried:
        output.line(f"put back to import again: {', '.join(report.retried)}")
    output.line(f"drop folder {report.folder}: {len(report.files)} files")
    for f in report.files:
        summary = f.message or (
            f"{f.report.get('rows_read', 0)} rows read, loaded {f.report.get('rows_loaded', 0)}, "
            f"rejected {f.report.get('rows_rejected', 0)}" if f.report else "")
        output.line(f"  {f.file}: {f.status.replace('_', ' ')}{': ' + summary if summary else ''} -> {f.moved_to}")
        rejects = list(f.report.get("rejects", []))
        for reject in rejects[:DROP_REJECTS_SHOWN]:
            output.line(f"    rejected {reject}")
        more = int(f.report.get("rows_rejected", 0)) - min(len(rejects), DROP_REJECTS_SHOWN)
        if more > 0:
            output.line(f"    ... and {more} more rejected rows: see {f.moved_to}{REPORT}")


def print_reports(reports: list[ImportReport]) -> None:
    for report in reports:
        output.line(report.summary())
        for reject in report.rejects:
            output.line(f"  rejected {reject}")
        if len(report.rejects) == MAX_REJECTS_KEPT:
            output.line("  ... and more rejected rows (all stored in rejected_rows)")
        for field_problem in report.warnings:
            output.line(f"  warning {field_problem} (the row is stored without it)")
        if len(report.warnings) == MAX_REJECTS_KEPT:
            output.line("  ... and more warnings (all stored in rejected_rows)")
        for unused in report.unused:
            output.line(f"  warning {unused}")
        if report.events_unused > len(report.unused):
            output.line(f"  ... and {report.events_unused - len(report.unused)} more events not used")
        if report.note:
            output.line(f"  {report.note}")
        if report.unused_note:
            output.line(f"  {report.unused_note}")
        if report.events_same_as:
            output.line(f"  {report.events_same_as} events another source had already supplied: stored once, "
                        f"this file kept as their second provenance")
        if report.full_extract:
            output.line(f"  full extract: voided {report.events_voided} events no longer in it, restored "
                        f"{report.events_restored}" + (f" ({report.void_note})" if report.void_note else ""))
            for event_id, case_id, kind, day in report.voided:
                output.line(f"  voided {event_id} (case {case_id}, {kind} {day.isoformat()})")
        if report.cases_recomputed:
            output.line(f"  recomputed {report.cases_recomputed} cases")
