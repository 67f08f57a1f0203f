"""The daemon's schedule as pure functions of the config and of `now` (APScheduler 3.x triggers are pure:
`trigger.get_next_fire_time(previous, now)`), so the clock changes and the catch-up rule test without a clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from ptrack.tracker.daemon.settings import cron_fields

LONDON = ZoneInfo("Europe/London")


def cron_trigger(expr: str) -> CronTrigger:
    """A cron string of `[daemon.schedule]` as a trigger in Europe/London."""
    return CronTrigger(**cron_fields(expr), timezone=LONDON)


def triggers(schedule: Mapping[str, str]) -> dict[str, CronTrigger]:
    """The scheduled jobs (a job set to "" is off)."""
    return {job: cron_trigger(expr) for job, expr in schedule.items() if expr}


def next_fire(trigger: CronTrigger, now: datetime) -> datetime | None:
    fire: datetime | None = trigger.get_next_fire_time(None, now)
    return fire


def missed_run(trigger: CronTrigger, last_started: datetime | None, now: datetime) -> datetime | None:
    """The first run the trigger owed after `last_started` that has not happened by `now`, if any. None when
    the job has never run here (a new installation owes nothing yet)."""
    if last_started is None:
        return None
    owed = trigger.get_next_fire_time(None, last_started + timedelta(seconds=1))
    return owed if owed is not None and owed <= now else None


def catch_up_at(trigger: CronTrigger, last_started: datetime | None, now: datetime,
                grace: timedelta) -> datetime | None:
    """When a restarted daemon should run the job once to make up for a missed run: `now` if the last run it
    owed is no older than the misfire grace, else None (too late: wait for the next scheduled run). Several
    missed runs coalesce into this one."""
    if last_started is None:
        return None
    owed = trigger.get_next_fire_time(None, max(last_started + timedelta(seconds=1), now - grace))
    return now if owed is not None and owed <= now else None
