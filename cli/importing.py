"""`ptrack import`: load cases, people and events files and print what happened to every row."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli import output
from cli.state import UsageError, state
from tracker import services
from tracker.importing import FORMATS, ImportReport


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


def import_files(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="CSV files to import (one or more).")],
    fmt: Annotated[str, typer.Option(
        "--format", metavar="FORMAT",
        help=f"What the files hold: auto (recognise each file by its header) or {', '.join(FORMATS)}.",
    )] = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, write nothing.")] = False,
    report_format: Annotated[ReportFormat, typer.Option(
        "--format-report", help="How to print the import report.",
    )] = ReportFormat.text,
) -> None:
    """Import files, print a report (rows read, loaded, rejected with reasons); exit 1 if any row was rejected."""
    if fmt != "auto" and fmt not in FORMATS:
        raise UsageError(f"import: --format {fmt!r} is not a format; use auto, {', '.join(FORMATS)}")
    for path in paths:
        if not path.is_file():
            raise UsageError(f"import: no such file {str(path)!r}; check the path")
    s = state(ctx)
    reports = services.import_paths(
        s.store, paths, fmt=fmt, dry_run=dry_run, today=s.as_of, ruleset=s.ruleset, calendar=s.calendar,
    )
    if report_format is ReportFormat.json:
        output.write_json([_as_json(r) for r in reports])
    else:
        print_reports(reports)
    if any(r.has_rejects for r in reports):
        raise typer.Exit(1)


def print_reports(reports: list[ImportReport]) -> None:
    for report in reports:
        output.line(report.summary())
        for reject in report.rejects:
            output.line(f"  rejected {reject}")
        if report.rows_rejected > len(report.rejects):
            output.line(f"  ... and {report.rows_rejected - len(report.rejects)} more rejected rows (stored)")
        if report.cases_recomputed:
            output.line(f"  recomputed {report.cases_recomputed} cases")


def _as_json(report: ImportReport) -> dict[str, object]:
    data = asdict(report)
    data.pop("affected_cases", None)
    data["rejects"] = [str(r) for r in report.rejects]
    return data
