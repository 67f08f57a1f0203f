"""`ptrack discrepancies`: reviews whose due date in the case system (SSD extract) differs from ptrack's."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer

from ptrack.cli import output
from ptrack.cli.freshness import refreshed
from ptrack.cli.state import state
from ptrack.tracker.discrepancies import find_discrepancies

COLUMNS = ("case_id", "review_id", "rule_id", "ptrack_due", "case_system_due", "days_apart",
           "ptrack_explanation", "case_system_explanation")


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def discrepancies(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.table,
) -> None:
    """List the cases where the case system's review due date differs from ptrack's, with both explanations."""
    s = state(ctx)
    refreshed(s, "discrepancies")
    found = find_discrepancies(s.store, s.calendar)
    rows = [tuple(asdict(d)[c] for c in COLUMNS) for d in found]
    if fmt is Format.json:
        output.write_json([asdict(d) for d in found])
    elif fmt is Format.csv:
        output.write_csv(COLUMNS, rows)
    elif not found:
        output.line("no discrepancies: every case-system review due date matches ptrack's")
    else:
        output.table(f"{len(found)} review due dates differ", COLUMNS, rows)
