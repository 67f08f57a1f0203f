"""Input size limits: what one file, line, row or XML cell may hold, so that memory stays bounded whatever a file
holds (docs/importing.md, "Limits"). Past a limit a row is a located reject, a file a clear `ImportFileError`;
nothing is read into memory whole.

CSV rows are read through `CsvLines`, which hands `csv` one physical line at a time and can give lines back: a
quoted cell still open after `MAX_ROW_LINES` lines (a stray quote) is rejected at the line that opened it and the
lines after it are read again as rows of their own, so one stray quote costs one row, not the rest of the file."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ptrack.tracker.errors import ImportFileError
from ptrack.tracker.importing.report import Reject

MAX_LINE = 64 * 1024  # characters of one physical line (the longest row of any format is a few thousand)
MAX_ROW_LINES = 100  # physical lines one row may span (a quoted note with line breaks)
MAX_COLUMNS = 512  # cells of a header; a row with more cells than its header is rejected
MAX_XML_CELL = 4096  # characters of one XML element's text
MIB = 1 << 20
# The largest file of each family: generous for the biggest council's nightly extract, small enough that a
# mistaken or hostile file is refused before it is read.
MAX_FILE_BYTES = {"ssda903": 512 * MIB, "ssd": 4096 * MIB, "csv": 4096 * MIB}

csv.field_size_limit(MAX_LINE * MAX_ROW_LINES)


def family(fmt_name: str) -> str:
    return "ssda903" if fmt_name.startswith("ssda903") else "ssd" if fmt_name.startswith("ssd_") else "csv"


def check_file_size(path: Path, fmt_name: str) -> None:
    """Refuse a file larger than its family's limit, before any of it is read."""
    most = MAX_FILE_BYTES[family(fmt_name)]
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    if size > most:
        raise ImportFileError(f"{path}: {size / MIB:,.0f} MiB is larger than the {most // MIB:,} MiB a {fmt_name} "
                              "file may be; nothing was imported from it (split the file)")


class _Cut(Exception):
    """The row being read cannot be finished: `reason`; its lines after the first are to be read again."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class CsvLines:
    """The physical lines of a text file opened with `newline=""`, one at a time, each at most `MAX_LINE`
    characters (a longer one is skipped to its end, never held whole)."""

    def __init__(self, f: TextIO) -> None:
        self.f = f
        self.num = 0  # physical lines handed out so far
        self.back: list[tuple[str, bool]] = []  # lines given back, the next one last: (text, too long)
        self.taken: list[tuple[str, bool]] = []  # the lines of the row being read
        self.limit = MAX_ROW_LINES
        self.ended = False  # the file ended while a row was being read

    def __iter__(self) -> CsvLines:
        return self

    def __next__(self) -> str:
        if self.num >= self.limit:
            raise _Cut(f"unclosed quote: a quoted cell opened on this line is still open {MAX_ROW_LINES} lines on; "
                       "the row is rejected and the lines after it are read as rows")
        item = self.back.pop() if self.back else self._read()
        self.num += 1
        self.taken.append(item)
        if item[1]:
            raise _Cut(f"line {self.num} is longer than {MAX_LINE:,} characters")
        return item[0]

    def _read(self) -> tuple[str, bool]:
        line = self.f.readline(MAX_LINE + 1)
        if not line:
            self.ended = True
            raise StopIteration
        if len(line) <= MAX_LINE:
            return line, False
        while line and not line.endswith(("\n", "\r")):  # skip the rest of the long line, a block at a time
            line = self.f.readline(MAX_LINE)
        return "", True

    def start_row(self) -> int:
        """Begin a row; its first line's number."""
        self.taken = []
        self.limit = self.num + MAX_ROW_LINES
        self.ended = False
        return self.num + 1

    def give_back(self, start: int) -> None:
        """Read again the lines of the current row after its first."""
        self.back.extend(reversed(self.taken[1:]))
        self.num = start
        self.taken = []


def csv_rows(lines: CsvLines, file: str) -> Iterator[tuple[int, list[str]] | Reject]:
    """(line where the row ends, cells) for each CSV row, or a `Reject` at the line a bad row starts."""
    reader = csv.reader(lines)
    while True:
        start = lines.start_row()
        try:
            cells = next(reader)
        except StopIteration:
            if not lines.taken:
                return
            reason = "unclosed quote: the file ends inside a quoted cell opened on this line"
        except _Cut as exc:
            reason = exc.reason
        except csv.Error as exc:
            reason = f"not valid CSV: {exc}"
        else:
            if not lines.ended:
                yield lines.num, cells
                continue
            if len(lines.taken) == 1:  # the last line, without a line break, holds an odd quote
                yield Reject(file, start, "row", "unclosed quote: the file ends inside a quoted cell opened on "
                                                 "this line")
                return
            reason = "unclosed quote: the file ends inside a quoted cell opened on this line"
        yield Reject(file, start, "row", reason)
        lines.give_back(start)
        reader = csv.reader(lines)
