"""Issue 8 point 5 and issue 10 severe 3 for the daemon: started after a rule-pack change (systemd restarts it
when the config changes) and with cases a killed import left marked, it recomputes them before it schedules
anything, says so in its log, and leaves nothing stale."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, date, datetime
from pathlib import Path

from ptrack.tracker import freshness, services
from ptrack.tracker.config import Config, load_config
from ptrack.tracker.store import open_store, stale
from tests.hostile.fs_harness import ptrack_exe, write_cases, write_events

AS_OF = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
SCHEDULE = ('[daemon]\nlog_format = "json"\nstandby_poll_seconds = 1\n[daemon.schedule]\nimport = "off"\n'
            'remind = "off"\ndigest = "off"\ndispatch = "off"\nstale_check = "off"\n')


def test_the_daemon_recomputes_stale_deadlines_at_start_and_logs_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ptrack.db'}"
    services.init_database(url)
    store = open_store(url)
    try:
        files = [write_cases(tmp_path / "cases.csv", ["X1", "X3"]),
                 write_events(tmp_path / "events.csv", [("X1-0", "X1", "looked_after_start", "2024-12-19"),
                                                       ("X3-0", "X3", "looked_after_start", "2024-12-19")])]
        config = Config()
        services.import_paths(store, files, today=AS_OF, ruleset=config.ruleset(), calendar=config.calendar(),
                              now=NOW)
        with store.transaction() as conn:  # what an import killed before its recompute leaves behind
            stale.mark(conn, ["X3"], "import events.csv", NOW)
        (tmp_path / "ptrack.toml").write_text('rule_packs = ["england", "tameside"]\n' + SCHEDULE)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PTRACK_")}
        env.update(PTRACK_DATABASE_URL=url, PTRACK_CONFIG=str(tmp_path / "ptrack.toml"))
        log = tmp_path / "daemon.log"
        with log.open("w") as out:
            proc = subprocess.Popen([ptrack_exe(), "run"], cwd=tmp_path, env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 60
            while "stale cases" not in log.read_text() and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(20) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
        text = log.read_text()
        assert "recomputed 2 stale cases (1 cases have events not yet in their deadlines (1 from import " \
               "events.csv); deadlines were computed with another rule-set/calendar version" in text, text
        active = load_config(tmp_path / "ptrack.toml")
        assert not freshness.staleness(store, active.ruleset(), active.calendar()).stale
    finally:
        store.close()
