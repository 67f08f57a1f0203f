"""The outbox's stored form of a message and back: `outbox_row` builds every `outbox_messages` row (reminders,
digests, dispute prompts, admin alerts, stale-data alerts: one function), `item_fragment` stores one deadline
of a reminder, and `message_for` turns a claimed row into the `Message` a notifier sends, as of the day it is
sent (days left, working days left), so a deferred message is right on the day it arrives.

A reminder's payload is `{"items": [...], "team": ..., "council": ...}`; each item holds the case reference,
initials, rule, due date, last working day, whether the rule counts working days, the allocated worker and the
deep link: structured facts, never rendered text and never a name (rendering is `ptrack.notifiers.render`).
A pre-rendered message (digest, dispute prompt, alert) holds `subject`, `text`, optionally `html`, `team`,
`links` and `council`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from ptrack.calendars import WorkingDayCalendar
from ptrack.notifiers.base import Message, MessageItem
from ptrack.tracker.errors import CalendarError
from ptrack.tracker.policy.types import OpenItem
from ptrack.tracker.store import outbox_queries as q


def outbox_row(*, dedup_key: str, kind: str, recipient: str, channel: str, owed_on: date, payload: str,
               reason: str, not_before: datetime, now: datetime, cover_for: str = "") -> dict[str, Any]:
    """One `outbox_messages` row, pending from `not_before`."""
    return {
        "dedup_key": dedup_key, "kind": kind, "recipient_email": recipient.lower(), "cover_for": cover_for,
        "channel": channel, "owed_on": owed_on, "payload": payload, "reason": reason, "status": "pending",
        "attempts": 0, "not_before": not_before, "next_attempt_at": not_before, "created_at": now,
        "updated_at": now,
    }


def text_payload(subject: str, text: str, *, html: str = "", team: str = "", council: str = "",
                 links: Sequence[tuple[str, str]] = ()) -> str:
    """The payload of a pre-rendered message."""
    payload = {"subject": subject, "text": text, "html": html, "team": team, "council": council,
               "links": [list(link) for link in links]}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def item_fragment(item: OpenItem, link: str) -> str:
    """One deadline's JSON in a reminder's payload: due date first, so sorting the fragments sorts by due date."""
    lwd = item.last_working_day
    return json.dumps(
        {"due": item.due.isoformat(), "case_id": item.case_id, "rule_id": item.rule_id, "key": item.deadline_key,
         "initials": item.initials, "rule_title": item.rule_title, "link": link,
         "last_working_day": lwd.isoformat() if lwd and lwd != item.due else "", "working_days": item.working_days,
         "worker": item.worker_email},
        separators=(",", ":"))


def reminder_payload(fragments: Sequence[str], team: str, council: str) -> str:
    return f'{{"items":[{",".join(fragments)}],"team":{json.dumps(team)},"council":{json.dumps(council)}}}'


def message_for(claimed: q.Claimed, today: date, calendar: WorkingDayCalendar | None) -> Message:
    """The `Message` for a claimed row as of `today`; working days left need the `calendar` (without one, the
    days are given as calendar days, and say so)."""
    p = claimed.payload
    common: dict[str, Any] = dict(key=claimed.dedup_key, kind=claimed.kind, recipient_email=claimed.recipient_email,
                                  recipient_slack_id=claimed.slack_user_id, team=p.get("team", ""),
                                  council=p.get("council", ""), cover_for=claimed.cover_for)
    if "text" in p or "items" not in p:
        links = tuple((str(a), str(b)) for a, b in p.get("links", []))
        return Message(subject=p.get("subject", "ptrack"), text=p.get("text", ""), html=p.get("html", ""),
                       links=links, **common)
    return Message(items=tuple(_item(i, today, calendar) for i in p["items"]), **common)


def _item(p: dict[str, Any], today: date, calendar: WorkingDayCalendar | None) -> MessageItem:
    due = date.fromisoformat(p["due"])
    lwd = date.fromisoformat(p["last_working_day"]) if p.get("last_working_day") else None
    working = None
    if p.get("working_days") and calendar is not None:
        try:
            working = calendar.working_days_between(today, due)
        except CalendarError:
            working = None  # past the calendar's coverage: said as calendar days rather than guessed
    return MessageItem(p["case_id"], p["initials"], p["rule_id"], p["rule_title"], due, (due - today).days,
                       p.get("link", ""), lwd, working, p.get("worker", ""))
