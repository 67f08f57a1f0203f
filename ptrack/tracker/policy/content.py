"""What a message says: case reference, initials, rule title, due date, days left or overdue, deep link.

Never a full name (people's names are not even an input here) and never narrative: the items carry only the
fields of `MessageItem`. Rendering happens when the message is sent, so "days left" is right on the day it
arrives even when it was deferred."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from ptrack.notifiers.base import Message, MessageItem
from ptrack.tracker.policy.types import Kind, OpenItem

_SUBJECTS = {
    Kind.REMINDER: "Coming up",
    Kind.DUE_TODAY: "Due today",
    Kind.OVERDUE: "Overdue",
    Kind.ESCALATION_MANAGER: "Escalation: overdue in your team",
    Kind.ESCALATION_IRO: "For the IRO: review and permanence drift",
}


def payload_items(items: Iterable[OpenItem], deep_link: str) -> list[dict[str, Any]]:
    """The stored form of a message's items (JSON-ready), one per deadline, in due-date order."""
    unique = {(i.case_id, i.deadline_key): i for i in items}
    ordered = sorted(unique.values(), key=lambda i: (i.due, i.case_id, i.rule_id))
    return [
        {"case_id": i.case_id, "key": i.deadline_key, "initials": i.initials, "rule_id": i.rule_id,
         "rule_title": i.rule_title, "due": i.due.isoformat(),
         "link": deep_link.format(case_id=i.case_id) if deep_link else ""}
        for i in ordered
    ]


def message_items(payload: Sequence[dict[str, Any]], today: date) -> tuple[MessageItem, ...]:
    out = []
    for p in payload:
        due = date.fromisoformat(p["due"])
        out.append(MessageItem(p["case_id"], p["initials"], p["rule_id"], p["rule_title"], due,
                               (due - today).days, p.get("link", "")))
    return tuple(out)


def days_phrase(days: int) -> str:
    if days == 0:
        return "due today"
    if days > 0:
        return f"{days} day{'s' if days != 1 else ''} left"
    return f"{-days} day{'s' if days != -1 else ''} overdue"


def render(key: str, kind: str, recipient: str, cover_for: str, payload: Sequence[dict[str, Any]],
           today: date, slack_id: str = "", team: str = "") -> Message:
    """The `Message` a notifier sends for one outbox row, as of `today`."""
    items = message_items(payload, today)
    title = _SUBJECTS.get(kind, kind)  # type: ignore[call-overload]
    count = f"{len(items)} item{'s' if len(items) != 1 else ''}"
    subject = f"ptrack: {title} ({count})"
    lines = [f"Covering for {cover_for}." if cover_for else "", f"{title}: {count}."]
    for it in items:
        line = f"- {it.case_id} ({it.initials}): {it.rule_title}, due {it.due:%a %d %b %Y}, {days_phrase(it.days)}"
        lines.append(line + (f" {it.link}" if it.link else ""))
    text = "\n".join(x for x in lines if x)
    return Message(key=key, kind=kind, recipient_email=recipient, subject=subject, text=text, items=items,
                   recipient_slack_id=slack_id, cover_for=cover_for, team=team)
