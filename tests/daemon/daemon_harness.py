"""The daemon as a process for the tests: `ptrack run` started with `subprocess.Popen` (the repository's code
first on PYTHONPATH) in a temporary folder with a test config, and a local HTTP stand-in for a Teams Workflows
webhook that counts each message it receives (by a marker in the card text). Every process is ended at the end."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ptrack.tracker.config import load_config
from ptrack.tracker.daemon.status import daemon_status
from ptrack.tracker.store import Store
from ptrack.tracker.store import outbox_queries as q
from ptrack.tracker.store.engine import create_store_engine

REPO = Path(__file__).resolve().parents[2]
PTRACK = Path(sys.executable).with_name("ptrack")
MARKER = re.compile(r"MSG-\d+")


class TeamsStandIn:
    """Receives Adaptive Card posts; `received` counts each message marker; `delay` slows every answer."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                if stand_in.delay:
                    time.sleep(stand_in.delay)
                with stand_in.lock:
                    stand_in.received.update(set(MARKER.findall(body)))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/workflows/hook"

    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())

    def duplicates(self) -> dict[str, int]:
        with self.lock:
            return {k: v for k, v in self.received.items() if v > 1}

    def __enter__(self) -> TeamsStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_config(folder: Path, schedule: dict[str, str], **daemon: object) -> Path:
    lines = ["[channels.teams]", 'kind = "teams_workflow"', 'webhook_env = "PTRACK_TEST_TEAMS_WEBHOOK"', "",
             "[daemon]", 'log_format = "json"', "standby_poll_seconds = 1"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in daemon.items()]
    lines += ["", "[daemon.schedule]"] + [f"{job} = {json.dumps(expr)}" for job, expr in schedule.items()]
    path = folder / "ptrack.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class Daemons:
    """Starts `ptrack run` processes and makes sure none outlives the test."""

    def __init__(self, folder: Path, db_url: str, webhook: str) -> None:
        self.folder, self.db_url, self.webhook = folder, db_url, webhook
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, instance: str = "") -> subprocess.Popen[str]:
        env = dict(os.environ, PYTHONPATH=str(REPO), PTRACK_TEST_TEAMS_WEBHOOK=self.webhook,
                   PTRACK_DATABASE_URL=self.db_url, PTRACK_CONFIG=str(self.folder / "ptrack.toml"))
        if instance:
            text = (self.folder / "ptrack.toml").read_text()
            cfg = self.folder / f"ptrack-{instance}.toml"
            cfg.write_text(text.replace("[daemon]\n", f'[daemon]\ninstance_id = "{instance}"\n', 1))
            env["PTRACK_CONFIG"] = str(cfg)
        log = (self.folder / f"daemon-{instance or 'main'}-{len(self.procs)}.log").open("w")
        proc = subprocess.Popen([str(PTRACK), "run"], cwd=self.folder, env=env, stdout=log, stderr=log, text=True)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.folder.glob("daemon-*.log")))


@contextmanager
def daemons(folder: Path, db_url: str, webhook: str) -> Iterator[Daemons]:
    d = Daemons(folder, db_url, webhook)
    try:
        yield d
    finally:
        d.stop_all()


def status_cli(folder: Path, db_url: str) -> dict[str, Any]:
    """`ptrack status --format json` as a user runs it."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PTRACK_DATABASE_URL=db_url,
               PTRACK_CONFIG=str(folder / "ptrack.toml"))
    done = subprocess.run([str(PTRACK), "status", "--format", "json"], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def status(folder: Path, db_url: str) -> dict[str, Any]:
    """What `ptrack status --format json` prints (the same function, in this process: the tests poll it many
    times while a daemon runs, and a `ptrack` start-up per poll would compete with the daemon for the CPU)."""
    store = Store(create_store_engine(db_url))
    try:
        report = daemon_status(store, load_config(folder / "ptrack.toml"), datetime.now(UTC))
    finally:
        store.close()
    result: dict[str, Any] = json.loads(json.dumps(report.as_json(), default=_iso))
    return result


def _iso(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def wait_for(what: str, check: Callable[[], bool], timeout: float, logs: Callable[[], str] = str) -> float:
    """Poll `check` until it holds; the seconds it took. Fails with the daemons' logs after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs()}")


def queue_messages(store: Store, first: int, count: int, channel: str = "teams") -> None:
    """`count` alert messages due now, each carrying its marker MSG-<n> in its text."""
    now = datetime.now(UTC)
    rows = [{"dedup_key": f"test-{i}", "kind": "alert", "recipient_email": f"w{i}@example.org", "cover_for": "",
             "channel": channel, "owed_on": now.date(), "reason": "queued", "status": "pending", "attempts": 0,
             "payload": json.dumps({"subject": "test", "text": f"message MSG-{i}"}), "not_before": now,
             "next_attempt_at": now, "created_at": now, "updated_at": now} for i in range(first, first + count)]
    with store.transaction() as conn:
        q.queue(conn, rows, [[] for _ in rows])


def outbox_counts(store: Store) -> dict[str, int]:
    with store.reading() as conn:
        return q.counts_by_status(conn)
