"""Idle daemon memory: `ptrack run` on a SQLite database with the default schedule (dispatch every minute, the
stale-data check hourly), nothing to do, left to settle. The figure is its peak resident set (VmHWM, from
/proc) over the whole idle period, which includes the start-up imports and at least one dispatch run in the
full measurement. Target: <= 150 MB. Baseline, same run: a bare Python interpreter importing nothing
(`python -S -c ...`), the floor any Python daemon starts from; ratio = baseline / daemon (below 1: the daemon
costs that many times the bare interpreter)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.report import Figure, log

REPO = Path(__file__).resolve().parents[1]
PTRACK = Path(sys.executable).with_name("ptrack")
TARGET_MB = 150.0


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def _bare_python_mb() -> float:
    proc = subprocess.Popen([sys.executable, "-S", "-c", "import time; time.sleep(3)"])
    try:
        time.sleep(1.0)
        return _status_mb(proc.pid, "VmHWM")
    finally:
        proc.kill()
        proc.wait()


def _idle_daemon(settle: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ptrack-bench-daemon-") as tmp:
        folder = Path(tmp)
        env = dict(os.environ, PYTHONPATH=str(REPO), PTRACK_DATABASE_URL=f"sqlite:///{folder / 'ptrack.db'}",
                   PTRACK_CONFIG=str(folder / "ptrack.toml"))
        (folder / "ptrack.toml").write_text('[daemon]\nlog_format = "json"\n')
        subprocess.run([str(PTRACK), "init"], cwd=folder, env=env, check=True, capture_output=True)
        log_path = folder / "daemon.log"
        with log_path.open("w") as out:
            proc = subprocess.Popen([str(PTRACK), "run"], cwd=folder, env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 60
            while "leading as" not in log_path.read_text():
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the daemon did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            started = time.monotonic()
            samples = []
            while time.monotonic() - started < settle:
                samples.append(_status_mb(proc.pid, "VmRSS"))
                time.sleep(0.5)
            result = {"peak_mb": _status_mb(proc.pid, "VmHWM"), "rss_mb": _status_mb(proc.pid, "VmRSS"),
                      "mean_rss_mb": sum(samples) / len(samples), "settle_s": settle,
                      "dispatch_runs": float(log_path.read_text().count('"job": "dispatch"'))}
            proc.send_signal(signal.SIGTERM)
            result["exit_code"] = float(proc.wait(30))
            return result
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def run(quick: bool) -> dict[str, Any]:
    settle = 5.0 if quick else 70.0  # the full run idles past a minute boundary: at least one dispatch run
    baseline = _bare_python_mb()
    log(f"bare interpreter: {baseline:.1f} MB; starting the daemon, idling {settle:g} s")
    daemon = _idle_daemon(settle)
    log(f"idle daemon: peak {daemon['peak_mb']:.1f} MB, now {daemon['rss_mb']:.1f} MB")
    figure = Figure(
        what="idle `ptrack run`, peak resident memory (VmHWM)", value=round(daemon["peak_mb"], 1), unit="MB",
        target=f"<= {TARGET_MB:g} MB", meets_target=daemon["peak_mb"] <= TARGET_MB,
        baseline_label="bare Python interpreter, importing nothing (python -S)", baseline_value=round(baseline, 1),
        ratio=baseline / daemon["peak_mb"],
    )
    return {
        "name": "daemon_idle",
        "rss_main_mb": round(daemon["peak_mb"], 1),
        "params": {"settle_s": settle, "database": "SQLite", "schedule": "default"},
        "figures": [figure],
        "checks": {"sigterm_exit_code": daemon["exit_code"], "dispatch_runs_seen": daemon["dispatch_runs"],
                   "rss_at_end_mb": round(daemon["rss_mb"], 1), "mean_rss_mb": round(daemon["mean_rss_mb"], 1)},
        "notes": ["Peak RSS of the daemon process itself (it starts no worker processes when idle)."],
    }
