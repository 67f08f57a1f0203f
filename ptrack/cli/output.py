"""Where the CLI writes: results to stdout, one-line errors to stderr. Only `ptrack/cli/` prints."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ptrack.tracker.filters import Match

out = Console(highlight=False, soft_wrap=False)
if not out.is_terminal and "COLUMNS" not in os.environ:
    out.width = 200  # piped or captured: do not squeeze tables into 80 columns
err = Console(stderr=True, highlight=False, soft_wrap=True)
_prefix = ""  # set by `prefixed`: starts every line printed by `line` and `table`


@contextmanager
def prefixed(prefix: str) -> Iterator[None]:
    """Every line `line` and `table` print meanwhile starts with `prefix` (a dry run says so on each line)."""
    global _prefix
    before, _prefix = _prefix, prefix
    try:
        yield
    finally:
        _prefix = before


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    t = Table(title=title, title_justify="left", header_style="bold")
    for name in columns:
        t.add_column(name)
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    if not _prefix:
        out.print(t)
        return
    with out.capture() as captured:
        out.print(t, width=max(40, out.width - len(_prefix)))
    for text in captured.get().splitlines():
        out.print(Text.from_ansi(_prefix + text), soft_wrap=True)


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


def note(match: Match) -> str:
    """The value of a `ptrack.tracker.filters.Match`, saying on stderr how it matched when not as typed (stderr,
    so that CSV and JSON on stdout stay clean)."""
    if match.note:
        err.print(f"note: {match.note}", markup=False)
    return match.value


def line(text: str = "", style: str | None = None) -> None:
    out.print(_prefix + text, style=style, markup=False, soft_wrap=True if _prefix else None)


def d(day: date | None) -> str:
    """A date as people read it in a table: `Tue 21 Jan 2025`."""
    return day.strftime("%a %d %b %Y") if day else ""
