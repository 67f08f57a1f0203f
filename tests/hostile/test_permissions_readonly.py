"""Issue 10 item 14 (read-only file system): `ptrack deadlines` on a database it cannot write still lists the
deadlines, and says on stderr that it could not refresh what is stale.

Tests run as root, for whom chmod does not stop writes, so "cannot write" is made real two ways: SQLite's own
read-only open (`sqlite:///file:PATH?mode=ro&uri=true`, always), and a read-only bind mount of the database's
folder in a private mount namespace (`unshare -m`, where the machine allows it; skipped otherwise). On the
read-only mount ptrack opens the file immutable, since SQLite cannot create the -shm file a WAL database needs."""

from __future__ import annotations

import hashlib
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.hostile.fs_harness import Ptrack, ptrack_exe, write_cases, write_events

AS_OF = "2026-11-25"
EVENTS = [("X1-0", "X1", "looked_after_start", "2024-12-19"), ("X3-0", "X3", "looked_after_start", "2024-12-19"),
          ("X3-1", "X3", "review_held", "2025-01-21")]
EXPECTED = {("X1", "cla_review_first", "2025-01-21"), ("X3", "cla_review_second", "2025-04-21")}


@pytest.fixture()
def stale_copy(tmp_path: Path) -> Path:
    """A read-only copy of a database whose deadlines a rule-pack change left stale; returns its folder."""
    ptrack = Ptrack(tmp_path)
    ptrack("init")
    write_cases(tmp_path / "cases.csv", ["X1", "X3"])
    write_events(tmp_path / "events.csv", EVENTS)
    ptrack("--as-of", AS_OF, "import", "cases.csv", "events.csv")
    (tmp_path / "ptrack.toml").write_text('rule_packs = ["england", "tameside"]\n')
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copyfile(tmp_path / "ptrack.db", copy / "ptrack.db")
    return copy


def rows(csv_text: str) -> set[tuple[str, str, str]]:
    return {tuple(line.split(",")[:3]) for line in csv_text.splitlines()[1:]}  # type: ignore[misc]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_deadlines_read_a_read_only_database_and_say_it_could_not_refresh(stale_copy: Path) -> None:
    before = digest(stale_copy / "ptrack.db")
    ptrack = Ptrack(stale_copy.parent)
    url = f"sqlite:///file:{stale_copy / 'ptrack.db'}?mode=ro&uri=true"
    r = ptrack("--db", url, "--as-of", AS_OF, "deadlines", "--status", "all", "--format", "csv")
    assert rows(r.stdout) >= EXPECTED
    said = " ".join(r.stderr.split())
    assert "could not refresh stale deadlines" in said
    assert "computed with another rule-set/calendar version" in said and "readonly" in said
    assert digest(stale_copy / "ptrack.db") == before


def test_nothing_stale_no_warning(tmp_path: Path) -> None:
    ptrack = Ptrack(tmp_path)
    ptrack("init")
    write_cases(tmp_path / "cases.csv", ["X1"])
    write_events(tmp_path / "events.csv", EVENTS[:1])
    ptrack("--as-of", AS_OF, "import", "cases.csv", "events.csv")
    url = f"sqlite:///file:{tmp_path / 'ptrack.db'}?mode=ro&uri=true"
    r = ptrack("--db", url, "--as-of", AS_OF, "deadlines", "--status", "all", "--format", "csv")
    assert r.stderr == "" and ("X1", "cla_review_first", "2025-01-21") in rows(r.stdout)


def can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind /tmp /tmp"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not can_mount(), reason="no private mount namespace here (unshare -m): the ?mode=ro test stands")
def test_deadlines_on_a_read_only_mount(stale_copy: Path) -> None:
    ptrack = Ptrack(stale_copy.parent)
    folder = shlex.quote(str(stale_copy))
    command = " ".join(shlex.quote(a) for a in [ptrack_exe(), "--db", f"sqlite:///{stale_copy / 'ptrack.db'}",
                                                "--as-of", AS_OF, "deadlines", "--status", "all", "--format", "csv"])
    script = (f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} && touch {folder}/x 2>/dev/null "
              f"&& echo WRITABLE; exec {command}")
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ptrack.cwd, env=ptrack.env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "WRITABLE" not in r.stdout, "the mount is really read-only"
    assert rows(r.stdout) >= EXPECTED
    assert "could not refresh stale deadlines" in " ".join(r.stderr.split())
