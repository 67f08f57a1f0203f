"""Issue 10 severe 3: `ptrack import` SIGKILLed at random points while it loads and recomputes never leaves a case
without its deadlines. After a kill in the recompute a normal `ptrack deadlines` must finish the stale cases and
show exactly a clean run's deadlines; after a kill in the load, the import run again (the next night) must give
them; on SQLite and on PostgreSQL.

The commands run as forked children of this process calling the console script's entry point (`ptrack import
...` exactly as installed, without the second of interpreter start-up each, so the kills land in the load and
the recompute rather than in start-up); the last check runs the installed `ptrack` itself. The clean run is
watched to find when the load ends, and half the random kill points fall before that moment, half after, so both
phases are hit however fast the machine is; the caseload is small, since each kill costs a part of a whole
import. The seed of the random kill points is printed on failure."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import ptrack.cli.main  # noqa: F401 - loaded here, so a forked child starts at once
from ptrack.tracker.config import Config
from ptrack.tracker.store.engine import head_revision
from ptrack.tracker.store.schema import metadata
from ptrack.tracker.synthetic import CaseloadShape, write_csvs
from tests.hostile.fs_harness import ptrack_exe

for _module in ("ptrack.cli.importing", "ptrack.cli.deadlines", "ptrack.tracker.services", "ptrack.tracker.freshness"):
    __import__(_module)
Config().calendar(), Config().ruleset()  # what every child would otherwise import first (holidays, rule packs)
head_revision()  # read once from the migration scripts, cached for every child
import sqlalchemy.dialects.postgresql.psycopg  # noqa: E402, F401 - the dialects an engine loads on first use
import sqlalchemy.dialects.sqlite.pysqlite  # noqa: E402, F401
import typer._adapters  # noqa: E402, F401 - typer loads it (and pydantic) when it parses the first command

AS_OF = "2026-11-25"
KILLS = 20
CHILDREN = 80  # a load and a recompute long enough to kill in, and 20 kills in seconds per database
SEED = int(os.environ.get("PTRACK_CRASH_SEED", "0")) or random.SystemRandom().randrange(1, 1 << 30)


def fork_ptrack(url: str, args: list[str], out: Path) -> int:
    """Start `ptrack --db URL --as-of AS_OF ARGS` as a forked child writing stdout and stderr to `out`."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        sys.stdout = sys.stderr = os.fdopen(fd, "w")  # pytest's capture is not this process's
        from ptrack.cli.main import main

        random.seed()
        sys.argv = ["ptrack", "--db", url, "--as-of", AS_OF, *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def finish(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def run(url: str, args: list[str], out: Path) -> str:
    code = finish(fork_ptrack(url, args, out))
    text_out = out.read_text()
    assert code in (0, 1), f"ptrack {' '.join(args)} exited {code}: {text_out}"
    return text_out


def empty(url: str) -> None:
    """Every table emptied (the schema stays), as a fresh database."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture()
def files(tmp_path: Path) -> list[str]:
    made = write_csvs(tmp_path / "files", CaseloadShape(children=CHILDREN, events_per_child=10, seed=3))
    return [str(made.cases), str(made.people), str(made.events)]


@pytest.fixture()
def url(migrated_url: str) -> Iterator[str]:
    yield migrated_url


LOADED = text("select count(*) from import_batches where status = 'ok'")


def loaded_whole(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(LOADED).scalar_one() == 3
    finally:
        engine.dispose()


def clean_import(url: str, files: list[str], out: Path) -> tuple[float, float]:
    """Import `files` into the empty database, watching it: (seconds until the load ended, seconds in all)."""
    engine = create_engine(url)
    load_seconds = None
    try:
        started = time.perf_counter()
        pid = fork_ptrack(url, ["import", *files], out)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if load_seconds is None:
                with engine.connect() as conn:
                    if conn.execute(LOADED).scalar_one() == 3:
                        load_seconds = time.perf_counter() - started
            if done:
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    code = os.waitstatus_to_exitcode(status)
    assert code == 0, f"ptrack import exited {code}: {out.read_text()}"
    assert load_seconds is not None and load_seconds < seconds, "the load ended before the recompute"
    return load_seconds, seconds


def deadlines_csv(url: str, out: Path) -> str:
    found = run(url, ["deadlines", "--status", "all", "--format", "csv"], out)
    return "\n".join(line for line in found.splitlines() if not line.startswith(("note:", "warning:")))


def test_sigkill_during_import_and_recompute_never_loses_deadlines(url: str, files: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    load_seconds, clean_seconds = clean_import(url, files, out)
    clean = deadlines_csv(url, out)
    assert clean.count("\n") > CHILDREN, "the clean run has deadlines for the caseload"
    rng = random.Random(SEED)
    kills = sorted([rng.uniform(0.02, load_seconds) for _ in range(KILLS // 2)]
                   + [rng.uniform(load_seconds, clean_seconds) for _ in range(KILLS - KILLS // 2)])
    phases = {"right after the kill": 0, "after importing again": 0}
    for i, at in enumerate(kills):
        empty(url)
        pid = fork_ptrack(url, ["import", *files], out)
        time.sleep(at)
        os.kill(pid, signal.SIGKILL)
        finish(pid)
        if loaded_whole(url):  # killed in the recompute: a normal command finishes it first
            step = "right after the kill"
        else:  # killed in the load: nothing of the unfinished file is stored; the next night imports it again
            run(url, ["import", *files], out)
            step = "after importing again"
        after = deadlines_csv(url, out)
        assert after == clean, (f"kill {i + 1} at {at:.3f} s of {clean_seconds:.2f} s (PTRACK_CRASH_SEED={SEED}): "
                                f"deadlines {step} differ from a clean run's")
        phases[step] += 1
    assert all(phases.values()), f"the kills fell in the load and in the recompute: {phases} (seed {SEED})"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PTRACK_")}
    r = subprocess.run([ptrack_exe(), "--db", url, "--as-of", AS_OF, "deadlines", "--status", "all", "--format",
                        "csv"], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == clean.strip()
