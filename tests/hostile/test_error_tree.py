"""Issue 10: one error tree. Every exception class ptrack defines is a `PtrackError` documented in the tree of
ptrack.tracker.errors and in docs/architecture.md (the internal FieldError/RowError excepted: they become
rejects); every command on hostile input fails with one line, never a foreign exception (in the manner of
httpx's tests/test_exceptions.py); a daemon job's unexpected error is logged with its traceback."""

from __future__ import annotations

import importlib
import inspect
import io
import logging
import pkgutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ptrack
from ptrack.errors import PtrackError
from ptrack.tracker import errors
from ptrack.tracker.config import Config
from ptrack.tracker.daemon import jobs, logs
from ptrack.tracker.daemon.runner import Daemon
from ptrack.tracker.store import Store
from tests.hostile.parse_harness import CASES_HEADER, import_files, write
from tests.hostile.parse_harness import ptrack as run_ptrack

INTERNAL = {"FieldError", "RowError"}  # carried to the row loop and turned into located rejects
ARCHITECTURE = Path(__file__).parents[2] / "docs" / "architecture.md"


def _exception_classes() -> Iterator[type[BaseException]]:
    for info in pkgutil.walk_packages(ptrack.__path__, "ptrack."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == info.name
                    and not name.startswith("_")):
                yield obj


def test_every_public_exception_is_a_documented_ptrack_error() -> None:
    found = {cls.__name__: cls for cls in _exception_classes()}
    assert {"CalendarError", "ImportFailed", "DisputeError", "UsageError", "CronError", "DeliveryError"} <= set(found)
    tree, docs = errors.__doc__ or "", ARCHITECTURE.read_text(encoding="utf-8")
    for name, cls in sorted(found.items()):
        if name in INTERNAL:
            assert name in tree, name
            continue
        assert issubclass(cls, PtrackError), f"{cls.__module__}.{name} is not a PtrackError"
        assert name in tree, f"{name} is not in the tree of ptrack.tracker.errors"
        assert f"`{name}`" in docs, f"{name} is not in docs/architecture.md"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A scratch directory with an initialised SQLite database and hostile files beside it."""
    folder = tmp_path_factory.mktemp("hostile")
    db = f"sqlite:///{folder / 'ptrack.db'}"
    assert run_ptrack(folder, db, "init").code == 0
    (folder / "binary.toml").write_bytes(bytes(range(256)) * 4)
    (folder / "huge.toml").write_bytes(b"# " + b"x" * (2 << 20) + b"\n")
    (folder / "binary.csv").write_bytes(b"\x00\xff\xfe" * 1000)
    (folder / "empty.csv").write_bytes(b"")
    (folder / "nul.csv").write_bytes(b"case_id\x00,dob\n")
    write(folder / "absurd.csv", CASES_HEADER, ["C1,AB,99999999999999999999/01/2015,,,,", "C2,AB,2015-01-01,,,,"])
    (folder / "bomb.xml").write_text('<?xml version="1.0"?><!DOCTYPE EXPSSDA903 [<!ENTITY a "aaaaaaaaaa">'
                                     '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><EXPSSDA903>&b;</EXPSSDA903>')
    (folder / "broken.xml").write_text('<?xml version="1.0"?><EXPSSDA903><CHILD><HEADER>\x01</EXPSSDA903>')
    (folder / "dir.csv").mkdir()
    return folder, db


HOSTILE_COMMANDS = [
    ["--config", "binary.toml", "deadlines"],
    ["--config", "huge.toml", "deadlines"],
    ["--config", "missing.toml", "status"],
    ["--config", ".", "rules", "list"],
    ["--as-of", "99999999999999999999-01-01", "deadlines"],
    ["--as-of", "0001-01-01", "deadlines"],
    ["import", "binary.csv"],
    ["import", "empty.csv"],
    ["import", "nul.csv"],
    ["import", "bomb.xml"],
    ["import", "dir.csv"],
    ["import", "no-such-file.csv"],
    ["import", "--format", "ssda903_xml", "absurd.csv"],
    ["explain", "NO\x01SUCH"],
    ["explain", "x" * 5000],
    ["events", "void", "no-such-event", "--reason", "r"],
    ["dispute", "advance", "99999999999999999999"],
    ["calendar", "add", "99999999999999999999-01-01"],
    ["calendar", "holidays", "99999999999999999999"],
    ["dispute", "report", "--year", "99999999999999999999"],
    ["dispute", "open", "\x00"],
    ["rules", "show", "no_such_rule"],
    ["deadlines", "--status", "\x00"],
    ["deadlines", "--case", "\x00"],
    ["digest", "--team", "\x00"],
    ["outbox", "list"],
    ["coverage"],
    ["discrepancies"],
    ["recompute"],
    ["status"],
]


@pytest.mark.parametrize("args", HOSTILE_COMMANDS, ids=lambda a: " ".join(a)[:40].replace("\x00", "NUL"))
def test_no_foreign_exception_escapes_a_command(hostile: tuple[Path, str], args: list[str]) -> None:
    folder, db = hostile
    args = [a if a != "\x00" else "NUL\x01" for a in args]  # argv cannot hold NUL: a control character instead
    run = run_ptrack(folder, db, *args, timeout=120)
    text = run.out + run.err
    assert "Traceback" not in text and "unexpected" not in text, text
    if run.code == 1:
        run.one_line_error()
    else:
        assert run.code in (0, 2), text  # 2: a usage error from the command-line parser


def test_a_bad_value_fails_its_row_not_the_import(hostile: tuple[Path, str]) -> None:
    folder, db = hostile
    run = import_files(folder, db, "absurd.csv")
    assert run.code == 1 and run.reports[0]["rows_loaded"] == 1, run.err


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_jobs_unexpected_error_is_logged_with_its_traceback(
    store: Store, ruleset: object, calendar: object, monkeypatch: pytest.MonkeyPatch, log_format: str
) -> None:
    """A bug in a job (here a KeyError planted in the digest job) is logged with its traceback; a known failure
    (a PtrackError) stays one line."""
    def buggy(ctx: object, now: datetime) -> str:
        return {}["missing"]  # type: ignore[no-any-return]

    def known(ctx: object, now: datetime) -> str:
        raise errors.StoreError("database unreachable")

    monkeypatch.setitem(jobs.JOB_FUNCTIONS, "digest", buggy)
    monkeypatch.setitem(jobs.JOB_FUNCTIONS, "remind", known)
    daemon = Daemon(store, Config(), ruleset, calendar, dict,  # type: ignore[arg-type]
                    clock=lambda: datetime(2026, 11, 25, 8, tzinfo=UTC))
    stream = io.StringIO()
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        logs.configure(log_format, lambda: [], stream=stream)
        daemon.run_job("digest")
        daemon.run_job("remind")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    text = stream.getvalue()
    assert "Traceback (most recent call last)" in text, text
    assert "KeyError" in text and "buggy" in text, text
    assert text.count("Traceback") == 1, text  # the StoreError: one line, no traceback
    assert "StoreError: database unreachable" in text, text
