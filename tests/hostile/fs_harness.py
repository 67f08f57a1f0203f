"""Running the installed `ptrack` against hostile file-system states: a subprocess in a scratch directory with a
clean environment (no PTRACK_* leaking in) plus a planted fake secret, SQLite by default."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import inprocess

FAKE_SECRET = "hunter2-FAKE-SECRET-e3b0c442"  # planted in the environment; must never come out anywhere
CASES_HEADER = ["case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email"]
EVENTS_HEADER = ["event_id", "case_id", "event", "date"]


def ptrack_exe() -> str:
    beside = Path(sys.executable).parent / "ptrack"
    found = str(beside) if beside.exists() else shutil.which("ptrack")
    if not found:
        pytest.fail("the ptrack console script is not installed: pip install -e .")
    return found


class Ptrack:
    """`ptrack ARGS` in `cwd`, with `FAKE_SECRET` in its environment (as a database password or token would be)."""

    def __init__(self, cwd: Path, db_url: str | None = None, *, process: bool = False) -> None:
        self.cwd = cwd
        self.process = process  # else in the test process (tests/inprocess.py), as test_cli_commands.Ptrack
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PTRACK_")}
        self.env.update(COLUMNS="200", SLACK_BOT_TOKEN=FAKE_SECRET, PTRACK_FAKE_PASSWORD=FAKE_SECRET)
        if db_url is not None:
            self.env["PTRACK_DATABASE_URL"] = db_url

    def __call__(self, *args: str, ok: bool = True, umask: int | None = None) -> subprocess.CompletedProcess[str]:
        def set_umask() -> None:
            if umask is not None:
                os.umask(umask)

        if self.process:
            r = subprocess.run([ptrack_exe(), *args], cwd=self.cwd, env=self.env, capture_output=True, text=True,
                               timeout=120, preexec_fn=set_umask if umask is not None else None)
        else:
            r = inprocess.run(args, cwd=self.cwd, env=self.env, umask=umask)
        if ok and r.returncode != 0:
            pytest.fail(f"ptrack {' '.join(args)} exited {r.returncode}: {r.stderr}{r.stdout}")
        return r


def drop_folder_site(where: Path) -> Ptrack:
    """An initialised site in `where` (ptrack.toml, SQLite database) with an empty drop folder `drop/`."""
    ptrack = Ptrack(where)
    ptrack("init")
    (where / "drop").mkdir()
    return ptrack


def write_cases(path: Path, cases: list[str]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CASES_HEADER)
        for case in cases:
            w.writerow([case, "AB", "2012-06-01", "Team A", "sw@example.org", "tm@example.org", "iro@example.org"])
    return path


def write_events(path: Path, events: list[tuple[str, str, str, str]]) -> Path:
    """(event_id, case_id, event, date) rows."""
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(EVENTS_HEADER)
        w.writerows(events)
    return path


def everything_written(root: Path) -> str:
    """The text of every regular file under `root` (reports, databases as bytes decoded loosely)."""
    out = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            out.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)
