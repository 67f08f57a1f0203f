"""Streaming CSV reading with physical line numbers, and detecting a file's format from its header.

Files are read as `utf-8-sig` (Excel's BOM) with universal newlines handled by `csv` (CRLF is fine). Bytes
that are not UTF-8 are replaced, and the row holding them is rejected by field validation, so one bad byte
never loses the good rows around it."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from ptrack.tracker.errors import ImportFileError
from ptrack.tracker.importing.report import Reject

csv.field_size_limit(1 << 20)


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
            header = next(csv.reader(f), None)
    except (OSError, csv.Error) as exc:
        raise ImportFileError(f"{path}: cannot read the file as CSV: {exc}") from exc
    if not header:
        raise ImportFileError(f"{path}: the file is empty; expected a header row")
    return [h.strip().lower() for h in header]


def read_rows(path: Path) -> Iterator[CsvRow | Reject]:
    """Data rows as dicts keyed by the normalised header. Short rows are padded with empty cells; a row with
    more cells than the header, or one `csv` cannot parse, comes out as a `Reject`. Blank lines are skipped."""
    name = path.name
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            reader = csv.reader(f)
            header = [h.strip().lower() for h in next(reader, [])]
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield Reject(name, reader.line_num, "row", f"not valid CSV: {exc}")
                    continue
                if not "".join(cells).strip():
                    continue
                if len(cells) > len(header):
                    reason = f"has {len(cells)} cells but the header has {len(header)} columns"
                    yield Reject(name, reader.line_num, "row", reason)
                    continue
                if len(cells) < len(header):
                    cells += [""] * (len(header) - len(cells))
                yield CsvRow(reader.line_num, dict(zip(header, cells, strict=True)))
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
