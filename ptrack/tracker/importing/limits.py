"""Input size limits: what one file, line, row or XML cell may hold, so that memory stays bounded whatever a file
holds (docs/importing.md, "Limits"). Past a limit a row is a located reject, a file a clear `ImportFileError`;
nothing is read into memory whole.

CSV rows are read through `CsvLines`, which hands `csv` one physical line at a time and can give lines back: a
quoted cell still open after `MAX_ROW_LINES` lines (a stray quote) is rejected at the line that opened it and the
lines after it are read again as rows of their own, so one stray quote costs one row, not the rest of the file."""

from __future__ import annotations

import csv
from collections import deque
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
    characters (a longer one is skipped to its end, never held whole).

    `csv` pulls the lines from a generator (`lines`), which does the least it can per line: the reader counts
    them (`line_num`), and the last `MAX_ROW_LINES` lines are kept in a bounded deque, so that a row cut short
    can give its lines back without every line being recorded per row. A line longer than `MAX_LINE` is kept
    as None."""

    def __init__(self, f: TextIO) -> None:
        self.f = f
        self.num = 0  # physical lines handed out, as of the last cut or end of file (else: base + line_num)
        self.back: list[str | None] = []  # lines given back, the next one last
        self.recent: deque[str | None] = deque(maxlen=MAX_ROW_LINES)
        self.limit = MAX_ROW_LINES  # lines handed out at which the row being read is cut
        self.ended = False  # the file ended while a row was being read

    def lines(self, handed: int) -> Iterator[str]:
        """The lines after the first `handed`: those given back, then the file's."""
        back, keep, readline, num = self.back, self.recent.append, self.f.readline, handed
        while True:
            if num >= self.limit:
                self.num = num
                raise _Cut(f"unclosed quote: a quoted cell opened on this line is still open {MAX_ROW_LINES} "
                           "lines on; the row is rejected and the lines after it are read as rows")
            if back:
                line = back.pop()
            else:
                line = readline(_READ)
                if not line:
                    self.num, self.ended = num, True
                    return
                if len(line) > MAX_LINE:
                    while line and not line.endswith(("\n", "\r")):  # skip the rest, a block at a time
                        line = readline(MAX_LINE)
                    line = None
            num += 1
            keep(line)
            if line is None:
                self.num = num
                raise _Cut(f"line {num} is longer than {MAX_LINE:,} characters")
            yield line

    def give_back(self, start: int, handed: int) -> None:
        """Read again the lines of the row that began at line `start` after its first (`handed` lines were
        handed out when it was cut)."""
        after = handed - start  # lines of the row after its first; all of them are among the recent ones
        if after > 0:
            recent = list(self.recent)
            self.back.extend(reversed(recent[len(recent) - after:]))
        self.recent.clear()
        self.ended = False


_READ = MAX_LINE + 1


def csv_rows(lines: CsvLines, file: str) -> Iterator[tuple[int, list[str]] | Reject]:
    """(line where the row ends, cells) for each CSV row, or a `Reject` at the line a bad row starts."""
    base = 0  # lines handed out before the current reader's first
    while True:
        reader = csv.reader(lines.lines(base))
        end = base  # the line the last good row ended on
        lines.limit = end + MAX_ROW_LINES
        try:
            for cells in reader:  # the common path: a row, its last line, the next row's limit
                if lines.ended:  # the file ended inside a quoted cell: `csv` gives what it read as a row
                    break
                end = base + reader.line_num
                lines.limit = end + MAX_ROW_LINES
                yield end, cells
            else:
                if lines.num <= end:  # nothing read after the last row: the end of the file
                    return
            handed = lines.num
            if handed == end + 1 and lines.ended:  # the last line, without a line break, holds an odd quote
                yield Reject(file, end + 1, "row", "unclosed quote: the file ends inside a quoted cell opened on "
                                                   "this line")
                return
            reason = "unclosed quote: the file ends inside a quoted cell opened on this line"
        except _Cut as exc:
            reason, handed = exc.reason, lines.num
        except csv.Error as exc:
            reason, handed = f"not valid CSV: {exc}", base + reader.line_num
        start = end + 1
        yield Reject(file, start, "row", reason)
        lines.give_back(start, handed)
        base = start
