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


# -- explanations ----------------------------------------------------------------------------------------------
# Most deadlines have one contributor (the rule that produced them, with their own due date), no notes, and skip
# only weekends. Those are stored compactly: "~" scope "|" pack "|" the skipped days as day gaps, the first counted
# back from the due date ("~N|england|25.1.6.1"): a Saturday or Sunday is named by its weekday. Every other
# explanation is JSON, the form rows stored before the compact one also have; both read back to the same values.
_WEEKEND = {5: "Saturday", 6: "Sunday"}
Explanation = tuple[tuple[tuple[date, str], ...], tuple[Contributor, ...], tuple[str, ...]]


def _explanation(d: Deadline) -> str:
    contributors = d.contributors
    if not d.notes and len(contributors) == 1:
        c = contributors[0]
        if c.rule_id == d.rule_id and c.due == d.due and "|" not in c.scope and "|" not in c.pack:
            gaps = _weekend_gaps(d.due, d.skipped)
            if gaps is not None:
                return f"~{c.scope}|{c.pack}|{gaps}"
    return json.dumps(
        {
            "skipped": [(str(day), name) for day, name in d.skipped],
            "contributors": [(c.rule_id, str(c.due), c.scope, c.pack) for c in d.contributors],
            "notes": d.notes,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _weekend_gaps(due: date, skipped: tuple[tuple[date, str], ...]) -> str | None:
    """The skipped days as gaps ("25.1.6.1"), or None unless every one is a weekend day named as such, in order."""
    if not skipped:
        return ""
    gaps: list[str] = []
    previous = None
    for day, name in skipped:
        if _WEEKEND.get(day.weekday()) != name:
            return None
        ordinal = day.toordinal()
        if previous is None:
            gap = due.toordinal() - ordinal
        else:
            gap = ordinal - previous
            if gap <= 0:
                return None
        gaps.append(str(gap))
        previous = ordinal
    return ".".join(gaps)


def read_explanation(text: str, rule_id: str, due: date) -> Explanation:
    """(skipped days, contributors, notes) from a stored explanation, compact or JSON."""
    if text.startswith("~"):
        scope, pack, gaps = text[1:].split("|")
        skipped: list[tuple[date, str]] = []
        if gaps:
            numbers = [int(g) for g in gaps.split(".")]
            ordinal = due.toordinal() - numbers[0]
            for i, gap in enumerate(numbers):
                ordinal += gap if i else 0
                day = date.fromordinal(ordinal)
                skipped.append((day, _WEEKEND[day.weekday()]))
        return tuple(skipped), (Contributor(rule_id, due, scope, pack),), ()
    expl = json.loads(text)
    return (
        tuple((date.fromisoformat(day), name) for day, name in expl["skipped"]),
        tuple(Contributor(rule_id, date.fromisoformat(due), scope, pack)
              for rule_id, due, scope, pack in expl["contributors"]),
        tuple(expl["notes"]),
    )


class DeadlineRowValues(dict[str, Any]):
    """A deadline row (column -> value) that also carries `stored`: its values in `DEADLINE_STORED` order as the
    bulk insert sends them (dates as ISO text), made once while hashing, so a first write builds nothing more."""

    __slots__ = ("stored",)
    stored: tuple[Any, ...]


DEADLINE_STORED = (*DEADLINE_FIELDS, "closed_on", "content_hash")
_MET_AT, _CANCELLED_AT = DEADLINE_FIELDS.index("met_on"), DEADLINE_FIELDS.index("cancelled_on")  # the nullable ones


def deadline_row(d: Deadline) -> DeadlineRowValues:
    """The stored columns of a deadline (status is derived on read) and `content_hash` over all of them.
    Runs once per deadline per recompute (millions), hence the flat tuple and one string to hash."""
    values = (
        d.case_id, d.key, d.rule_id, d.obligation, d.due, d.last_working_day, d.anchor_event, d.anchor_event_id,
        d.anchor_date, d.source, d.counting, d.due_soon_from, d.met_on, d.met_event_id, d.cancelled_on,
        d.cancel_reason, _explanation(d),
    )
    texts = list(map(str, values))  # str(date) is its ISO form; the hash is over these, "None" included
    digest = hashlib.blake2b("\x1f".join(texts).encode(), digest_size=16).hexdigest()
    met, cancelled = d.met_on, d.cancelled_on
    if met is None:
        texts[_MET_AT] = None  # type: ignore[call-overload]
    if cancelled is None:
        texts[_CANCELLED_AT] = None  # type: ignore[call-overload]
    row = DeadlineRowValues(zip(DEADLINE_FIELDS, values, strict=True))
    closed = met if cancelled is None else cancelled if met is None else min(met, cancelled)
    row["closed_on"] = closed
    row["content_hash"] = digest
    row.stored = (*texts, None if closed is None else str(closed), digest)
    return row


def same_content(stored: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """Whether a stored deadline row and a computed one say the same thing, whatever form their explanations
    are stored in (a row written before the compact form has another content hash for the same content)."""
    if any(stored[k] != row[k] for k in DEADLINE_FIELDS if k != "explanation"):
        return False
    return read_explanation(stored["explanation"], stored["rule_id"], stored["due"]) == read_explanation(
        row["explanation"], row["rule_id"], row["due"])


def row_deadline(row: Mapping[Any, Any], as_of: date) -> Deadline:
    """A stored deadline, with `status` derived for `as_of`."""
    skipped, contributors, notes = read_explanation(row["explanation"], row["rule_id"], row["due"])
    status = status_on(row["due"], row["due_soon_from"], row["met_on"], row["cancelled_on"], as_of)
    return Deadline(
        key=row["key"], case_id=row["case_id"], rule_id=row["rule_id"], obligation=row["obligation"],
        due=row["due"], last_working_day=row["last_working_day"], status=status,
        anchor_event=row["anchor_event"], anchor_event_id=row["anchor_event_id"], anchor_date=row["anchor_date"],
        source=row["source"], counting=row["counting"], due_soon_from=row["due_soon_from"],
        met_on=row["met_on"], met_event_id=row["met_event_id"], cancelled_on=row["cancelled_on"],
        cancel_reason=row["cancel_reason"],
        skipped=skipped, contributors=contributors, notes=notes,
    )
