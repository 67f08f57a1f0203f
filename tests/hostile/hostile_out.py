"""Shared by the hostile output, redaction and send-deadline tests: a scratch installation loaded through the
real `ptrack` console script with hostile values in the places users and peers control."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from tests.cli.test_cli_commands import Ptrack

AS_OF = "2026-11-25"  # a Wednesday
CLOCK = "2026-11-25T09:00:00+00:00"  # inside the delivery window, for the commands that send
CASE_COLUMNS = ["case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email"]


def load(ptrack: Ptrack, cases: Sequence[tuple[str, ...]], *, people: bool = True) -> None:
    """`ptrack init` and an import of `cases` (case id, initials, team), each with a first review overdue since
    Tue 21 Jan 2025 (looked after from 19 Dec 2024, no review since), plus the case TRACKED whose review was held,
    so that the review rules are tracked (a feed supplies reviews) and the hostile cases show as overdue. A fourth
    value is the case's worker (default sw@example.org)."""
    ptrack("init")
    with (ptrack.cwd / "cases.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CASE_COLUMNS)
        for case_id, initials, team, *worker in [*cases, ("TRACKED", "TR", "Team A")]:
            w.writerow([case_id, initials, "2012-06-01", team, worker[0] if worker else "sw@example.org",
                        "tm@example.org", "iro@example.org"])
    with (ptrack.cwd / "events.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["event_id", "case_id", "event", "date"])
        for n, (case_id, *_) in enumerate(cases):
            w.writerow([f"E{n}", case_id, "looked_after_start", "2024-12-19"])
        w.writerow(["T1", "TRACKED", "looked_after_start", "2024-12-19"])
        w.writerow(["T2", "TRACKED", "review_held", "2025-01-10"])
    files = ["cases.csv", "events.csv"]
    if people:
        (ptrack.cwd / "people.csv").write_text(
            "email,name,role,team,slack_user_id,channel\n"
            "sw@example.org,Sam Worker,worker,Team A,,\n"
            "tm@example.org,Tia Manager,manager,Team A,,\n"
            "admin@example.org,Ada Admin,admin,,,\n")
        files.insert(1, "people.csv")
    ptrack("--as-of", AS_OF, "import", *files)


def write_config(where: Path, text: str) -> None:
    (where / "ptrack.toml").write_text('local_authority = "Example Council"\n' + text)
