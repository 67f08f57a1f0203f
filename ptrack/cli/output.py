"""Where the CLI writes: results to stdout, one-line errors to stderr. Only `ptrack/cli/` prints.

Everything printed goes through `safe` (tables, lines, notes, errors): case ids, initials, team names, file
names and a peer's error text are data, never Rich markup (`[/x]`, `[link=file:///etc/passwd]`) or emoji codes
(`episodes.csv:100:`), and a control character (an escape sequence in a file name) or a bidirectional override
shows as its escape (`\\x1b`, `\\u202e`) instead of reaching the terminal. CSV output neutralises formula cells
(`csv_cell`), so a case id like `=HYPERLINK(...)` is text in a spreadsheet, never a formula."""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ptrack.tracker.filters import Match


def consoles() -> tuple[Console, Console]:
    """The consoles for stdout and stderr, as the environment and streams of this process make them."""
    # markup and emoji off as a second line of defence: every printing function below passes `Text` from `safe`.
    stdout = Console(highlight=False, soft_wrap=False, markup=False, emoji=False)
    if not stdout.is_terminal and "COLUMNS" not in os.environ:
        stdout.width = 200  # piped or captured: do not squeeze tables into 80 columns
    stderr = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
    return stdout, stderr


out, err = consoles()
# C0 and C1 control characters and the Unicode bidirectional controls (which reorder what a terminal shows).
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = re.compile(rf"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_UNPRINTABLE_BUT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# OWASP CSV injection: a cell starting with one of these is a formula (or starts one) in Excel, LibreOffice and
# Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` with every control character (and, unless `newlines`, the line break too) and every bidirectional
    control written as its escape: `\\x1b[31m`, `\\n`, `\\u202e`."""
    pattern = _UNPRINTABLE_BUT_NEWLINE if newlines else _UNPRINTABLE
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def safe(value: object, *, newlines: bool = False, style: str = "") -> Text:
    """`value` as text Rich prints exactly as it is: no markup, no emoji, no control characters (`printable`).
    The one way data reaches the terminal."""
    return Text(printable("" if value is None else str(value), newlines=newlines), style=style)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    t = Table(title=None if title is None else safe(title), title_justify="left", header_style="bold")
    for name in columns:
        t.add_column(safe(name))
    for row in rows:
        t.add_row(*(safe(v) for v in row))
    if not _prefix:
        out.print(t)
        return
    with out.capture() as captured:
        out.print(t, width=max(40, out.width - len(_prefix)))
    for text in captured.get().splitlines():
        out.print(Text.from_ansi(_prefix + text), soft_wrap=True)


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Plain CSV on stdout (no rich formatting), `None` as an empty field, formula cells neutralised (`csv_cell`)."""
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([csv_cell(v) for v in row])


def csv_cell(value: object) -> str:
    """One CSV field. Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's
    advice against CSV injection), so a spreadsheet shows it as text and never runs it. Numbers ptrack computes
    (days overdue, days apart) are written as numbers, a negative one too: `-3` is minus three in any spreadsheet,
    and nothing else can follow it in a number. ISO dates never start with one of these characters."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


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
        warn(f"note: {match.note}")
    return match.value


def line(text: str = "", style: str | None = None) -> None:
    """One or more lines of results on stdout; `text` may hold data (`safe`), its line breaks are kept."""
    out.print(safe(_prefix + text, newlines=True, style=style or ""), soft_wrap=True if _prefix else None)


def warn(text: str) -> None:
    """A note or an error on stderr, through `safe` like everything else printed."""
    err.print(safe(text, newlines=True))


def d(day: date | None) -> str:
    """A date as people read it in a table: `Tue 21 Jan 2025`."""
    return day.strftime("%a %d %b %Y") if day else ""
