"""The canonical CSV files (docs/importing.md): cases.csv, people.csv and events.csv."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from ptrack.tracker.importing.fields import (
    FieldError,
    parse_choice,
    parse_date,
    parse_email,
    parse_optional_date,
    parse_text,
    parse_weeks,
    parse_yes_no,
)
from ptrack.tracker.importing.formats import Context, CsvFormat, Record, RowError, cell
from ptrack.tracker.importing.reader import read_cells
from ptrack.tracker.importing.report import Reject
from ptrack.tracker.model import (
    EVENT_KINDS,
    EVENT_SUBKINDS,
    PERMANENCE_KINDS,
    PLACEMENT_KINDS,
    Case,
    Event,
    Person,
)
from ptrack.tracker.store.rows import generated_event_id

ROLES = frozenset({"worker", "manager", "iro", "admin"})
CHANNELS = frozenset({"teams", "slack", "email"})
# Most weeks one extension may add: proceedings by 8 (CA 1989 s32(5)); Reg 24 approval by 8 (reg 25).
MAX_EXTENSION_WEEKS = {"proceedings_extended": 8, "approval_extended": 8}

# Cell parsers, built once rather than per row.
_CHOICE_CHANNELS = partial(parse_choice, allowed=CHANNELS)
_CHOICE_EVENT_REQUIRED = partial(parse_choice, allowed=EVENT_KINDS, required=True)
_CHOICE_PERMANENCE_REQUIRED = partial(parse_choice, allowed=PERMANENCE_KINDS, required=True)
_CHOICE_PLACEMENT = partial(parse_choice, allowed=PLACEMENT_KINDS)
_CHOICE_ROLES = partial(parse_choice, allowed=ROLES)
_CHOICE_SUBKIND = {event: partial(parse_choice, allowed=kinds) for event, kinds in EVENT_SUBKINDS.items()}
_EMAIL_REQUIRED = partial(parse_email, required=True)
_TEXT_128 = partial(parse_text, longest=128)
_TEXT_16 = partial(parse_text, longest=16)
_TEXT_200 = partial(parse_text, longest=200)
_TEXT_2000 = partial(parse_text, longest=2000)
_TEXT_40 = partial(parse_text, longest=40)
_TEXT_64 = partial(parse_text, longest=64)
_TEXT_64_REQUIRED = partial(parse_text, longest=64, required=True)


def parse_case(values: Mapping[str, str], ctx: Context) -> Case:
    dob = cell(values, "dob", parse_optional_date)
    if dob is not None and dob > ctx.today:
        raise RowError("dob", f"{dob.isoformat()} is after today ({ctx.today.isoformat()})")
    case = Case(
        case_id=cell(values, "case_id", _TEXT_64_REQUIRED),
        initials=cell(values, "initials", _TEXT_16),
        dob=dob,
        team=cell(values, "team", _TEXT_200),
        worker_email=cell(values, "worker_email", parse_email),
        manager_email=cell(values, "manager_email", parse_email),
        iro_email=cell(values, "iro_email", parse_email),
    )
    ctx.dobs[case.case_id] = case.dob
    return case


def parse_person(values: Mapping[str, str], ctx: Context) -> Person:
    return Person(
        email=cell(values, "email", _EMAIL_REQUIRED),
        name=cell(values, "name", _TEXT_200),
        role=cell(values, "role", _CHOICE_ROLES) or "worker",
        team=cell(values, "team", _TEXT_200),
        slack_user_id=cell(values, "slack_user_id", _TEXT_64),
        channel=cell(values, "channel", _CHOICE_CHANNELS),
        sw_id=cell(values, "sw_id", _TEXT_64),
    )


def parse_event(values: Mapping[str, str], ctx: Context) -> Event:
    case_id = cell(values, "case_id", _TEXT_64_REQUIRED)
    kind = cell(values, "event", _CHOICE_EVENT_REQUIRED)
    when = cell(values, "date", parse_date)
    check_event_date(case_id, when, ctx, case_column="case_id", date_column="date")
    # The optional cells are empty in most rows (a million in a big import): an empty cell's value is known
    # without calling its parser. A cell holding anything, even spaces, is parsed.
    get = values.get
    event_id = cell(values, "event_id", _TEXT_128)
    placement = cell(values, "placement_kind", _CHOICE_PLACEMENT) if get("placement_kind") else ""
    until_18 = cell(values, "intended_until_18", parse_yes_no) if get("intended_until_18") else None
    subkind = _subkind(values, kind) if get("kind") or kind == "permanence_achieved" else ""
    weeks = (cell(values, "weeks", partial(parse_weeks, most=MAX_EXTENSION_WEEKS.get(kind, 52)))
             if get("weeks") else None)
    short_break = bool(cell(values, "short_break", parse_yes_no)) if get("short_break") else False
    short_break = short_break or (kind == "looked_after_start" and subkind == "short_breaks")
    note = cell(values, "note", _TEXT_2000) if get("note") else ""
    event = Event(event_id, case_id, kind, when, placement, until_18, subkind, weeks, short_break, note)
    if not event.event_id:
        event = replace(event, event_id=generated_event_id(event))
    return event


def _subkind(values: Mapping[str, str], event: str) -> str:
    if event == "permanence_achieved":
        return cell(values, "kind", _CHOICE_PERMANENCE_REQUIRED)
    if event == "review_held":
        return cell(values, "kind", partial(parse_choice, allowed=frozenset({"additional"})))
    if event in EVENT_SUBKINDS:  # health assessments and missing episodes: their kind decides which rules apply
        return cell(values, "kind", _CHOICE_SUBKIND[event])
    return cell(values, "kind", _TEXT_40).lower()


def check_event_date(case_id: str, when: date, ctx: Context, *, case_column: str, date_column: str) -> None:
    """The checks every event source shares: a known case, not in the future, not before the calendar's coverage,
    not before the child's birth."""
    if case_id not in ctx.dobs:
        raise RowError(case_column, f"unknown case {case_id!r} (import cases.csv first)")
    if when > ctx.today:
        raise RowError(date_column, f"{when.isoformat()} is after today ({ctx.today.isoformat()})")
    if when < ctx.earliest:
        raise RowError(date_column, f"{when.isoformat()} is before the calendar's coverage (from "
                                    f"{ctx.earliest.isoformat()}): its deadlines cannot be counted; a typing error, "
                                    "or extend [calendar] first_year")
    dob = ctx.dobs[case_id]
    if dob is not None and when < dob:
        raise RowError(date_column, f"{when.isoformat()} is before the child's date of birth {dob.isoformat()}")


