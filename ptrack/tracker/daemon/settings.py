"""The `[daemon]` config section (docs/deployment.md, docs/configuration.md): the schedule, misfire grace,
logs, instance id, stand-by poll.

```toml
[daemon]
misfire_grace_seconds = 3600   # a run missed by less than this (a restart, a long job) runs once, late
log_format = "text"            # or "json": one object per line (time, level, job, message)
instance_id = ""               # default: the host name; shown by `ptrack status` for the leader
standby_poll_seconds = 5       # how often a stand-by tries to take the lead
stale_after_hours = 36         # no successful import for this long: managers and admins are told daily

[daemon.schedule]              # cron: "minute hour day month day_of_week" (Europe/London), or six fields
import = "30 2 * * *"          #   with seconds first; day_of_week by name (mon-fri), never by number
remind = "0 8 * * *"           # the job itself skips non-working days (bank holidays, closure days)
dispatch = "* * * * *"
digest = "0 8 * * mon"
stale_check = "0 * * * *"
```
A job set to "" (or "off") is not scheduled."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ptrack.tracker.errors import ConfigError

JOBS = ("import", "remind", "dispatch", "digest", "stale_check")
DEFAULT_SCHEDULE: Mapping[str, str] = {
    "import": "30 2 * * *",
    "remind": "0 8 * * *",
    "dispatch": "* * * * *",
    "digest": "0 8 * * mon",
    "stale_check": "0 * * * *",
}
LOG_FORMATS = ("text", "json")
_NUMERIC_WEEKDAY = re.compile(r"\d")


@dataclass(frozen=True)
class DaemonConfig:
    schedule: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SCHEDULE))
    misfire_grace_seconds: int = 3600
    log_format: str = "text"
    instance_id: str = ""
    standby_poll_seconds: float = 5.0
    stale_after_hours: float = 36.0


class CronError(ConfigError, ValueError):
    """A cron string that cannot be used; the message says why."""


def cron_fields(expr: str) -> dict[str, str]:
    """APScheduler `CronTrigger` keyword arguments for a 5-field crontab (or 6 fields, seconds first).
    Crontab numbers Sunday 0 but APScheduler 3.x numbers Monday 0 (its issue 286), so a numeric
    day_of_week is refused rather than silently shifted by a day."""
    parts = expr.split()
    if len(parts) not in (5, 6):
        raise CronError(f"{expr!r} has {len(parts)} fields; use 5 (minute hour day month day_of_week) or 6 "
                        f"(second first)")
    second = parts.pop(0) if len(parts) == 6 else "0"
    minute, hour, day, month, day_of_week = parts
    if _NUMERIC_WEEKDAY.search(day_of_week):
        raise CronError(f"{expr!r}: name the weekdays (mon-fri, sun), not numbers: crontab and APScheduler "
                        f"number them differently")
    return {"second": second, "minute": minute, "hour": hour, "day": day, "month": month,
            "day_of_week": day_of_week}


def check_cron(expr: str) -> None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger(**cron_fields(expr), timezone="Europe/London")
    except ValueError as exc:
        raise CronError(str(exc)) from None


class _Checks(Protocol):
    def fail(self, key: str, reason: str) -> Exception: ...
    def only(self, table: Mapping[str, Any], prefix: str, allowed: set[str] | frozenset[str]) -> None: ...
    def table(self, data: Mapping[str, Any], key: str, prefix: str = "") -> dict[str, Any]: ...
    def get_str(self, data: Mapping[str, Any], key: str, default: str, prefix: str = "") -> str: ...
    def get_int(self, data: Mapping[str, Any], key: str, default: int, prefix: str = "", minimum: int = 0) -> int: ...


def parse_daemon(p: _Checks, data: Mapping[str, Any]) -> DaemonConfig:
    """The `[daemon]` table, checked with the config parser's helpers (errors name the dotted key)."""
    pre = "daemon."
    p.only(data, pre, {"schedule", "misfire_grace_seconds", "log_format", "instance_id", "standby_poll_seconds",
                       "stale_after_hours"})
    table = p.table(data, "schedule", pre)
    p.only(table, f"{pre}schedule.", set(JOBS))
    schedule = dict(DEFAULT_SCHEDULE)
    for job in table:
        expr = p.get_str(table, job, "", f"{pre}schedule.").strip()
        if expr.lower() in ("", "off"):
            schedule[job] = ""
            continue
        try:
            check_cron(expr)
        except CronError as exc:
            raise p.fail(f"{pre}schedule.{job}", str(exc)) from None
        schedule[job] = expr
    log_format = p.get_str(data, "log_format", "text", pre)
    if log_format not in LOG_FORMATS:
        raise p.fail(f"{pre}log_format", f"{log_format!r}: use \"text\" or \"json\"")
    return DaemonConfig(
        schedule=schedule,
        misfire_grace_seconds=p.get_int(data, "misfire_grace_seconds", 3600, pre, minimum=1),
        log_format=log_format,
        instance_id=p.get_str(data, "instance_id", "", pre),
        standby_poll_seconds=_positive(p, data, "standby_poll_seconds", 5.0),
        stale_after_hours=_positive(p, data, "stale_after_hours", 36.0),
    )


def _positive(p: _Checks, data: Mapping[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise p.fail(f"daemon.{key}", f"must be a positive number, not {value!r}")
    return float(value)
