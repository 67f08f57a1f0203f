"""The CLI tests run `ptrack` in the test process (tests/inprocess.py); this checks that doing so changes nothing a
user sees: every command, run as the installed console script in a subprocess and in the test process on two
copies of the same prepared database, exits with the same code and prints the same stdout and stderr."""

from __future__ import annotations

from pathlib import Path
from subprocess import CompletedProcess

from conftest import copy_examples
from test_cli_commands import Ptrack

AS_OF = ("--as-of", "2026-11-25")
# One or more invocations of every command and command group (the daemon, `run`, has its own process tests in
# tests/daemon and tests/hostile/test_stale_daemon.py; `demo` runs from the wheel in .ci/run), in order: some
# change the database the next ones read. Errors too: the one-line error and its exit code.
COMMANDS: list[tuple[str, ...]] = [
    ("init",),
    (*AS_OF, "import", "cases.csv", "people.csv", "events.csv"),
    (*AS_OF, "deadlines", "--status", "all"),
    (*AS_OF, "deadlines", "--format", "csv"),
    (*AS_OF, "explain", "X3"),
    (*AS_OF, "coverage"),
    (*AS_OF, "discrepancies"),
    (*AS_OF, "recompute"),
    ("rules", "list"),
    ("rules", "show", "care_proceedings_26_weeks"),
    ("calendar", "add", "2024-12-19", "20", "working_days"),
    ("calendar", "holidays", "2026"),
    (*AS_OF, "digest"),
    (*AS_OF, "dispute", "open", "X1", "--stage", "1", "--issue", "care plan"),
    (*AS_OF, "dispute", "list"),
    (*AS_OF, "remind", "--dry-run"),
    ("outbox", "list"),
    ("people", "absent", "sw@example.org", "--from", "2026-12-01", "--to", "2026-12-05"),
    ("events", "void", "X1-0", "--reason", "entered in error"),
    ("doctor",),
    ("status",),
    (*AS_OF, "deadlines", "--team", "no such team"),
    ("--db", "mysql://x/y", "deadlines"),
    ("--as-of", "2026-13-01", "deadlines"),
    ("rules", "show", "nope"),
    ("nosuchcommand",),
    ("--help",),
]


def test_every_command_prints_the_same_in_the_test_process_as_in_a_subprocess(
    tmp_path: Path, examples_db: Path
) -> None:
    runs: dict[str, list[CompletedProcess[str]]] = {"process": [], "inprocess": []}
    ptracks = {}
    for how in runs:
        (tmp_path / how).mkdir()
        copy_examples(examples_db, tmp_path / how)
        ptracks[how] = Ptrack(tmp_path / how, process=how == "process")
    for args in COMMANDS:  # each command both ways in turn: what depends on the time of day sees the same minute
        for how, ptrack in ptracks.items():
            runs[how].append(ptrack(*args, ok=False))
    for args, real, here in zip(COMMANDS, runs["process"], runs["inprocess"], strict=True):
        expected = (real.returncode, *(text.replace(str(tmp_path / "process"), "DIR")
                                       for text in (real.stdout, real.stderr)))
        got = (here.returncode, *(text.replace(str(tmp_path / "inprocess"), "DIR")
                                  for text in (here.stdout, here.stderr)))
        assert got == expected, f"ptrack {' '.join(args)}"
    codes = [r.returncode for r in runs["process"]]
    assert codes[:3] == [0, 0, 0] and all(code != 0 for code in codes[-6:-1]), codes  # the errors are errors
