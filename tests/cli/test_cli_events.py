"""`ptrack events void EVENT_ID --reason TEXT` through the installed CLI: voided, recomputed, audited."""

from __future__ import annotations

import csv
import sqlite3
from datetime import date
from pathlib import Path

from test_cli_commands import Ptrack

TODAY = date(2025, 4, 30)
EVENTS = [
    ("V1-1", "V1", "looked_after_start", "2025-03-03"), ("V1-2", "V1", "placement_start", "2025-03-03"),
    ("V1-4", "V1", "visit", "2025-03-07"), ("V1-5", "V1", "visit", "2025-04-11"),
]


def write(path: Path, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def cases_file(where: Path) -> None:
    write(where / "cases.csv", ("case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email"),
          [("V1", "AB", "2015-01-01", "Team A", "sw@example.org", "tm@example.org", "")])


def events_file(where: Path, rows: list[tuple[str, ...]]) -> None:
    write(where / "events.csv", ("event_id", "case_id", "event", "date"), rows)


def test_events_void_by_hand_through_the_cli(tmp_path: Path) -> None:
    p = Ptrack(tmp_path)
    cases_file(tmp_path)
    events_file(tmp_path, EVENTS)
    p("init")
    p("--as-of", TODAY.isoformat(), "import", "cases.csv", "events.csv")
    out = p("--as-of", TODAY.isoformat(), "events", "void", "V1-4", "--reason", "recorded on the wrong child").stdout
    assert "voided event V1-4" in out and "recorded on the wrong child" in out
    listed = p("--as-of", TODAY.isoformat(), "deadlines", "--case", "V1", "--status", "all", "--format", "csv").stdout
    assert "visit_first_week,2025-03-10,2025-03-10,met_late,2025-04-11" in listed
    again = p("--as-of", TODAY.isoformat(), "events", "void", "V1-4", "--reason", "again").stdout
    assert "already voided" in again
    missing = p("events", "void", "NOPE", "--reason", "x", ok=False)
    assert missing.returncode != 0 and "NOPE" in missing.stderr
    with sqlite3.connect(tmp_path / "ptrack.db") as db:
        [(action, actor, reason)] = db.execute("SELECT action, actor, reason FROM event_voids").fetchall()
    assert action == "voided" and actor and reason == "recorded on the wrong child"
