"""Pure conversions between domain values and table rows, with the content hashes that make re-imports and
recomputes skip what has not changed. No SQL here, so worker processes can use it."""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator, Mapping
from datetime import date
from hashlib import blake2b as _blake2b
from typing import Any

from ptrack.tracker.model import Contributor, Deadline, Event, status_on
from ptrack.tracker.store.schema import EPOCH_ORDINAL

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
# Explanations are stored compactly. Most deadlines have one contributor (the rule that produced them, with their
# own due date): "~" scope "|" pack "|" the skipped days as day gaps, the first counted back from the due date,
# then each note after a "|" ("~N|england|25.1.6.1"): a Saturday or Sunday named by its weekday is a bare gap,
# any other skipped day carries its name after a colon ("4:Good Friday.1.1.1:Easter Monday"). Other contributors are
# written "*" rule "," days from the due date "," scope "," pack, ";" between them (the deadline's own rule id
# and a zero offset left empty), then "|" the gaps and notes as above. An explanation that cannot be written so
# (a separator in a name) is JSON, the form rows stored before the compact ones also have; all read back to the
# same values.
_WEEKEND = {5: "Saturday", 6: "Sunday"}
Explanation = tuple[tuple[tuple[date, str], ...], tuple[Contributor, ...], tuple[str, ...]]


