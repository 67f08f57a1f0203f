"""The daemon's pure parts: the schedule across both clock changes (APScheduler triggers are pure functions of
`now`, so no clock is patched), the catch-up rule, the `[daemon]` config, and the stale-data alert service."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ptrack.calendars import england_and_wales
from ptrack.tracker.config import Config, TeamConfig, parse_config
from ptrack.tracker.daemon.schedule import catch_up_at, cron_trigger, missed_run, next_fire
from ptrack.tracker.daemon.settings import DEFAULT_SCHEDULE
from ptrack.tracker.errors import ConfigError
from ptrack.tracker.model import Person
from ptrack.tracker.outbox.stale import alert_stale_data
from ptrack.tracker.services import META_LAST_IMPORT
from ptrack.tracker.store import Store
from ptrack.tracker.store import daemon_queries as dq
from ptrack.tracker.store.notify_schema import outbox_messages
from ptrack.tracker.store.writes import set_meta, upsert_people

LONDON = ZoneInfo("Europe/London")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("now", "fires_utc"), [
    # spring forward, Sunday 29 March 2026 01:00 GMT -> 02:00 BST
    ("2026-03-27T09:00", "2026-03-28T08:00"),  # Friday after 08:00 GMT: Saturday 08:00 GMT
    ("2026-03-29T07:01", "2026-03-30T07:00"),  # after Sunday 08:00 BST: Monday 08:00 BST
    ("2026-03-28T12:00", "2026-03-29T07:00"),  # Saturday GMT -> Sunday 08:00 BST, the day of the change
    ("2026-03-28T07:59", "2026-03-28T08:00"),  # the last winter morning: 08:00 GMT = 08:00 UTC
    # fall back, Sunday 25 October 2026 02:00 BST -> 01:00 GMT
    ("2026-10-24T06:59", "2026-10-24T07:00"),  # the last summer morning: 08:00 BST = 07:00 UTC
    ("2026-10-24T07:30", "2026-10-25T08:00"),  # -> Sunday 08:00 GMT, the day of the change
    ("2026-10-25T09:00", "2026-10-26T08:00"),
])
def test_the_morning_jobs_fire_at_0800_london_across_both_clock_changes(now: str, fires_utc: str) -> None:
    fire = next_fire(cron_trigger(DEFAULT_SCHEDULE["remind"]), utc(now))
    assert fire is not None
    assert fire.astimezone(UTC) == utc(fires_utc)
    assert (fire.astimezone(LONDON).hour, fire.astimezone(LONDON).minute) == (8, 0)


def test_the_weekly_digest_fires_on_mondays_at_0800_london_on_both_sides_of_each_change() -> None:
    trigger = cron_trigger(DEFAULT_SCHEDULE["digest"])
    assert next_fire(trigger, utc("2026-03-24T00:00")) == utc("2026-03-30T07:00")  # first Monday of BST
    assert next_fire(trigger, utc("2026-03-16T09:00")) == utc("2026-03-23T08:00")  # last Monday of GMT
    assert next_fire(trigger, utc("2026-10-20T00:00")) == utc("2026-10-26T08:00")  # first Monday of GMT
    assert next_fire(trigger, utc("2026-10-13T00:00")) == utc("2026-10-19T07:00")  # last Monday of BST


def test_the_nightly_import_at_0230_exists_on_both_change_nights() -> None:
    trigger = cron_trigger(DEFAULT_SCHEDULE["import"])
    # 29 March skips 01:00-02:00 London, not 02:30: 02:30 BST = 01:30 UTC. 25 October repeats 01:00-02:00 BST, and
    # 02:30 comes once, in GMT.
    assert next_fire(trigger, utc("2026-03-28T12:00")) == utc("2026-03-29T01:30")
    assert next_fire(trigger, utc("2026-10-24T12:00")) == utc("2026-10-25T02:30")  # once, at 02:30 GMT


def test_catch_up_runs_a_missed_run_once_within_the_grace() -> None:
    trigger = cron_trigger("30 2 * * *")
    grace = timedelta(hours=1)
    last = utc("2026-11-24T02:30:00.2")
    assert missed_run(trigger, last, utc("2026-11-25T02:00")) is None
    now = utc("2026-11-25T03:10")  # down over 02:30
    assert missed_run(trigger, last, now) == utc("2026-11-25T02:30")
    assert catch_up_at(trigger, last, now, grace) == now
    assert catch_up_at(trigger, last, utc("2026-11-25T04:00"), grace) is None  # too late: wait for tomorrow
    assert catch_up_at(trigger, None, now, grace) is None  # never ran here: nothing owed yet
    every_minute = cron_trigger("* * * * *")
    assert catch_up_at(every_minute, utc("2026-11-25T10:00:00.1"), utc("2026-11-25T10:00:30"), grace) is None
    assert catch_up_at(every_minute, utc("2026-11-25T10:00:00.1"), utc("2026-11-25T10:07:30"), grace) is not None


def test_daemon_config() -> None:
    config = parse_config('[daemon]\nlog_format = "json"\nmisfire_grace_seconds = 600\ninstance_id = "a"\n'
                          '[daemon.schedule]\ndispatch = "*/5 * * * * *"\ndigest = "off"\n')
    d = config.daemon
    assert (d.log_format, d.misfire_grace_seconds, d.instance_id) == ("json", 600, "a")
    assert d.schedule["dispatch"] == "*/5 * * * * *" and d.schedule["digest"] == ""
    assert d.schedule["remind"] == "0 8 * * *"
    assert Config().daemon.misfire_grace_seconds == 3600


@pytest.mark.parametrize(("text", "key"), [
    ('[daemon.schedule]\ndigest = "0 8 * * 1"\n', "daemon.schedule.digest: '0 8 * * 1': name the weekdays"),
    ('[daemon.schedule]\nremind = "0 25 * * *"\n', "daemon.schedule.remind"),
    ('[daemon.schedule]\nnightly = "0 2 * * *"\n', "daemon.schedule.nightly: unknown key"),
    ('[daemon]\nlog_format = "xml"\n', "daemon.log_format"),
    ('[daemon]\nmisfire_grace_seconds = 0\n', "daemon.misfire_grace_seconds"),
    ('[daemon]\nstandby_poll_seconds = -1\n', "daemon.standby_poll_seconds"),
])
def test_bad_daemon_config_names_the_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace("*", r"\*")):
        parse_config(text)


def _alerts(store: Store) -> list[tuple[str, str]]:
    m = outbox_messages.c
    with store.reading() as conn:
        return sorted((r.recipient_email, r.reason) for r in conn.execute(
            select(m.recipient_email, m.reason).where(m.kind == "alert")))


CAL = england_and_wales()


def test_stale_data_tells_managers_and_admins_once_a_day_until_an_import_succeeds(store: Store) -> None:
    config = Config(teams={"CiC 2": TeamConfig("CiC 2", manager_email="Boss2@example.org")})
    with store.transaction() as conn:
        upsert_people(conn, [Person("w@example.org", "Wendy Worker", "worker", "CiC 1"),
                             Person("m@example.org", "Mo Manager", "manager", "CiC 1"),
                             Person("a@example.org", "Al Admin", "admin", "")])
        set_meta(conn, {META_LAST_IMPORT: utc("2026-11-23T02:31").isoformat()})
    limit = timedelta(hours=36)
    fresh = alert_stale_data(store, config, CAL, utc("2026-11-24T10:00"), limit)
    assert not fresh.stale and fresh.queued == 0
    day1 = alert_stale_data(store, config, CAL, utc("2026-11-24T15:00"), limit)
    assert day1.stale and day1.queued == 3
    assert _alerts(store) == [("a@example.org", "stale_data"), ("boss2@example.org", "stale_data"),
                              ("m@example.org", "stale_data")]
    assert alert_stale_data(store, config, CAL, utc("2026-11-24T17:59"), limit).queued == 0  # once a day
    night = alert_stale_data(store, config, CAL, utc("2026-11-24T23:00"), limit)  # for tomorrow's window
    assert night.queued == 3
    assert _not_before(store) == [utc("2026-11-24T15:00")] * 3 + [utc("2026-11-25T08:00")] * 3
    assert alert_stale_data(store, config, CAL, utc("2026-11-25T09:00"), limit).queued == 0  # already owed today
    with store.reading() as conn:
        texts = [json.loads(p)["text"] for p in conn.execute(select(outbox_messages.c.payload)).scalars()]
    assert all("Mo Manager" not in t and "Al Admin" not in t for t in texts)
    with store.transaction() as conn:
        set_meta(conn, {META_LAST_IMPORT: utc("2026-11-26T02:31").isoformat()})
    assert alert_stale_data(store, config, CAL, utc("2026-11-26T09:00"), limit).queued == 0  # recovered


def _not_before(store: Store) -> list[datetime]:
    with store.reading() as conn:
        return sorted(conn.execute(select(outbox_messages.c.not_before)).scalars())


def test_never_imported_counts_from_the_first_daemon_start(store: Store) -> None:
    with store.transaction() as conn:
        upsert_people(conn, [Person("a@example.org", "Al Admin", "admin", "")])
        dq.first_started(conn, utc("2026-11-20T12:00"))
    report = alert_stale_data(store, Config(), CAL, utc("2026-11-21T12:00"), timedelta(hours=36))
    assert not report.stale and report.last_import is None
    assert alert_stale_data(store, Config(), CAL, utc("2026-11-22T00:00"), timedelta(hours=36)).queued == 1
    assert _not_before(store) == [utc("2026-11-23T08:00")]  # Sunday night: Monday's window
