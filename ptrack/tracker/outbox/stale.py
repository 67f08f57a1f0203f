"""The stale-data alert (docs/deployment.md): no successful import for `stale_after` (36 hours by default) →
every manager and admin is told, once a delivery day (a dedup key per person per delivery day) until an import succeeds
again. Like every message it waits for the delivery window (working days, not closure days, 08:00-18:00 by
default): found stale at 23:00, it goes at 08:00 the next delivery day, once.

Never imported at all counts from when a daemon first started on the database, so a new installation is not
alerted before it has had a chance to import. The clock is passed in (`now`, an aware datetime)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ptrack.calendars import WorkingDayCalendar
from ptrack.notifiers.registry import channel_set, choose_channel
from ptrack.tracker.config import Config
from ptrack.tracker.outbox.messages import outbox_row, text_payload
from ptrack.tracker.policy.types import Window, digest
from ptrack.tracker.policy.window import LONDON, delivery_slot, local_day
from ptrack.tracker.services import last_import
from ptrack.tracker.store import Store
from ptrack.tracker.store import daemon_queries as dq
from ptrack.tracker.store import outbox_queries as q


@dataclass(frozen=True)
class StaleReport:
    stale: bool
    last_import: datetime | None
    age_hours: float
    queued: int = 0  # alerts queued by this check (0 when today's were already queued)


def alert_stale_data(
    store: Store, config: Config, calendar: WorkingDayCalendar, now: datetime, stale_after: timedelta
) -> StaleReport:
    """Queue the stale-data alert for each manager and admin for the next delivery slot, if the data is stale
    and they have not been told for that day."""
    last = last_import(store).last_successful_import_at
    with store.transaction("checking for stale data") as conn:
        since = last or dq.first_started(conn, now)
        age = now - since
        report = StaleReport(age >= stale_after, last, round(age.total_seconds() / 3600, 1))
        if not report.stale:
            return report
        recipients = dq.managers_and_admins(conn)
        for team in config.teams.values():
            if team.manager_email:
                recipients.setdefault(team.manager_email.lower(), "")
        _, slot = delivery_slot(now, calendar, Window.parse(config.notify.window))
        day = local_day(slot)
        keys = {email: digest("stale_data", email, day.isoformat()) for email in recipients}
        told = dq.existing_message_keys(conn, list(keys.values()))
        available = channel_set(config)
        rows = [_alert_row(keys[email], email, choose_channel(pref, False, available), report, config, now, slot)
                for email, pref in sorted(recipients.items()) if keys[email] not in told]
        q.queue(conn, rows, [[] for _ in rows])
    return StaleReport(report.stale, last, report.age_hours, len(rows))


def _alert_row(key: str, email: str, channel: str, report: StaleReport, config: Config,
               now: datetime, slot: datetime) -> dict[str, Any]:
    if report.last_import is None:
        when = "no import has succeeded yet"
    else:
        when = f"the last successful import was at {report.last_import.astimezone(LONDON):%Y-%m-%d %H:%M} London"
    folder = config.import_settings.drop_folder
    where = f" into the drop folder {folder}" if folder else ""
    text = (f"ptrack's data is stale: {when} ({report.age_hours:g} hours ago). Deadlines and reminders are "
            f"only as current as the last import. Check the nightly export{where} and the daemon "
            f"(`ptrack status`). You will be told once a day until an import succeeds.")
    payload = text_payload("ptrack: case data is stale (no recent import)", text, council=config.local_authority)
    return outbox_row(dedup_key=key, kind="alert", recipient=email, channel=channel, owed_on=local_day(slot),
                      payload=payload, reason="stale_data", not_before=slot, now=now)