def _explanation(d: Deadline) -> str:
    contributors, notes_ = d.contributors, d.notes
    if not notes_ and not d.skipped and len(contributors) == 1:  # most deadlines: "~scope|pack|"
        c = contributors[0]
        if c.rule_id == d.rule_id and c.due == d.due and "|" not in c.scope and "|" not in c.pack:
            return f"~{c.scope}|{c.pack}|"
    if not notes_ or not any("|" in n for n in notes_):
        gaps = _gaps(d.due, d.skipped)
        if gaps is not None:
            notes = "".join(["|" + n for n in notes_]) if notes_ else ""
            if len(contributors) == 1:
                c = contributors[0]
                if c.rule_id == d.rule_id and c.due == d.due and "|" not in c.scope and "|" not in c.pack:
                    return f"~{c.scope}|{c.pack}|{gaps}{notes}"
            written = _contributors(d, contributors)
            if written is not None:
                return f"*{written}|{gaps}{notes}"
    return json.dumps(
        {
            "skipped": [(str(day), name) for day, name in d.skipped],
            "contributors": [(c.rule_id, str(c.due), c.scope, c.pack) for c in d.contributors],
            "notes": d.notes,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


_SEPARATORS = frozenset(",;|")
_PLAIN: dict[tuple[str, str, str], bool] = {}  # (rule id, scope, pack) -> none of them has a separator, once


def _contributors(d: Deadline, contributors: tuple[Contributor, ...]) -> str | None:
    """The contributors as "rule,offset,scope,pack;..." or None if a separator is in one of their words."""
    out: list[str] = []
    due = d.due.toordinal()
    for c in contributors:
        words = (c.rule_id, c.scope, c.pack)
        plain = _PLAIN.get(words)
        if plain is None:
            plain = _PLAIN[words] = bool(c.rule_id) and not _SEPARATORS.intersection(c.rule_id + c.scope + c.pack)
        if not plain:
            return None
        offset = c.due.toordinal() - due
        out.append(f"{'' if c.rule_id == d.rule_id else c.rule_id},{offset or ''},{c.scope},{c.pack}")
    return ";".join(out)


def _gaps(due: date, skipped: tuple[tuple[date, str], ...]) -> str | None:
    """The skipped days as gaps ("25.1.6.1", "4:Good Friday.1"), or None unless they are in order and every name
    can be written (an empty name, or one with "." or "|", cannot)."""
    if not skipped:
        return ""
    gaps: list[str] = []
    previous = None
    for day, name in skipped:
        ordinal = day.toordinal()
        if previous is None:
            gap = due.toordinal() - ordinal
        else:
            gap = ordinal - previous
            if gap <= 0:
                return None
        if _WEEKEND.get(day.weekday()) == name:
            gaps.append(str(gap))
        elif not name or "." in name or "|" in name:
            return None
        else:
            gaps.append(f"{gap}:{name}")
        previous = ordinal
    return ".".join(gaps)


def read_explanation(text: str, rule_id: str, due: date) -> Explanation:
    """(skipped days, contributors, notes) from a stored explanation, compact or JSON."""
    if text.startswith("~"):
        scope, pack, gaps, *notes = text[1:].split("|")
        return _read_gaps(gaps, due), (Contributor(rule_id, due, scope, pack),), tuple(notes)
    if text.startswith("*"):
        written, gaps, *notes = text[1:].split("|")
        contributors = []
        for item in written.split(";") if written else ():
            rid, offset, scope, pack = item.split(",")
            day = date.fromordinal(due.toordinal() + int(offset)) if offset else due
            contributors.append(Contributor(rid or rule_id, day, scope, pack))
        return _read_gaps(gaps, due), tuple(contributors), tuple(notes)
    expl = json.loads(text)
    return (
        tuple((date.fromisoformat(day), name) for day, name in expl["skipped"]),
        tuple(Contributor(rule_id, date.fromisoformat(due), scope, pack)
              for rule_id, due, scope, pack in expl["contributors"]),
        tuple(expl["notes"]),
    )


def _read_gaps(gaps: str, due: date) -> tuple[tuple[date, str], ...]:
    skipped: list[tuple[date, str]] = []
    if gaps:
        ordinal = due.toordinal()
        for i, item in enumerate(gaps.split(".")):
            gap, _, name = item.partition(":")
            ordinal += int(gap) if i else -int(gap)
            day = date.fromordinal(ordinal)
            skipped.append((day, name or _WEEKEND[day.weekday()]))
    return tuple(skipped)


# The deadline's words that are the same for every deadline of a rule: stored in `rule_texts`.
TEXT_FIELDS = ("obligation", "anchor_event", "source", "counting")
# The columns of `deadlines` a row gives directly (then `texts_id` and `computation_id` are added on writing).
DEADLINE_STORED = (
    "case_id", "key", "rule_id", "due", "last_working_day", "anchor_event_id", "anchor_date", "due_soon_from",
    "met_on", "met_event_id", "cancelled_on", "cancel_reason", "explanation", "closed_on", "content_hash",
)
_STORED_INDEX = {name: i for i, name in enumerate(DEADLINE_STORED)}


class ComputedRow(Mapping[str, Any]):
    """A computed deadline as the store writes it. `stored`: its values in `DEADLINE_STORED` order as the bulk
    insert sends them to SQLite (dates as day numbers), `texts`: the rule's words (`TEXT_FIELDS`, stored once in
    `rule_texts` and referenced by number), `case_id`. Read as a mapping it gives every field of `DEADLINE_FIELDS`
    with `closed_on` and `content_hash` (dates as dates), looked up on demand: a cold recompute only inserts, so
    no dict per deadline is built for it."""

    __slots__ = ("case_id", "deadline", "stored", "texts")
    case_id: str
    deadline: Deadline
    stored: tuple[Any, ...]
    texts: tuple[str, str, str, str]

    def __getitem__(self, name: str) -> Any:
        if name in ("explanation", "content_hash"):
            return self.stored[_STORED_INDEX[name]]
        if name == "closed_on":
            d = self.deadline
            met, cancelled = d.met_on, d.cancelled_on
            return met if cancelled is None else cancelled if met is None else min(met, cancelled)
        if name not in _ROW_FIELDS:
            raise KeyError(name)
        return getattr(self.deadline, name)

    def __iter__(self) -> Iterator[str]:
        return iter(_ROW_NAMES)

    def __len__(self) -> int:
        return len(_ROW_NAMES)

    def plain(self) -> tuple[Any, ...]:
        """The values in `DEADLINE_STORED` order with dates as dates (what PostgreSQL is sent)."""
        d, s = self.deadline, self.stored
        return (
            d.case_id, d.key, d.rule_id, d.due, d.last_working_day, d.anchor_event_id, d.anchor_date,
            d.due_soon_from, d.met_on, d.met_event_id, d.cancelled_on, d.cancel_reason, s[12], self["closed_on"],
            s[14],
        )


_ROW_NAMES = (*DEADLINE_FIELDS, "closed_on", "content_hash")
_ROW_FIELDS = frozenset(DEADLINE_FIELDS)
_new_row = object.__new__


def content_hash(texts: list[str]) -> int:
    """64 bits (a signed BIGINT) of a digest of the deadline's fields as text."""
    return int(_signed64(hashlib.blake2b("\x1f".join(texts).encode(), digest_size=8).digest())[0])


_signed64 = struct.Struct(">q").unpack  # int.from_bytes(b, "big", signed=True) for 8 bytes, in a third of the time


# str() of the dates (and None) the content hashes cover, made once: str(date) costs several dict lookups. A
# recompute meets a few tens of thousands of distinct dates at most.
_TEXT: dict[date | None, str] = {None: "None"}


def _text(day: date | None) -> str:
    text = _TEXT[day] = str(day)
    return text


def deadline_row(d: Deadline) -> ComputedRow:
    """The fields of a deadline (status is derived on read) with `content_hash` over all of them.
    Runs once per deadline per recompute (millions), hence one flat tuple, one string to hash and no dict."""
    explanation = _explanation(d)
    met, cancelled = d.met_on, d.cancelled_on
    due, lwd, anchor_date, soon = d.due, d.last_working_day, d.anchor_date, d.due_soon_from
    # `content_hash` of the fields in `DEADLINE_FIELDS` order as text (str(date) is its ISO form; "None" included)
    text = _TEXT.get
    digest = _signed64(_blake2b("\x1f".join((
        d.case_id, d.key, d.rule_id, d.obligation, text(due) or _text(due), text(lwd) or _text(lwd),
        d.anchor_event, d.anchor_event_id, text(anchor_date) or _text(anchor_date), d.source, d.counting,
        text(soon) or _text(soon), text(met) or _text(met), d.met_event_id, text(cancelled) or _text(cancelled),
        d.cancel_reason, explanation,
    )).encode(), digest_size=8).digest())[0]
    closed = met if cancelled is None else cancelled if met is None else min(met, cancelled)
    row: ComputedRow = _new_row(ComputedRow)
    row.case_id = d.case_id
    row.deadline = d
    row.texts = (d.obligation, d.anchor_event, d.source, d.counting)
    row.stored = (
        d.case_id, d.key, d.rule_id, due.toordinal() - EPOCH_ORDINAL, lwd.toordinal() - EPOCH_ORDINAL,
        d.anchor_event_id, anchor_date.toordinal() - EPOCH_ORDINAL, soon.toordinal() - EPOCH_ORDINAL,
        None if met is None else met.toordinal() - EPOCH_ORDINAL, d.met_event_id,
        None if cancelled is None else cancelled.toordinal() - EPOCH_ORDINAL, d.cancel_reason, explanation,
        None if closed is None else closed.toordinal() - EPOCH_ORDINAL, digest,
    )
    return row


def same_content(stored: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """Whether a stored deadline row and a computed one say the same thing, whatever form their explanations
    are stored in (a row written before the compact form has another content hash for the same content)."""
    if any(stored[k] != row[k] for k in DEADLINE_FIELDS if k != "explanation"):
        return False
    return read_explanation(stored["explanation"], stored["rule_id"], stored["due"]) == read_explanation(
        row["explanation"], row["rule_id"], row["due"])


def row_deadline(row: Mapping[Any, Any], as_of: date) -> Deadline:
    """A stored deadline (read with its rule texts, `deadlines.DEADLINE_VIEW`), with `status` derived for
    `as_of`."""
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
