"""Issue 8 point 6 through the installed CLI: a file whose rows were rejected (events for a case not yet known)
loads them once the cause is fixed, dropped again or with `--retry-failed`; a file that failed as a whole comes
back with `--retry-failed`; the console names the first rejects with their reasons."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.hostile.fs_harness import Ptrack, drop_folder_site, write_cases, write_events

EVENTS = [("E1", "C1", "looked_after_start", "2024-12-19"), ("E2", "C2", "looked_after_start", "2024-12-20")]


@pytest.fixture()
def site(tmp_path: Path) -> Ptrack:
    return drop_folder_site(tmp_path)


def stored_events(where: Path) -> list[str]:
    with sqlite3.connect(where / "ptrack.db") as conn:
        return [r[0] for r in conn.execute("select event_id from events where voided_at is null order by 1")]


def first_review_due(site: Ptrack, case: str) -> list[str]:
    out = site("deadlines", "--case", case, "--status", "all", "--format", "csv").stdout.splitlines()
    return [row.split(",")[2] for row in out[1:] if ",cla_review_first," in row]


def test_rejected_rows_load_when_the_file_is_dropped_again_after_the_fix(site: Ptrack) -> None:
    drop = site.cwd / "drop"
    write_cases(drop / "cases.csv", ["C1"])
    write_events(drop / "events.csv", EVENTS)
    first = site("import", "--drop-folder", "drop", ok=False)
    said = " ".join(first.stdout.split())
    assert "rejected events.csv:3: case_id:" in said, "the console names the reject: file:line: field: reason"
    assert stored_events(site.cwd) == ["E1"]
    write_cases(drop / "cases2.csv", ["C2"])
    write_events(drop / "events.csv", EVENTS)  # the same file, byte for byte
    again = site("import", "--drop-folder", "drop")
    assert "events.csv: already imported" not in again.stdout
    assert stored_events(site.cwd) == ["E1", "E2"]
    assert first_review_due(site, "C2") == ["2025-01-22"]  # 20 working days after 20 Dec 2024, over Christmas


def test_retry_failed_puts_back_a_file_with_rejects_and_one_that_failed_whole(site: Ptrack) -> None:
    drop = site.cwd / "drop"
    write_cases(drop / "cases.csv", ["C1"])
    write_events(drop / "events.csv", EVENTS)
    site("import", "--drop-folder", "drop", ok=False)
    (drop / "broken.csv").write_text("event_id,case_id\nE9,C1\n")  # a whole-file failure: columns missing
    site("import", "--drop-folder", "drop", ok=False)
    assert (drop / "failed" / "broken.csv").exists()
    write_cases(site.cwd / "more.csv", ["C2"])
    site("import", "more.csv")
    r = site("import", "--retry-failed", "drop", ok=False)  # broken.csv still fails: exit 1
    assert "put back to import again: broken.csv, events.csv" in r.stdout
    assert stored_events(site.cwd) == ["E1", "E2"]
    report = json.loads((drop / "processed" / "events.csv.report.json").read_text())
    assert report["status"] == "imported" and report["report"]["rows_rejected"] == 0
    assert (drop / "failed" / "broken.csv").exists(), "still failing, it goes back to failed/ with a new report"
    assert "broken.csv: failed" in r.stdout
    assert not (drop / "processed" / "cases.csv").with_name("cases.1.csv").exists()
    assert (drop / "processed" / "cases.csv").exists(), "a file imported whole stays where it is"


def test_files_a_killed_run_left_in_the_work_folder_are_imported_by_the_next(site: Ptrack) -> None:
    drop = site.cwd / "drop"
    work = drop / ".ptrack-importing" / "drop"
    work.mkdir(parents=True)
    write_cases(work / "cases.csv", ["K1"])  # claimed by a run that was then killed
    r = site("import", "--drop-folder", "drop")
    assert "cases.csv: imported" in r.stdout
    assert (drop / "processed" / "cases.csv").is_file() and not list(work.iterdir())


def test_a_full_extract_subfolder_keeps_voiding_through_the_work_folder(tmp_path: Path) -> None:
    ptrack = Ptrack(tmp_path)
    ptrack("init")
    (tmp_path / "ptrack.toml").write_text('[import]\ndrop_folder = "nightly"\nfull_extract = ["nightly/"]\n'
                                          'max_void_share = 0.9\n')
    drop = tmp_path / "nightly"
    drop.mkdir()
    write_cases(drop / "cases.csv", ["C1", "C2"])
    write_events(drop / "events.csv", EVENTS)
    ptrack("import", "--drop-folder")
    write_events(drop / "events.csv", EVENTS[:1])  # the case system deleted E2
    r = ptrack("import", "--drop-folder")
    assert "events.csv: imported" in r.stdout
    assert stored_events(tmp_path) == ["E1"], "E2, absent from the full extract, is voided"
