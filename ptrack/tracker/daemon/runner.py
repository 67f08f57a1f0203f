"""`ptrack run`: wait to lead, then run the schedule with APScheduler 3.x until SIGTERM or SIGINT.

- Every job: `coalesce=True`, `max_instances=1`, `misfire_grace_time` from the config (default one hour, not
  APScheduler's one second), so a job woken late (a long import, a suspended VM) still runs, once.
- Each run is recorded in the `meta` table (`daemon.job.<job>`: started, finished, outcome, duration, a
  one-line summary). At start-up a job whose last owed run was missed while no daemon ran (restart, failover)
  and is within the grace runs once straight away.
- SIGTERM/SIGINT: `scheduler.shutdown(wait=True)` (from a helper thread, never inside the signal handler,
  so no scheduler lock is taken re-entrantly): no new job starts, the jobs in hand finish, exit 0.
- Losing the lead (the lock's connection died): stop like SIGTERM, exit 1; systemd restarts it as a stand-by.
- The clock is read here (`clock`, UTC) and passed to the jobs."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ptrack.calendars import WorkingDayCalendar
from ptrack.notifiers.base import Notifier, redact
from ptrack.tracker.config import Config
from ptrack.tracker.daemon import logs
from ptrack.tracker.daemon.jobs import JOB_FUNCTIONS, JobContext
from ptrack.tracker.daemon.leader import Leadership, leadership_for
from ptrack.tracker.daemon.schedule import LONDON, catch_up_at, triggers
from ptrack.tracker.errors import PtrackError
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import daemon_queries as dq

log = logging.getLogger("ptrack.daemon")
SCHEDULE_KEY = "daemon.schedule"
LEADER_JOB = "_leader"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Daemon:
    def __init__(self, store: Store, config: Config, ruleset: RuleSet, calendar: WorkingDayCalendar,
                 build_notifiers: Callable[[], Mapping[str, Notifier]], *,
                 clock: Callable[[], datetime] = utc_now, leadership: Leadership | None = None) -> None:
        self.store, self.config, self.clock = store, config, clock
        self.settings = config.daemon
        self.host = socket.gethostname()
        self.instance_id = self.settings.instance_id or self.host
        self.worker_id = f"{dq.DAEMON_WORKER_PREFIX}{self.instance_id[:60]}:{os.getpid()}"
        self.ctx = JobContext(store, config, ruleset, calendar, self.worker_id, build_notifiers)
        self.leadership = leadership or leadership_for(store)
        self.stop = threading.Event()
        self.scheduler: BlockingScheduler | None = None
        self.exit_code = 0
        self.signal_name = ""
        self.lead_over = threading.Event()
        self._stop_thread: threading.Thread | None = None

    # -- the process --------------------------------------------------------------------------------------------

    def run(self) -> int:
        logs.configure(self.settings.log_format, self.secrets)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        log.info("ptrack daemon starting: instance %s, pid %d, database %s", self.instance_id, os.getpid(),
                 self.store.url)
        if not self.wait_for_lead():
            log.info("%s received while standing by: stopped", self.signal_name or "stop")
            return 0
        try:
            self.lead()
        finally:
            self.lead_over.set()
            self.stop.set()
            if self._stop_thread is not None:
                self._stop_thread.join()
            self.leadership.release()
        log.info("stopped (exit %d)", self.exit_code)
        return self.exit_code

    def secrets(self) -> list[str]:
        built = self.ctx._notifiers or {}
        return [s for n in built.values() for s in getattr(n, "secrets", ()) if isinstance(s, str)]

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only an Event here: the handler runs in the main thread, which may hold a scheduler or logging lock.
        self.signal_name = signal.Signals(signum).name
        self.stop.set()

    def _stop_when_asked(self, scheduler: BlockingScheduler) -> None:
        """Waits for a stop request, then shuts the scheduler down, waiting for the jobs in hand."""
        self.stop.wait()
        if self.signal_name:
            log.info("%s received: finishing the jobs in hand, then stopping", self.signal_name)
        while not scheduler.running and not self.lead_over.is_set():
            time.sleep(0.05)
        with contextlib.suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=True)

    # -- leadership ---------------------------------------------------------------------------------------------

    def wait_for_lead(self) -> bool:
        announced = False
        while not self.stop.is_set():
            if self.leadership.try_acquire():
                return True
            if not announced:
                log.info("standing by: another instance leads; trying every %g s", self.settings.standby_poll_seconds)
                announced = True
            self.stop.wait(self.settings.standby_poll_seconds)
        return False

    def keep_lead(self) -> None:
        """Every poll interval while leading: still holding the lock? Then a heartbeat; else stop."""
        if self.stop.is_set():
            self.stop.set()
            return
        if not self.leadership.still_held():
            log.error("lost the lead (the lock's database session ended): stopping; a stand-by takes over")
            self.exit_code = 1
            self.stop.set()
            return
        self._write(dq.LEADER_KEY, {**self._leader_record(), "heartbeat": self.clock().isoformat()}, quiet=True)

    def _leader_record(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "host": self.host, "pid": os.getpid(),
                "since": self.since.isoformat(), "backend_pid": self.leadership.backend_pid,
                "worker_id": self.worker_id}

    # -- leading ------------------------------------------------------------------------------------------------

    def lead(self) -> None:
        now = self.since = self.clock()
        with self.store.transaction("taking the lead") as conn:
            released = dq.release_daemon_claims(conn, now)
            dq.first_started(conn, now)
            dq.put_json(conn, dq.LEADER_KEY, {**self._leader_record(), "heartbeat": now.isoformat()})
            records = dq.job_records(conn)
        log.info("leading as instance %s%s", self.instance_id,
                 f"; {released} message(s) claimed by a stopped daemon put back in the queue" if released else "")
        # Before anything is sent: deadlines an interrupted import left stale, or computed with another rule set
        # or calendar (the config changed before this restart), are recomputed now, and the log says so.
        log.info("checking for stale deadlines before starting the schedule", extra={"job": "recompute"})
        self.run_job("recompute")
        grace = self.settings.misfire_grace_seconds
        scheduler = BlockingScheduler(timezone=LONDON, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": grace})
        schedule = dict(self.settings.schedule)
        for name, trigger in triggers(schedule).items():
            at = catch_up_at(trigger, _last_started(records.get(name)), now, timedelta(seconds=grace))
            if at is not None:
                log.info("a run was missed while no daemon ran: running it once now", extra={"job": name})
            scheduler.add_job(self.run_job, trigger, args=[name], id=name, name=name,
                              **({"next_run_time": at} if at else {}))
        scheduler.add_job(self.keep_lead, IntervalTrigger(seconds=self.settings.standby_poll_seconds),
                          id=LEADER_JOB, name="leader heartbeat")
        self._write(SCHEDULE_KEY, {"jobs": schedule, "timezone": "Europe/London"})
        self.scheduler = scheduler
        self._stop_thread = threading.Thread(target=self._stop_when_asked, args=(scheduler,), name="ptrack-stop")
        self._stop_thread.start()
        if not self.stop.is_set():
            scheduler.start()

    def run_job(self, name: str) -> None:
        now = self.clock()
        key = f"{dq.JOB_PREFIX}{name}"
        previous = self._read(key) or {}
        self._write(key, {**previous, "running_since": now.isoformat(), "instance": self.instance_id})
        start = time.perf_counter()
        try:
            detail, outcome = JOB_FUNCTIONS[name](self.ctx, now), "ok"
        except Exception as exc:  # noqa: BLE001 - one failed run must not stop the daemon
            detail, outcome = redact(f"{type(exc).__name__}: {exc}".splitlines()[0][:300], self.secrets()), "error"
            if not isinstance(exc, PtrackError):  # a bug, not a known failure: the log keeps its traceback
                log.error("unexpected %s in this run (a bug: please report it with this traceback)",
                          type(exc).__name__, exc_info=(type(exc), exc, exc.__traceback__), extra={"job": name})
        duration = round(time.perf_counter() - start, 3)
        self._write(key, {"started": now.isoformat(), "finished": self.clock().isoformat(), "outcome": outcome,
                          "duration_s": duration, "detail": detail, "instance": self.instance_id,
                          "running_since": None})
        level = logging.INFO if outcome == "ok" else logging.ERROR
        log.log(level, "%s in %.2f s: %s", outcome, duration, detail, extra={"job": name})
        if name == "import":
            self.run_job("recompute")  # recompute after import, as one chained run

    def _read(self, key: str) -> dict[str, Any] | None:
        try:
            with self.store.reading("reading the daemon's records") as conn:
                return dq.get_json(conn, key)
        except PtrackError as exc:
            log.warning("cannot read %s: %s", key, exc)
            return None

    def _write(self, key: str, value: dict[str, Any], quiet: bool = False) -> None:
        try:
            with self.store.transaction("recording the daemon's state") as conn:
                dq.put_json(conn, key, value)
        except PtrackError as exc:
            if not quiet:
                log.warning("cannot record %s: %s", key, exc)


def _last_started(record: dict[str, Any] | None) -> datetime | None:
    if not record:
        return None
    times = [datetime.fromisoformat(v) for v in (record.get("started"), record.get("running_since")) if v]
    return max(times) if times else None
