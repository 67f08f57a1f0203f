"""`ptrack remind`, `outbox list|retry`, `people absent` and `doctor`, as a user runs them: the installed
`ptrack` in a scratch directory on SQLite, with the folder channel (the embedded default) or a local Teams
Workflows peer that refuses with 403."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import PEOPLE, copy_examples
from test_cli_commands import Ptrack

AS_OF = ("--as-of", "2026-11-25")  # a Wednesday
MORNING = "2026-11-25T08:00:00+00:00"  # sending is real-time: the clock, not --as-of, makes it that morning


@pytest.fixture()
def ptrack(tmp_path: Path, examples_db: Path) -> Ptrack:
    """The SPEC §3 example cases (overdue reviews for sw@example.org on 2026-11-25) and their people, at 08:00
    London that day."""
    copy_examples(examples_db, tmp_path)
    return Ptrack(tmp_path, clock=MORNING)


def files(where: Path) -> list[str]:
    return sorted(p.read_text() for p in where.glob("*.txt")) if where.exists() else []


def test_remind_dry_run_queues_nothing_then_remind_sends_to_the_folder_once(ptrack: Ptrack) -> None:
    dry = ptrack(*AS_OF, "remind", "--dry-run").stdout
    assert "dry run: nothing queued" in dry and "queued" in dry
    assert "Outbox (0)" in ptrack("outbox", "list").stdout
    assert files(ptrack.cwd / "outbox") == []
    sent = ptrack(*AS_OF, "remind").stdout
    assert "sent " in sent and "sent 0," not in sent
    texts = files(ptrack.cwd / "outbox")
    assert texts and any("Overdue" in t for t in texts)
    assert not any(name in t for t in texts for _, name, _, _ in PEOPLE)  # never a full name
    listing = ptrack("outbox", "list", "--status", "sent").stdout
    assert "sw@example.org" in listing and "folder" in listing
    again = ptrack(*AS_OF, "remind").stdout  # the same day again: nothing new
    assert "sent 0," in again and len(files(ptrack.cwd / "outbox")) == len(texts)


def test_people_absent_redirects_to_the_cover(ptrack: Ptrack) -> None:
    out = ptrack("people", "absent", "sw@example.org", "--from", "2026-11-23", "--to", "2026-11-27",
                 "--cover", "cover@example.org").stdout
    assert "sw@example.org away 2026-11-23 to 2026-11-27; covered by cover@example.org" in out
    assert "redirected_absent" in ptrack(*AS_OF, "remind").stdout
    listing = ptrack("outbox", "list").stdout
    assert "cover@example.org" in listing and "sw@example.org" not in listing
    assert any("Covering for sw@example.org" in t for t in files(ptrack.cwd / "outbox"))
    bad = ptrack("people", "absent", "sw@example.org", "--from", "2026-11-27", "--to", "2026-11-23", ok=False)
    assert bad.returncode != 0 and "--to 2026-11-23 is before --from 2026-11-27" in bad.stderr + bad.stdout


class _Refuses(BaseHTTPRequestHandler):
    """A Teams Workflows webhook whose flow was deleted: 403 to every post."""

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(403)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def refusing_webhook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuses)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/workflows/hook?sig=SECRET"
    finally:
        server.shutdown()
        server.server_close()


def test_a_broken_channel_is_listed_alerted_through_the_folder_and_retried(
    ptrack: Ptrack, refusing_webhook: str
) -> None:
    (ptrack.cwd / "ptrack.toml").write_text('[channels.teams]\nkind = "teams_workflow"\nwebhook_env = "HOOK"\n')
    ptrack.env["HOOK"] = refusing_webhook
    out = ptrack(*AS_OF, "remind").stdout
    assert "failed 1" in out and "channel teams is broken" in out and "admin alerts 1" in out
    failed = ptrack("outbox", "list", "--status", "failed").stdout
    assert "teams" in failed and "permanent" in failed and "SECRET" not in failed
    [alert] = files(ptrack.cwd / "outbox")  # no folder channel configured: the fallback delivered it
    assert "ptrack outbox retry --channel teams" in alert
    doctor = ptrack("doctor", ok=False)
    assert doctor.returncode == 1 and "broken since" in doctor.stdout and "SECRET" not in doctor.stdout
    retried = ptrack("outbox", "retry", "--channel", "teams").stdout
    assert "1 message(s) back in the queue on teams" in retried
    assert "Outbox (0)" in ptrack("outbox", "list", "--status", "failed").stdout


def test_doctor_reports_stale_data_and_sends_a_test_through_the_folder(ptrack: Ptrack) -> None:
    ptrack.clock = None  # the real clock: the import is judged against now
    # The example events carry no visits or plans: declare the feed complete (ptrack coverage).
    (ptrack.cwd / "ptrack.toml").write_text('[import]\ncomplete_sources = ["csv"]\n')
    fresh = ptrack("doctor", "--send-test", "--to", "admin@example.org").stdout
    assert "last successful import" in fresh and "older than 36 hours" not in fresh
    assert "send-test folder" in fresh and "delivered" in fresh
    [test_message] = files(ptrack.cwd / "outbox")
    assert "A test message from `ptrack doctor --send-test`" in test_message
    three_days_ago = (datetime.now(UTC) - timedelta(hours=72)).isoformat(timespec="seconds")
    with sqlite3.connect(ptrack.cwd / "ptrack.db") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'last_successful_import_at'", (three_days_ago,))
    stale = ptrack("doctor", ok=False)
    assert stale.returncode == 1
    assert "older than 36 hours: check the nightly import" in stale.stdout and "(72 h ago)" in stale.stdout
