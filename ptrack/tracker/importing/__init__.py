"""Importing case-system files: detect each file's format from its header, validate every row, load the good
rows in bulk and keep the bad ones as located rejects (docs/importing.md).

`FORMATS` is the registry; a new reader (SSDA903, SSD) is one more `FileFormat` added to it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ptrack.tracker.errors import ImportFileError
from ptrack.tracker.importing.canonical import CASES, EVENTS, PEOPLE
from ptrack.tracker.importing.formats import TARGET_ORDER, Context, FileFormat
from ptrack.tracker.importing.limits import check_file_size
from ptrack.tracker.importing.reader import read_header
from ptrack.tracker.importing.report import ImportReport, Reject
from ptrack.tracker.importing.ssd import SSD_FORMATS
from ptrack.tracker.importing.ssd_more import SSD_MORE_FORMATS
from ptrack.tracker.importing.ssda903 import SSDA903_CSV_FORMATS
from ptrack.tracker.importing.ssda903_xml import SSDA903_XML, is_903_xml

_ALL: tuple[FileFormat, ...] = (EVENTS, CASES, PEOPLE, *SSDA903_CSV_FORMATS, SSDA903_XML, *SSD_FORMATS,
                                *SSD_MORE_FORMATS)
FORMATS: dict[str, FileFormat] = {f.name: f for f in _ALL}
# `--format ssda903` / `--format ssd`: any table of that family, recognised by its columns.
FAMILIES = {"ssda903": ("ssda903_",), "ssd": ("ssd_",)}


def detect_format(path: Path, fmt: str = "auto") -> FileFormat:
    """The format named by `fmt`, or for "auto" the first whose required columns the header has. A file whose
    header does not fit raises `ImportFileError` saying which columns are missing."""
    if fmt in ("auto", "ssda903", SSDA903_XML.name) and is_903_xml(path):
        return SSDA903_XML
    header = read_header(path)
    if fmt in FAMILIES:
        return _detect(path, header, [f for n, f in FORMATS.items() if n.startswith(FAMILIES[fmt])])
    if fmt != "auto":
        if fmt not in FORMATS:
            raise ImportFileError(f"{path}: unknown format {fmt!r}; use auto, {', '.join(FORMATS)}")
        missing = FORMATS[fmt].missing_columns(header)
        if missing:
            raise ImportFileError(f"{path}: not a {fmt} file: missing column(s) {', '.join(missing)}")
        return FORMATS[fmt]
    return _detect(path, header, list(FORMATS.values()))


def _detect(path: Path, header: list[str], candidates: list[FileFormat]) -> FileFormat:
    for candidate in candidates:
        if not candidate.missing_columns(header):
            return candidate
    # The header is not quoted: a file that is not what it seems (a link to a secret, a misnamed dump) must not
    # have its first line printed or stored; the columns expected and the number found say enough.
    canonical = "; ".join(f"{f.name}: {', '.join(sorted(getattr(f, 'required', ())))}"
                          for f in candidates if getattr(f, "source", "") == "csv" and hasattr(f, "required"))
    raise ImportFileError(
        f"{path}: unknown file format: its first row has {len(header)} column(s) and fits none of "
        f"{', '.join(f.name for f in candidates)}"
        + (f" (columns needed: {canonical})" if canonical else "") + "; check the file or pass --format"
    )


def plan(paths: Sequence[Path], fmt: str = "auto") -> list[tuple[Path, FileFormat]]:
    """Every file with its format, cases before people before events (a stable sort keeps the given order
    otherwise). All headers and file sizes (`limits.MAX_FILE_BYTES`) are checked before anything is imported."""
    detected = [(p, detect_format(p, fmt)) for p in paths]
    for path, file_format in detected:
        check_file_size(path, file_format.name)
    return sorted(detected, key=lambda pf: TARGET_ORDER[pf[1].target])


__all__ = ["FAMILIES", "FORMATS", "Context", "FileFormat", "ImportReport", "Reject", "detect_format", "plan"]
