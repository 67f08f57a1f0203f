"""What `ptrack status` shows, read from the database only (any host can ask): each job's last run (time,
outcome, duration) and next run, the last successful import, the outbox backlog by status, and the leader
(instance, host, pid, since), with whether it is alive (PostgreSQL: does its session hold the advisory lock;
SQLite: is the daemon's file lock held, which only the same host can see)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ptrack.tracker.config import Config
from ptrack.tracker.daemon.leader import file_lock_held, lock_file_for, postgres_leader_pid
from ptrack.tracker.daemon.schedule import cron_trigger, next_fire
from ptrack.tracker.daemon.settings import JOBS
from ptrack.tracker.services import last_import
from ptrack.tracker.store import Store
from ptrack.tracker.store import daemon_queries as dq

SCHEDULE_KEY = "daemon.schedule"


@dataclass(frozen=True)
class JobStatus:
    job: str
    schedule: str  # the cron string, "after import", or "off"
    last_started: datetime | None = None
    last_finished: datetime | None = None
    outcome: str = ""  # ok | error | "" (never ran)
    duration_s: float | None = None
    detail: str = ""
    running_since: datetime | None = None
    next_run: datetime | None = None


@dataclass(frozen=True)
class LeaderStatus:
    instance_id: str = ""
    host: str = ""
    pid: int | None = None
    since: datetime | None = None
    heartbeat: datetime | None = None
    alive: bool = False
    note: str = ""


@dataclass(frozen=True)
class DaemonStatus:
    now: datetime
    jobs: list[JobStatus]
    last_import: datetime | None
    stale: bool
    stale_after_hours: float
    outbox: dict[str, int] = field(default_factory=dict)
    leader: LeaderStatus = field(default_factory=LeaderStatus)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def daemon_status(store: Store, config: Config, now: datetime) -> DaemonStatus:
    with store.reading("reading the daemon status") as conn:
        records = dq.job_records(conn)
        recorded_schedule = dq.get_json(conn, SCHEDULE_KEY)
        leader_record = dq.get_json(conn, dq.LEADER_KEY)
        outbox = dq.outbox_backlog(conn)
    leader = _leader(store, leader_record)
    schedule: dict[str, str] = dict((recorded_schedule or {}).get("jobs") or config.daemon.schedule)
    jobs = [_job(name, schedule.get(name, ""), records.get(name), now, leader.alive) for name in JOBS]
    import_next = next((j.next_run for j in jobs if j.job == "import"), None)
    jobs.insert(1, _job("recompute", "after import" if schedule.get("import") else "off", records.get("recompute"),
                        now, False, import_next))
    last = last_import(store).last_successful_import_at
    limit = config.daemon.stale_after_hours
    stale = last is None or now - last >= timedelta(hours=limit)
    return DaemonStatus(now, jobs, last, stale, limit, dict(sorted(outbox.items())), leader)


def _job(name: str, cron: str, record: dict[str, Any] | None, now: datetime, scheduled: bool,
         next_run: datetime | None = None) -> JobStatus:
    if scheduled and cron:
        next_run = next_fire(cron_trigger(cron), now)
    r = record or {}
    return JobStatus(name, cron or ("off" if not next_run else ""), _when(r.get("started")), _when(r.get("finished")),
                     r.get("outcome", ""), r.get("duration_s"), r.get("detail", ""), _when(r.get("running_since")),
                     next_run)


def _leader(store: Store, record: dict[str, Any] | None) -> LeaderStatus:
    r = record or {}
    base = LeaderStatus(r.get("instance_id", ""), r.get("host", ""), r.get("pid"), _when(r.get("since")),
                        _when(r.get("heartbeat")))
    if store.dialect == "postgresql":
        holder = postgres_leader_pid(store)
        if holder is None:
            return _with(base, False, "no instance holds the leader lock" + (" (last leader shown)" if r else ""))
        if r.get("backend_pid") == holder:
            return _with(base, True, f"holds the advisory lock (database session {holder})")
        return _with(base, True, f"database session {holder} holds the lock; its record is not written yet")
    held = file_lock_held(lock_file_for(store))
    if held:
        return _with(base, True, "holds the daemon's file lock (SQLite: one instance, this host)")
    return _with(base, False, "no daemon holds the file lock on this host" + (" (last leader shown)" if r else ""))


def _with(base: LeaderStatus, alive: bool, note: str) -> LeaderStatus:
    return LeaderStatus(base.instance_id, base.host, base.pid, base.since, base.heartbeat, alive, note)


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
