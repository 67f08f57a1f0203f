"""Prepared databases for the CLI tests: built once per worker in-process, copied for each test, so that a test
runs only the `ptrack` commands it is about as subprocesses (each costs a Python start-up)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from test_cli_commands import write_examples

from ptrack.tracker import services
from ptrack.tracker.config import Config

EXAMPLES_AS_OF = date(2026, 11, 25)  # a Wednesday
PEOPLE = [("sw@example.org", "Sam Worker", "worker", "Team A"), ("tm@example.org", "Tia Manager", "manager", "Team A"),
          ("iro@example.org", "Ivy Reviewer", "iro", ""), ("cover@example.org", "Cy Cover", "worker", "Team A"),
          ("admin@example.org", "Ada Admin", "admin", "")]


def write_people(where: Path) -> Path:
    path = where / "people.csv"
    with path.open("w") as f:
        f.write("email,name,role,team,slack_user_id,channel\n")
        f.writelines(f"{e},{n},{r},{t},,\n" for e, n, r, t in PEOPLE)
    return path


@pytest.fixture(scope="session")
def examples_db(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The SPEC §3 example cases (overdue reviews for sw@example.org on 2026-11-25) and their people, imported
    as of 2026-11-25 with the built-in default config (the rule set and calendar `ptrack` uses without one)."""
    folder = tmp_path_factory.mktemp("examples")
    write_examples(folder)
    write_people(folder)
    db = folder / "ptrack.db"
    shutil.copyfile(sqlite_template, db)
    store = services.open_store(f"sqlite:///{db}")
    try:
        config = Config()
        reports = services.import_paths(
            store, [folder / "cases.csv", folder / "people.csv", folder / "events.csv"], today=EXAMPLES_AS_OF,
            ruleset=config.ruleset(), calendar=config.calendar(), now=datetime.now(UTC),  # imported just now
        )
        assert not any(r.has_rejects for r in reports)
    finally:
        store.close()
    return db


def copy_examples(examples_db: Path, where: Path) -> None:
    """The prepared database and the CSV files it came from, in `where` (the default ./ptrack.db)."""
    for name in ("ptrack.db", "cases.csv", "people.csv", "events.csv"):
        shutil.copyfile(examples_db.parent / name, where / name)
