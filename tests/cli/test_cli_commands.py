"""The installed `ptrack` as a user runs it: a subprocess in a scratch directory, SQLite, no PTRACK_* leaking in."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import inprocess

CSV_COLUMNS = ["case_id", "rule_id", "due", "last_working_day", "status", "met_on", "anchor_event",
               "anchor_date", "source"]
EXAMPLES = [  # SPEC §3: case, events, (rule, anchor, due, last working day)
    ("X1", [("looked_after_start", "2024-12-19")], ("cla_review_first", "2024-12-19", "2025-01-21", "2025-01-21")),
    ("X2", [("looked_after_start", "2022-05-28")], ("cla_review_first", "2022-05-28", "2022-06-28", "2022-06-28")),
    ("X3", [("looked_after_start", "2024-12-19"), ("review_held", "2025-01-21")],
     ("cla_review_second", "2025-01-21", "2025-04-21", "2025-04-17")),
    ("X4", [("looked_after_start", "2023-11-01"), ("review_held", "2023-11-30")],
     ("cla_review_second", "2023-11-30", "2024-02-29", "2024-02-29")),
    ("X5", [("looked_after_start", "2024-01-05"), ("proceedings_issued", "2024-01-08")],
     ("care_proceedings_26_weeks", "2024-01-08", "2024-07-07", "2024-07-05")),
]


def ptrack_exe() -> str:
    beside = Path(sys.executable).parent / "ptrack"
    found = str(beside) if beside.exists() else shutil.which("ptrack")
    if not found:
        pytest.fail("the ptrack console script is not installed: pip install -e .")
    return found


# The console script's entry point under a travelled clock (STYLE 1: time travel only in daemon and CLI tests):
# sending commands run in real time, so a test that sends on a fixed day moves the clock, not --as-of.
TRAVEL = ("import sys, time_machine; time_machine.travel(sys.argv.pop(1), tick=True).start(); "
          "from ptrack.cli.main import main; sys.argv[0] = 'ptrack'; main()")


class Ptrack:
    """Runs `ptrack` in `cwd` with a clean environment; with `clock` (ISO instant), under that clock. In the test
    process (tests/inprocess.py: same arguments, environment, directory, output and exit code, without a second
    of start-up per command) unless `process`: then the installed console script in a subprocess."""

    def __init__(self, cwd: Path, clock: str | None = None, *, process: bool = False) -> None:
        self.cwd = cwd
        self.clock = clock
        self.process = process
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PTRACK_")}
        self.env["COLUMNS"] = "200"

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        if self.process:
            command = [ptrack_exe()] if self.clock is None else [sys.executable, "-c", TRAVEL, self.clock]
            r = subprocess.run([*command, *args], cwd=self.cwd, env=self.env, capture_output=True, text=True,
                               timeout=120)
        else:
            r = inprocess.run(args, cwd=self.cwd, env=self.env, clock=self.clock)
        if ok and r.returncode != 0:
            pytest.fail(f"ptrack {' '.join(args)} exited {r.returncode}: {r.stderr}{r.stdout}")
        return r


@pytest.fixture()
def ptrack(tmp_path: Path) -> Ptrack:
    return Ptrack(tmp_path)


def write_examples(where: Path) -> None:
    with (where / "cases.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email"])
        for case, _, _ in EXAMPLES:
            w.writerow([case, "AB", "2012-06-01", "Team A", "sw@example.org", "tm@example.org", "iro@example.org"])
    with (where / "events.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["event_id", "case_id", "event", "date"])
        for case, events, _ in EXAMPLES:
            for i, (event, day) in enumerate(events):
                w.writerow([f"{case}-{i}", case, event, day])


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Ptrack:
    """One database with the SPEC §3 examples, shared by the read-only tests of this module."""
    ptrack = Ptrack(tmp_path_factory.mktemp("loaded"))
    write_examples(ptrack.cwd)
    ptrack("init")
    ptrack("--as-of", "2026-11-25", "import", "cases.csv", "events.csv")
    return ptrack


def test_init_creates_the_database_and_a_starter_config(ptrack: Ptrack) -> None:
    r = ptrack("init")
    assert (ptrack.cwd / "ptrack.db").exists()
    assert (ptrack.cwd / "ptrack.toml").read_text().startswith("# ptrack config")
    assert "wrote a starter" in r.stdout
    (ptrack.cwd / "ptrack.toml").write_text('rule_packs = ["england"]\n')
    assert "kept as it is" in ptrack("init").stdout
    assert (ptrack.cwd / "ptrack.toml").read_text() == 'rule_packs = ["england"]\n'


def test_spec_examples_come_out_of_deadlines_csv(loaded: Ptrack) -> None:
    r = loaded("--as-of", "2026-11-25", "deadlines", "--status", "all", "--format", "csv")
    assert r.stdout.splitlines()[0].split(",") == CSV_COLUMNS
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    for case, _, (rule, anchor, due, last_working_day) in EXAMPLES:
        hit = [x for x in rows if (x["case_id"], x["rule_id"], x["anchor_date"]) == (case, rule, anchor)]
        assert hit, f"{case} {rule}: no row"
        assert (hit[0]["due"], hit[0]["last_working_day"]) == (due, last_working_day)


def test_deadlines_filters_and_formats(loaded: Ptrack) -> None:
    everything = json.loads(loaded("--as-of", "2026-11-25", "deadlines", "--status", "all",
                                   "--format", "json").stdout)
    assert {row["case_id"] for row in everything} == {case for case, _, _ in EXAMPLES}
    one = json.loads(loaded("--as-of", "2026-11-25", "deadlines", "--case", "X3", "--status", "all",
                            "--format", "json").stdout)
    assert one and {row["case_id"] for row in one} == {"X3"}
    met = json.loads(loaded("--as-of", "2026-11-25", "deadlines", "--status", "met,met_late",
                            "--format", "json").stdout)
    assert {row["status"] for row in met} <= {"met", "met_late"}
    open_rows = json.loads(loaded("--as-of", "2026-11-25", "deadlines", "--format", "json").stdout)
    assert {row["status"] for row in open_rows} <= {"upcoming", "due_soon", "overdue"}
    assert "X1" in loaded("--as-of", "2026-11-25", "deadlines", "--team", "Team A").stdout
    assert loaded("--as-of", "2026-11-25", "deadlines", "--worker", "SW@example.org",
                  "--format", "json").stdout.strip() != "[]"


def test_explain_names_the_anchor_skipped_days_and_source(loaded: Ptrack) -> None:
    r = loaded("--as-of", "2026-11-25", "explain", "X1", "cla_review_first")
    assert "cla_review_first" in r.stdout and "reg 33(1)" in r.stdout
    assert "Christmas Day" in r.stdout and "Boxing Day" in r.stdout


def test_import_reports_rejects_and_exits_1(ptrack: Ptrack) -> None:
    ptrack("init")
    (ptrack.cwd / "cases.csv").write_text(
        "case_id,initials,dob,team,worker_email,manager_email,iro_email\n"
        "A1,AB,2015-01-01,Team A,sw@example.org,tm@example.org,iro@example.org\n"
        "A2,AB,not-a-date,Team A,sw@example.org,tm@example.org,iro@example.org\n"
    )
    r = ptrack("--as-of", "2026-11-25", "import", "cases.csv", ok=False)
    assert r.returncode == 1
    assert "cases.csv:3: dob" in r.stdout
    report = json.loads(ptrack("--as-of", "2026-11-25", "import", "--dry-run", "--format-report", "json",
                               "cases.csv", ok=False).stdout)
    assert report[0]["rows_rejected"] == 1 and report[0]["dry_run"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-13-01", "deadlines"], "--as-of '2026-13-01' is not a date"),
        (["import", "missing.csv"], "no such file 'missing.csv'"),
        (["explain", "NOPE"], "case 'NOPE' is not in the database"),
        (["explain", "X1", "no_such_rule"], "rule 'no_such_rule' is not in the active rule set"),
        (["deadlines", "--status", "late"], "--status 'late' is not a status"),
        (["calendar", "holidays", "2050"], "outside the working-day calendar"),
        (["rules", "show", "nope"], "rule 'nope' is not in the active rule set"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(loaded: Ptrack, args: list[str], message: str) -> None:
    r = loaded(*args, ok=False)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_verbose_adds_the_traceback(loaded: Ptrack) -> None:
    r = loaded("--verbose", "explain", "NOPE", ok=False)
    assert r.returncode == 1
    assert "Traceback (most recent call last)" in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("error: case 'NOPE'")


def test_uninitialised_database_says_run_init(ptrack: Ptrack) -> None:
    r = ptrack("deadlines", ok=False)
    assert r.returncode == 1 and "ptrack init" in r.stderr


def test_bad_config_fails_naming_the_key(ptrack: Ptrack) -> None:
    (ptrack.cwd / "ptrack.toml").write_text('[calendar]\nclosure_days = ["2026-12-01", "2026-13-01"]\n')
    r = ptrack("calendar", "holidays", "2026", ok=False)
    assert r.returncode == 1
    assert "config ptrack.toml: calendar.closure_days[1]: '2026-13-01' is not a date" in r.stderr


def test_recompute_all(loaded: Ptrack) -> None:
    r = loaded("--as-of", "2026-11-25", "recompute", "--all")
    assert "recomputed 5 cases" in r.stdout
    # the import computed every case from these same events, rules and calendar: nothing to compute again
    assert "5 of the cases had the same events, rules and calendar" in r.stdout
    assert "recomputed 1 cases" in loaded("--as-of", "2026-11-25", "recompute", "--case", "X1").stdout


def test_recompute_by_default_only_what_a_config_change_left_stale(ptrack: Ptrack) -> None:
    write_examples(ptrack.cwd)
    ptrack("init")
    ptrack("--as-of", "2026-11-25", "import", "cases.csv", "events.csv")
    assert "recomputed 0 cases" in ptrack("--as-of", "2026-11-25", "recompute").stdout
    (ptrack.cwd / "ptrack.toml").write_text('rule_packs = ["england", "tameside"]\n')
    assert "recomputed 5 cases" in ptrack("--as-of", "2026-11-25", "recompute").stdout
    assert "recomputed 0 cases" in ptrack("--as-of", "2026-11-25", "recompute").stdout
    (ptrack.cwd / "ptrack.toml").write_text(
        'rule_packs = ["england", "tameside"]\n[calendar]\nclosure_days = ["2026-12-29"]\n')
    assert "recomputed 5 cases" in ptrack("--as-of", "2026-11-25", "recompute").stdout


def test_calendar_add_names_the_days(ptrack: Ptrack) -> None:
    out = ptrack("calendar", "add", "2025-01-21", "3", "MO").stdout
    assert "due: Mon 21 Apr 2025" in out and "last working day: Thu 17 Apr 2025" in out
    assert "Good Friday" in out and "Easter Monday" in out
    out = ptrack("calendar", "add", "2024-12-19", "20", "WD").stdout
    assert "due: Tue 21 Jan 2025" in out
    assert "Christmas Day" in out and "Boxing Day" in out and "New Year's Day" in out


def test_calendar_holidays(ptrack: Ptrack) -> None:
    out = ptrack("calendar", "holidays", "2025").stdout
    for name in ("Good Friday", "Easter Monday", "Late Summer Bank Holiday", "Christmas Day", "2025-04-18"):
        assert name in out
    assert "2022-09-19" in ptrack("calendar", "holidays", "2022").stdout  # the State Funeral


def test_rules_list_and_show(ptrack: Ptrack) -> None:
    listing = ptrack("rules", "list").stdout
    assert "cla_review_first" in listing and "reg 33(1)" in listing
    shown = ptrack("rules", "show", "care_proceedings_26_weeks").stdout
    assert "s32(1)(a)(ii)" in shown


def test_demo_runs_on_the_embedded_default(ptrack: Ptrack) -> None:
    r = ptrack("--as-of", "2026-11-25", "demo", "--dir", "d", "--children", "30")
    assert (ptrack.cwd / "d" / "ptrack.db").exists()
    assert (ptrack.cwd / "d" / "events.csv").exists()
    assert "Generated 30 children" in r.stdout
    assert "rejected 0" in r.stdout
    assert "Overdue by team and rule" in r.stdout
    assert "Opened 2 IRO dispute(s)" in r.stdout and "IRO disputes on 2026-11-25" in r.stdout
    assert "Weekly digest 2026-11-25:" in r.stdout
    assert (ptrack.cwd / "d" / "digest.html").read_text().startswith("<!DOCTYPE html>")
    again = ptrack("--as-of", "2026-11-25", "demo", "--dir", "d", "--children", "30")
    assert again.stdout == r.stdout  # deterministic, and a second run starts afresh
