"""`ptrack digest` and `ptrack dispute` as a user runs them: the installed script on the demo's SQLite file."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from tests.cli.test_cli_commands import Ptrack


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database as of 2026-11-25, made once by `ptrack demo` (each test gets a copy)."""
    where = tmp_path_factory.mktemp("demo")
    Ptrack(where)("--as-of", "2026-11-25", "demo", "--dir", "d", "--children", "40")
    return where / "d"


@pytest.fixture
def demo(tmp_path: Path, demo_db: Path) -> tuple[Ptrack, str]:
    (tmp_path / "d").mkdir()
    for name in ("ptrack.db", "ptrack.db-wal", "ptrack.db-shm"):
        if (demo_db / name).exists():
            shutil.copyfile(demo_db / name, tmp_path / "d" / name)
    return Ptrack(tmp_path), f"sqlite:///{tmp_path / 'd' / 'ptrack.db'}"


def test_digest_formats_agree(demo: tuple[Ptrack, str]) -> None:
    ptrack, db = demo
    as_json = json.loads(ptrack("--db", db, "--as-of", "2026-11-25", "digest", "--format", "json").stdout)
    rows = list(csv.DictReader(io.StringIO(ptrack("--db", db, "--as-of", "2026-11-25", "digest", "--format",
                                                  "csv").stdout)))
    assert as_json["overdue"] == sum(r["bucket"] == "overdue" for r in rows) > 0
    assert as_json["due_soon"] == sum(r["bucket"] == "due_soon" for r in rows)
    overdue = json.loads(ptrack("--db", db, "--as-of", "2026-11-25", "deadlines", "--status", "overdue", "--format",
                                "json").stdout)
    assert len(overdue) == as_json["overdue"]
    page = ptrack("--db", db, "--as-of", "2026-11-25", "digest", "--team", "Team A", "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and "Team B" not in page


def test_digest_send_goes_through_the_outbox_once_a_week(demo: tuple[Ptrack, str]) -> None:
    ptrack, db = demo
    ptrack.clock = "2026-11-23T08:00:00+00:00"  # sending is real-time: the clock makes it Monday morning
    first = ptrack("--db", db, "--as-of", "2026-11-23", "digest", "--send").stdout
    ptrack.clock = "2026-11-24T08:00:00+00:00"
    again = ptrack("--db", db, "digest", "--send").stdout
    assert "queued 3" in first and "sent 3" in first
    assert "queued 0, already queued this week 3" in again
    assert len(list((ptrack.cwd / "outbox").glob("*.json"))) == 3


def test_dispute_commands(demo: tuple[Ptrack, str]) -> None:
    ptrack, db = demo
    listed = json.loads(ptrack("--db", db, "--as-of", "2026-11-25", "dispute", "list", "--format", "json").stdout)
    assert [d["rag"] for d in listed] == ["red", "green"]
    moved = ptrack("--db", db, "--as-of", "2026-11-26", "dispute", "advance", "2", "--to-stage", "4").stdout
    assert "bypassed stage(s): 2, 3" in moved
    assert "flagged for Cafcass" in ptrack("--db", db, "--as-of", "2026-11-26", "dispute", "cafcass", "1").stdout
    ptrack("--db", db, "--as-of", "2026-11-27", "dispute", "resolve", "1", "--outcome", "agreed")
    report = ptrack("--db", db, "dispute", "report", "--year", "2026").stdout
    assert "raised with a stage bypassed" in report and "Cafcass referrals flagged" in report
    bad = ptrack("--db", db, "--as-of", "2026-11-27", "dispute", "advance", "1", ok=False)
    assert bad.returncode == 1 and "was resolved" in bad.stderr
    deadlines = ptrack("--db", db, "--as-of", "2026-11-27", "deadlines", "--status", "all", "--format", "csv").stdout
    assert "iro_dispute_total" in deadlines and "iro_dispute_stage" in deadlines
