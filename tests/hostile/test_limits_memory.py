"""Issue 10, item 11: input size limits bound memory. A 9.9 MB SSDA903 XML whose 290-byte entity is referenced
3.3 million times (2.2 GB before the fix) is refused at once; a 200 MB line of short cells (5.2 GB before) is one
located reject; a header of too many columns and a file over its format's size are clear one-line errors. Peak
memory of the `ptrack` process is measured (ru_maxrss) and must stay under 500 MB."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.hostile.parse_harness import (
    CASES_HEADER,
    EPISODES_903,
    batch_statuses,
    import_files,
    stored_case_ids,
    write_903_xml,
    xml_child,
)

PEAK_MB = 500


def test_an_xml_entity_bomb_is_refused_quickly_in_little_memory(tmp_path: Path, migrated_url: str) -> None:
    path = tmp_path / "return.xml"
    with path.open("w", encoding="utf-8") as f:
        f.write(f'<?xml version="1.0"?>\n<!DOCTYPE EXPSSDA903 [<!ENTITY e "{"A" * 290}">]>\n<EXPSSDA903>\n')
        f.write(xml_child("C1", "01/06/2015").replace("N1", "&e;" * 1000))
        f.writelines("<CHILD><HEADER><CHILD>C2</CHILD><DOB>" + "&e;" * 100_000 + "</DOB></HEADER></CHILD>\n"
                     for _ in range(33))
        f.write("</EXPSSDA903>\n")
    assert path.stat().st_size > 9_800_000
    started = time.monotonic()
    run = import_files(tmp_path, migrated_url, path, measure=True)
    elapsed = time.monotonic() - started
    line = run.one_line_error()
    assert line == (f"error: {path}: refused: it has a DTD with an internal subset (<!DOCTYPE ... [ ]>), where "
                    "entities that expand without bound are declared; an SSDA903 return has none; nothing was "
                    "imported from it")
    assert run.peak_mb < 200, run.peak_mb
    assert elapsed < 60, elapsed
    assert stored_case_ids(migrated_url) == set()
    assert "running" not in batch_statuses(migrated_url)


def test_a_200_mb_line_is_one_located_reject(tmp_path: Path, sqlite_template: Path) -> None:
    """SQLite only: the line never reaches a database."""
    path = tmp_path / "cases.csv"
    with path.open("w", encoding="ascii") as f:
        f.write(CASES_HEADER)
        f.write("C0,AB,01/06/2015,Team A,sw@example.org,,\n")
        block = "a," * (1 << 19)
        for _ in range(200):
            f.write(block)
        f.write("a\nC2,AB,01/06/2015,Team A,sw@example.org,,\n")
    shutil.copyfile(sqlite_template, tmp_path / "ptrack.db")
    db = f"sqlite:///{tmp_path / 'ptrack.db'}"
    try:
        run = import_files(tmp_path, db, path, measure=True)
    finally:
        path.unlink()
    assert run.code == 1, run.err
    (report,) = run.reports
    assert report["rejects"] == ["cases.csv:3: row: line 3 is longer than 65,536 characters"]
    assert report["rows_loaded"] == 2
    assert run.peak_mb < PEAK_MB, run.peak_mb


def test_a_header_of_too_many_columns_is_refused(tmp_path: Path, migrated_url: str) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(CASES_HEADER.strip() + "".join(f",x{i}" for i in range(2000)) + "\nC0,AB,,,,,\n")
    line = import_files(tmp_path, migrated_url, path).one_line_error()
    assert line == (f"error: {path}: the header has 2,007 columns, more than the 512 a file may have; nothing was "
                    "imported from it")


@pytest.mark.parametrize(("name", "header", "size_mib", "fmt", "most"), [
    ("cases.csv", CASES_HEADER, 4097, "cases", 4096),
    ("episodes.csv", EPISODES_903, 513, "ssda903_episodes", 512),
])
def test_a_file_over_its_formats_size_is_refused_before_it_is_read(
    tmp_path: Path, migrated_url: str, name: str, header: str, size_mib: int, fmt: str, most: int
) -> None:
    path = tmp_path / name
    with path.open("w") as f:
        f.write(header)
        f.truncate(size_mib << 20)  # sparse: no disk used
    try:
        run = import_files(tmp_path, migrated_url, path, measure=True)
    finally:
        path.unlink()
    assert run.one_line_error() == (f"error: {path}: {size_mib:,} MiB is larger than the {most:,} MiB a {fmt} file "
                                    "may be; nothing was imported from it (split the file)")
    assert run.peak_mb < PEAK_MB


def test_a_huge_xml_cell_is_a_located_reject(tmp_path: Path, migrated_url: str) -> None:
    path = write_903_xml(tmp_path / "return.xml", [("C0", "01/06/2015"), ("C1", "1" * 50_000_000),
                                                   ("C2", "01/06/2015")])
    run = import_files(tmp_path, migrated_url, path, measure=True)
    assert run.code == 1, run.err
    (report,) = run.reports
    assert report["rejects"][0].startswith("return.xml:4: DOB: '1111"), report["rejects"]
    assert stored_case_ids(migrated_url) == {"C0", "C2"}
    assert run.peak_mb < PEAK_MB
