"""Streaming CSV reading with physical line numbers, and detecting a file's format from its header.

Files are read as `utf-8-sig` (Excel's BOM) with universal newlines handled by `csv` (CRLF is fine). Bytes
that are not UTF-8 are replaced, and the row holding them is rejected by field validation, so one bad byte
never loses the good rows around it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from ptrack.tracker.errors import ImportFileError
from ptrack.tracker.importing.limits import MAX_COLUMNS, CsvLines, csv_rows
from ptrack.tracker.importing.report import Reject


class CsvRow(NamedTuple):  # a tuple: built once per row of files of a million rows
    line: int  # physical line where the row ends; the header is line 1
    values: dict[str, str]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def read_header(path: Path) -> list[str]:
    """The normalised column names (stripped, lower case) of the file's first row."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            first = next(csv_rows(CsvLines(f), path.name), None)
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file as CSV: {exc}") from exc
    if isinstance(first, Reject):
        raise ImportFileError(f"{path}: the header row cannot be read: {first.reason}")
    if first is None or not first[1]:
        raise ImportFileError(f"{path}: the file is empty; expected a header row")
    return _header(path, first[1])


def _header(path: Path, cells: list[str]) -> list[str]:
    if len(cells) > MAX_COLUMNS:
        raise ImportFileError(f"{path}: the header has {len(cells):,} columns, more than the {MAX_COLUMNS} a file "
                              "may have; nothing was imported from it")
    return [h.strip().lower() for h in cells]


def read_rows(path: Path) -> Iterator[CsvRow | Reject]:
    """Data rows as dicts keyed by the normalised header. Short rows are padded with empty cells; a row with
    more cells than the header, or one `csv` cannot parse, comes out as a `Reject`. Blank lines are skipped."""
    header: list[str] = []
    for item in read_cells(path, header):
        if isinstance(item, Reject):
            yield item
        else:
            yield CsvRow(item[0], dict(zip(header, item[1])))  # noqa: B905 (padded to the header's width)


def read_cells(path: Path, header: list[str]) -> Iterator[tuple[int, list[str]] | Reject]:
    """The rows of `read_rows` as (line, cells), the cells as many as the header's columns, which are put in
    `header` (normalised) before the first row comes out. For a reader that looks cells up by position."""
    name = path.name
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            rows = csv_rows(CsvLines(f), name)
            first = next(rows, None)
            if isinstance(first, Reject):
                raise ImportFileError(f"{path}: the header row cannot be read: {first.reason}")
            header[:] = _header(path, first[1]) if first is not None else []
            width = len(header)
            for row in rows:
                if isinstance(row, Reject):
                    yield row
                    continue
                line, cells = row
                if len(cells) == width and cells and cells[0].strip():  # the common row: no padding, not blank
                    yield row
                    continue
                if not "".join(cells).strip():
                    continue
                if len(cells) > width:
                    reason = f"has {len(cells)} cells but the header has {width} columns"
                    yield Reject(name, line, "row", reason)
                    continue
                if len(cells) < width:
                    cells += [""] * (width - len(cells))
                yield line, cells
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
