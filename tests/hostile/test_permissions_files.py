"""Issue 10 item 10: what ptrack creates (the SQLite database and its -wal/-shm, drop-folder reports and folders,
outbox files) is private to the service account, 0600 files and 0700 folders, even under a umask of 022; the
documented systemd unit sets UMask=0077."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from ptrack.notifiers.base import Message
from ptrack.notifiers.folder import FolderNotifier
from tests.hostile.fs_harness import Ptrack, write_cases

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_database_and_its_wal_and_shm_are_0600_under_umask_022(tmp_path: Path) -> None:
    ptrack = Ptrack(tmp_path)
    ptrack("init", umask=0o022)
    db = tmp_path / "ptrack.db"
    assert mode(db) == 0o600
    # While ptrack has the database open (a daemon, a long import) its -wal and -shm exist: list their modes then.
    probe = ("import os, sys; from ptrack.tracker.store import open_store; from ptrack.tracker.store.writes import "
             "set_meta; s = open_store(sys.argv[1]); c = s.engine.connect(); t = c.begin(); "
             "set_meta(c, {'probe': '1'}); t.commit(); "
             "print(' '.join(oct(os.stat(sys.argv[2] + x).st_mode & 0o777) for x in ('-wal', '-shm'))); c.close()")
    r = subprocess.run([sys.executable, "-c", probe, f"sqlite:///{db}", str(db)], capture_output=True, text=True,
                       preexec_fn=lambda: os.umask(0o022), cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0o600", "0o600"]
    assert mode(db) == 0o600


def test_drop_folder_reports_and_folders_are_private_under_umask_022(tmp_path: Path) -> None:
    ptrack = Ptrack(tmp_path)
    ptrack("init", umask=0o022)
    drop = tmp_path / "drop"
    drop.mkdir()
    write_cases(drop / "cases.csv", ["C1"])
    (drop / "notes.csv").write_text("a,b\n1,2\n")
    ptrack("import", "--drop-folder", "drop", umask=0o022, ok=False)
    for folder in ("processed", "failed", ".ptrack-importing"):
        assert mode(drop / folder) == 0o700, folder
    assert mode(drop / "processed" / "cases.csv.report.json") == 0o600
    assert mode(drop / "failed" / "notes.csv.report.json") == 0o600


def test_outbox_files_are_private_under_umask_022(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = tmp_path / "outbox" / "messages"
        FolderNotifier("folder", out).send(Message(key="k1", kind="test", recipient_email="sw@example.org",
                                                   subject="test", text="a test message"))
    finally:
        os.umask(old)
    assert mode(out) == 0o700
    files = list(out.iterdir())
    assert files and all(mode(f) == 0o600 for f in files)


def test_the_documented_systemd_unit_sets_umask_0077() -> None:
    text = (ROOT / "docs" / "deployment.md").read_text()
    units = [block for block in text.split("```") if "[Service]" in block]
    assert units and all("UMask=0077" in block for block in units)