_MISS: Any = object()


def _learn(memo: dict[Any, Any], key: Any, parse: Callable[[], Any], error: type[Exception]) -> Any:
    """`memo[key] = parse()`, what `_fast_event_parser` remembers of a cell text it has not met before; `_MISS`
    (nothing remembered) when `parse` raises `error`. Called on a miss only: a hit stays one `dict.get`."""
    try:
        value = memo[key] = parse()
    except error:
        return _MISS
    return value


def _fast_event_parser(header: Sequence[str], ctx: Context) -> Callable[[list[str]], Event | None]:
    """`parse_event` for the rows of one events.csv, by position: the Event it would give, or None when the row
    is anything but plainly valid (the caller then runs `parse_event`, which names the field at fault). A cell
    of few distinct values (event, date, placement kind...) is parsed once per distinct text: the values it gave
    are remembered, the texts it rejected are not."""
    col = {name: i for i, name in enumerate(header)}  # a repeated column: the last, as `dict(zip(...))` keeps
    if not EVENTS.required <= col.keys():
        return lambda cells: None
    blank = len(header)  # a column the file lacks reads the "" appended to each row
    i_case, i_kind, i_date = col["case_id"], col["event"], col["date"]
    i_id, i_place, i_18, i_sub, i_weeks, i_short, i_note = (
        col.get(c, blank) for c in ("event_id", "placement_kind", "intended_until_18", "kind", "weeks",
                                    "short_break", "note"))
    today, earliest, dobs = ctx.today, ctx.earliest, ctx.dobs
    kinds: dict[str, str] = {}
    days: dict[str, date] = {}
    places: dict[str, str] = {"": ""}
    yes_no: dict[str, bool | None] = {"": None}
    subkinds: dict[tuple[str, str], str] = {}
    weeks_of: dict[tuple[str, str], int | None] = {}

    def parse(cells: list[str]) -> Event | None:
        cells.append("")
        case_id = cells[i_case].strip()
        if not case_id or len(case_id) > 64 or "\ufffd" in case_id or "\x00" in case_id:
            return None
        raw = cells[i_kind]
        kind = kinds.get(raw, _MISS)
        if kind is _MISS and (kind := _learn(kinds, raw, lambda: _CHOICE_EVENT_REQUIRED(raw), FieldError)) is _MISS:
            return None
        raw = cells[i_date]
        when = days.get(raw, _MISS)
        if when is _MISS and (when := _learn(days, raw, lambda: parse_date(raw), FieldError)) is _MISS:
            return None
        if when > today or when < earliest:
            return None
        dob = dobs.get(case_id, _MISS)
        if dob is _MISS or (dob is not None and when < dob):
            return None
        event_id = cells[i_id]
        if event_id:
            event_id = event_id.strip()
            if len(event_id) > 128 or "\ufffd" in event_id or "\x00" in event_id:
                return None
        raw = cells[i_place]
        placement = places.get(raw, _MISS)
        if placement is _MISS and (
                placement := _learn(places, raw, lambda: _CHOICE_PLACEMENT(raw), FieldError)) is _MISS:
            return None
        raw = cells[i_18]
        until_18 = yes_no.get(raw, _MISS)
        if until_18 is _MISS and (until_18 := _learn(yes_no, raw, lambda: parse_yes_no(raw), FieldError)) is _MISS:
            return None
        raw = cells[i_sub]
        subkind = ""
        if raw or kind == "permanence_achieved":
            subkind = subkinds.get((kind, raw), _MISS)
            if subkind is _MISS and (subkind := _learn(subkinds, (kind, raw), lambda: _subkind({"kind": raw}, kind),
                                                       RowError)) is _MISS:
                return None
        raw = cells[i_weeks]
        weeks = None
        if raw:
            weeks = weeks_of.get((kind, raw), _MISS)
            if weeks is _MISS and (weeks := _learn(
                    weeks_of, (kind, raw), lambda: parse_weeks(raw, most=MAX_EXTENSION_WEEKS.get(kind, 52)),
                    FieldError)) is _MISS:
                return None
        raw = cells[i_short]
        short_break = False
        if raw:
            short = yes_no.get(raw, _MISS)
            if short is _MISS and (short := _learn(yes_no, raw, lambda: parse_yes_no(raw), FieldError)) is _MISS:
                return None
            short_break = bool(short)
        short_break = short_break or (kind == "looked_after_start" and subkind == "short_breaks")
        note = cells[i_note]
        if note:
            try:
                note = parse_text(note, 2000)
            except FieldError:
                return None
        event = Event(event_id, case_id, kind, when, placement, until_18, subkind, weeks, short_break, note)
        if not event_id:
            event.event_id = generated_event_id(event)
        return event

    return parse


@dataclass(frozen=True)
class EventsCsvFormat(CsvFormat):
    """events.csv: its rows are read by position (`_fast_event_parser`), a row that is not plainly valid through
    `parse` (`parse_event`), which gives the same event or the reject naming the field."""

    def records(self, path: Path, ctx: Context) -> Iterator[tuple[int, Record] | Reject]:
        file, parse = path.name, self.parse
        header: list[str] = []
        fast: Callable[[list[str]], Event | None] | None = None
        for row in read_cells(path, header):
            if isinstance(row, Reject):
                yield row
                continue
            if fast is None:
                fast = _fast_event_parser(header, ctx)
            line, cells = row
            event = fast(cells)
            if event is not None:
                yield line, event
                continue
            try:
                yield line, parse(dict(zip(header, cells)), ctx)  # noqa: B905 (cells: the header's, and one "")
            except RowError as exc:
                yield Reject(file, line, exc.column, exc.reason)


CASES = CsvFormat("cases", "cases", frozenset({"case_id", "dob"}), parse_case)
PEOPLE = CsvFormat("people", "people", frozenset({"email", "role"}), parse_person)
EVENTS = EventsCsvFormat("events", "events", frozenset({"case_id", "event", "date"}), parse_event)
