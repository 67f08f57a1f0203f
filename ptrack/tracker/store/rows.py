"""Pure conversions between domain values and table rows, with the content hashes that make re-imports and
recomputes skip what has not changed. No SQL here, so worker processes can use it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from hashlib import blake2b as _blake2b
from typing import Any

from ptrack.tracker.model import Contributor, Deadline, Event, status_on

DEADLINE_FIELDS = (
    "case_id", "key", "rule_id", "obligation", "due", "last_working_day", "anchor_event", "anchor_event_id",
    "anchor_date", "source", "counting", "due_soon_from", "met_on", "met_event_id", "cancelled_on",
    "cancel_reason", "explanation",
)
EVENT_FIELDS = (
    "case_id", "kind", "date", "placement_kind", "intended_until_18", "subkind", "weeks", "short_break", "note",
)


def _digest(parts: tuple[object, ...]) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def event_content(event: Event) -> tuple[object, ...]:
    return (
        event.case_id, event.kind, event.date.isoformat(), event.placement_kind, event.intended_until_18,
        event.subkind, event.weeks, event.short_break, event.note,
    )


def event_hash(event: Event) -> str:
    """`_digest(event_content(event))` in one expression: it runs once per imported event."""
    return _blake2b(repr((
        event.case_id, event.kind, event.date.isoformat(), event.placement_kind, event.intended_until_18,
        event.subkind, event.weeks, event.short_break, event.note,
    )).encode(), digest_size=16).hexdigest()


def generated_event_id(event: Event) -> str:
    """A deterministic id for an event row that came without one, so that importing it again is a no-op."""
    return "gen-" + _digest(event_content(event))[:24]


def event_row(event: Event, source: str, batch_id: int | None) -> dict[str, Any]:
    return {
        "source": source, "event_id": event.event_id, "case_id": event.case_id, "kind": event.kind,
        "date": event.date, "placement_kind": event.placement_kind, "intended_until_18": event.intended_until_18,
        "subkind": event.subkind, "weeks": event.weeks, "short_break": event.short_break, "note": event.note,
        "content_hash": event_hash(event), "batch_id": batch_id,
    }


def row_event(row: Mapping[Any, Any]) -> Event:
    return Event(
        event_id=row["event_id"], case_id=row["case_id"], kind=row["kind"], date=row["date"],
        placement_kind=row["placement_kind"], intended_until_18=row["intended_until_18"],
        subkind=row["subkind"], weeks=row["weeks"], short_break=bool(row["short_break"]), note=row["note"],
    )


def _explanation(d: Deadline) -> str:
    return json.dumps(
        {
            "skipped": [(str(day), name) for day, name in d.skipped],
            "contributors": [(c.rule_id, str(c.due), c.scope, c.pack) for c in d.contributors],
            "notes": d.notes,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def deadline_row(d: Deadline) -> dict[str, Any]:
    """The stored columns of a deadline (status is derived on read) and `content_hash` over all of them.
    Runs once per deadline per recompute (millions), hence the flat tuple and one string to hash."""
    values = (
        d.case_id, d.key, d.rule_id, d.obligation, d.due, d.last_working_day, d.anchor_event, d.anchor_event_id,
        d.anchor_date, d.source, d.counting, d.due_soon_from, d.met_on, d.met_event_id, d.cancelled_on,
        d.cancel_reason, _explanation(d),
    )
    row = dict(zip(DEADLINE_FIELDS, values, strict=True))
    closed = [x for x in (d.met_on, d.cancelled_on) if x is not None]
    row["closed_on"] = min(closed) if closed else None
    row["content_hash"] = hashlib.blake2b("\x1f".join(map(str, values)).encode(), digest_size=16).hexdigest()
    return row


def row_deadline(row: Mapping[Any, Any], as_of: date) -> Deadline:
    """A stored deadline, with `status` derived for `as_of`."""
    expl = json.loads(row["explanation"])
    status = status_on(row["due"], row["due_soon_from"], row["met_on"], row["cancelled_on"], as_of)
    return Deadline(
        key=row["key"], case_id=row["case_id"], rule_id=row["rule_id"], obligation=row["obligation"],
        due=row["due"], last_working_day=row["last_working_day"], status=status,
        anchor_event=row["anchor_event"], anchor_event_id=row["anchor_event_id"], anchor_date=row["anchor_date"],
        source=row["source"], counting=row["counting"], due_soon_from=row["due_soon_from"],
        met_on=row["met_on"], met_event_id=row["met_event_id"], cancelled_on=row["cancelled_on"],
        cancel_reason=row["cancel_reason"],
        skipped=tuple((date.fromisoformat(day), name) for day, name in expl["skipped"]),
        contributors=tuple(
            Contributor(rule_id, date.fromisoformat(due), scope, pack)
            for rule_id, due, scope, pack in expl["contributors"]
        ),
        notes=tuple(expl["notes"]),
    )
