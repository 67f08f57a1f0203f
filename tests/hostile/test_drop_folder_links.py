"""Issue 10, severe 1 and 2, through the installed CLI: whoever can write the drop folder cannot make ptrack read
a file outside it (a link to /proc/self/environ, /etc/passwd or a CSV elsewhere), print or store a file's content
in an error, or write through a link planted in processed/ or failed/."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.hostile.fs_harness import (
    FAKE_SECRET,
    Ptrack,
    drop_folder_site,
    everything_written,
    write_cases,
    write_events,
)


@pytest.fixture()
def site(tmp_path: Path) -> Ptrack:
    return drop_folder_site(tmp_path)


def stored_cases(where: Path) -> list[str]:
    with sqlite3.connect(where / "ptrack.db") as conn:
        return [r[0] for r in conn.execute("select case_id from cases order by case_id")]


def test_links_out_of_the_drop_folder_are_neither_followed_nor_quoted(site: Ptrack) -> None:
    drop = site.cwd / "drop"
    outside = write_cases(site.cwd / "elsewhere.csv", ["OUT1", "OUT2"])
    os.symlink("/proc/self/environ", drop / "env.csv")
    os.symlink("/etc/passwd", drop / "passwd.csv")
    os.symlink(outside, drop / "cases.csv")
    write_cases(drop / "real.csv", ["IN1"])
    r = site("import", "--drop-folder", "drop", ok=False)
    assert r.returncode == 1
    passwd_first = Path("/etc/passwd").read_text().splitlines()[0]
    written = everything_written(site.cwd)
    for text in (r.stdout, r.stderr, written):
        assert FAKE_SECRET not in text
        assert passwd_first not in text
    assert stored_cases(site.cwd) == ["IN1"], "only the regular file inside the folder is imported"
    for name in ("env.csv", "passwd.csv", "cases.csv"):
        moved = drop / "failed" / name
        assert moved.is_symlink(), "the link itself moved to failed/, its target untouched"
        report = json.loads((drop / "failed" / f"{name}.report.json").read_text())
        assert report["status"] == "failed" and "symbolic link" in report["message"]
        assert f"{name}: failed: {name}: a symbolic link" in r.stdout
    assert outside.read_text().startswith("case_id,"), "the link's target is untouched"
    assert (drop / "processed" / "real.csv").is_file()


def test_an_unknown_format_is_described_by_its_columns_not_quoted(site: Ptrack) -> None:
    drop = site.cwd / "drop"
    (drop / "dump.csv").write_text(f"PASSWORD={FAKE_SECRET},b,c\n1,2,3\n")
    r = site("import", "--drop-folder", "drop", ok=False)
    report = (drop / "failed" / "dump.csv.report.json").read_text()
    for text in (r.stdout, r.stderr, report):
        assert FAKE_SECRET not in text
    said = " ".join(r.stdout.split())
    assert "drop/dump.csv: unknown file format: its first row has 3 column(s)" in said
    assert "cases: case_id, dob" in said, "the error names the columns a file needs"


def test_a_report_link_planted_in_processed_does_not_overwrite_its_target(site: Ptrack) -> None:
    drop = site.cwd / "drop"
    (drop / "processed").mkdir()
    victim = site.cwd / "ptrack.db"
    before = victim.read_bytes()
    os.symlink(victim, drop / "processed" / "nightly.csv.report.json")
    write_cases(drop / "nightly.csv", ["N1"])
    r = site("import", "--drop-folder", "drop")
    assert "nightly.csv: imported" in r.stdout
    assert victim.read_bytes()[:16] == before[:16] == b"SQLite format 3\x00", "the database is still a database"
    assert stored_cases(site.cwd) == ["N1"]
    assert (drop / "processed" / "nightly.csv.report.json").is_symlink(), "the planted link is left as it was"
    moved = [p for p in (drop / "processed").iterdir() if p.name.endswith(".csv") and p.name != "nightly.csv"]
    assert not moved or moved[0].is_file()
    reports = [p for p in (drop / "processed").iterdir() if p.name.endswith(".report.json") and not p.is_symlink()]
    assert len(reports) == 1 and json.loads(reports[0].read_text())["status"] == "imported"


@pytest.mark.parametrize("sub", ["processed", "failed"])
def test_a_processed_or_failed_folder_that_is_a_link_refuses_the_run(site: Ptrack, sub: str) -> None:
    drop = site.cwd / "drop"
    target = site.cwd / "target"
    target.mkdir()
    os.symlink(target, drop / sub)
    write_cases(drop / "nightly.csv", ["N1"])
    r = site("import", "--drop-folder", "drop", ok=False)
    assert r.returncode == 1
    assert f"{sub}: is a symbolic link or not a folder" in r.stderr
    assert list(target.iterdir()) == [], "nothing was written through the link"
    assert (drop / "nightly.csv").is_file(), "the file waits for a fixed folder"
    assert stored_cases(site.cwd) == []


def test_a_hard_link_to_a_file_elsewhere_is_not_imported(site: Ptrack) -> None:
    drop = site.cwd / "drop"
    outside = write_cases(site.cwd / "elsewhere.csv", ["OUT1"])
    os.link(outside, drop / "cases.csv")
    r = site("import", "--drop-folder", "drop", ok=False)
    assert "other hard links" in r.stdout
    assert stored_cases(site.cwd) == []


def test_a_fifo_is_refused_without_blocking(site: Ptrack) -> None:
    drop = site.cwd / "drop"
    os.mkfifo(drop / "pipe.csv")
    write_events(drop / "events.csv", [])
    r = site("import", "--drop-folder", "drop", ok=False)
    assert "pipe.csv: failed: pipe.csv: not a regular file" in r.stdout
