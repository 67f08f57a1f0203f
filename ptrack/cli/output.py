"""Where the CLI writes: results to stdout, one-line errors to stderr. Only `ptrack/cli/` prints."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table

out = Console(highlight=False, soft_wrap=False)
if not out.is_terminal and "COLUMNS" not in os.environ:
    out.width = 200  # piped or captured: do not squeeze tables into 80 columns
err = Console(stderr=True, highlight=False, soft_wrap=True)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    t = Table(title=title, title_justify="left", header_style="bold")
    for name in columns:
        t.add_column(name)
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    out.print(t)


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Plain CSV on stdout (no rich formatting), `None` as an empty field."""
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow(["" if v is None else str(v) for v in row])


def write_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=_json_default)
    sys.stdout.write("\n")


def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def line(text: str = "", style: str | None = None) -> None:
    out.print(text, style=style, markup=False)


def d(day: date | None) -> str:
    """A date as people read it in a table: `Tue 21 Jan 2025`."""
    return day.strftime("%a %d %b %Y") if day else ""
