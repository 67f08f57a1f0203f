"""The stale-data alert (SPEC §7): no successful import for `stale_after` (36 hours by default) → every manager
and admin is told, once a day (a dedup key per person per London day) until an import succeeds again.

Never imported at all counts from when a daemon first started on the database, so a new installation is not
alerted before it has had a chance to import. The clock is passed in (`now`, an aware datetime)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tracker.config import Config
from tracker.outbox.routing import available_channels, choose_channel
from tracker.policy.types import digest
from tracker.policy.window import LONDON, local_day
from tracker.services import last_import
from tracker.store import Store
from tracker.store import daemon_queries as dq
from tracker.store import outbox_queries as q


@dataclass(frozen=True)
class StaleReport:
    stale: bool
    last_import: datetime | None
    age_hours: float
    queued: int = 0  # alerts queued by this check (0 when today's were already queued)


def alert_stale_data(store: Store, config: Config, now: datetime, stale_after: timedelta) -> StaleReport:
    """Queue today's stale-data alert for each manager and admin, if the data is stale and not yet told."""
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
        day = local_day(now)
        keys = {email: digest("stale_data", email, day.isoformat()) for email in recipients}
        told = dq.existing_message_keys(conn, list(keys.values()))
        available = available_channels(config)
        rows = [_alert_row(keys[email], email, choose_channel(pref, False, available), report, config, now)
                for email, pref in sorted(recipients.items()) if keys[email] not in told]
        q.queue(conn, rows, [[] for _ in rows])
    return StaleReport(report.stale, last, report.age_hours, len(rows))


def _alert_row(key: str, email: str, channel: str, report: StaleReport, config: Config,
               now: datetime) -> dict[str, Any]:
    if report.last_import is None:
        when = "no import has succeeded yet"
    else:
        when = f"the last successful import was at {report.last_import.astimezone(LONDON):%Y-%m-%d %H:%M} London"
    folder = config.import_settings.drop_folder
    where = f" into the drop folder {folder}" if folder else ""
    text = (f"ptrack's data is stale: {when} ({report.age_hours:g} hours ago). Deadlines and reminders are "
            f"only as current as the last import. Check the nightly export{where} and the daemon "
            f"(`ptrack status`). You will be told once a day until an import succeeds.")
    payload = {"subject": "ptrack: case data is stale (no recent import)", "text": text}
    return {
        "dedup_key": key, "kind": "alert", "recipient_email": email, "cover_for": "", "channel": channel,
        "owed_on": local_day(now), "payload": json.dumps(payload), "reason": "stale_data", "status": "pending",
        "attempts": 0, "not_before": now, "next_attempt_at": now, "created_at": now, "updated_at": now,
    }
