"""Standard Safeguarding Dataset (SSD) CSV extracts (data-to-insight/ssd-data-model column names), one file
per table, recognised by the key columns of its table. Mapped to cases, events and case-system due dates:

| table | gives |
|---|---|
| `ssd_person` | a case per `pers_person_id` with `pers_dob` |
| `ssd_cla_episodes` | `looked_after_start` (start reason S, or `clae_entered_care_date`), |
|  | `looked_after_end` (ceased with a reason other than X1) |
| `ssd_cla_placement` | `placement_start` / `placement_end`; `clap_cla_placement_type` is a 903 PLACE code |
| `ssd_cla_reviews` | `review_held` (not cancelled) and `clar_cla_review_due_date`, the case system's own due date |
| `ssd_cla_visits` | `visit` |
| `ssd_permanence` | `authority_to_place` (placement order), `placed_for_adoption`, `permanence_achieved` |
|  | (order type adoption / SGO / CAO) |
| `ssd_involvements` + `ssd_professionals` | the allocated worker and team of a case (current involvement) |

Only the columns named here are read. Names (`prof_professional_name`...), addresses and postcodes
(`clap_cla_placement_postcode`, `clap_cla_placement_urn`), free text (`invo_worker_change_reason`,
`perm_decision_reversed_reason`...) and every other column are never stored. A table that names a child only
through `*_cla_id` finds the child in the `ssd_cla_episodes` file beside it; `ssd_involvements` finds each
worker's email in the `ssd_professionals` file beside it (`prof_professional_email`, a column councils add,
or a `prof_staff_id` that is an email address)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ptrack.tracker.importing.canonical import check_event_date
from ptrack.tracker.importing.extract_records import Allocation, CaseDetails, CaseSystemDue
from ptrack.tracker.importing.fields import FieldError, parse_date, parse_email
from ptrack.tracker.importing.formats import Context, Record, RowError
from ptrack.tracker.importing.reader import read_rows
from ptrack.tracker.importing.report import Reject
from ptrack.tracker.importing.ssda903_codes import CONTINUES, PLACE_CODES, placement_kind
from ptrack.tracker.model import Event

SOURCE = "ssd"
Item = tuple[int, Record] | Reject
_PERMANENCE_ORDERS = (("adoption", "adoption_order"), ("special guardian", "sgo"), ("sgo", "sgo"),
                      ("child arrangement", "cao"), ("residence", "cao"), ("cao", "cao"))
_WORKER_ROLES = ("sw", "cw", "social worker", "allocated", "key worker", "case worker")


def ssd_date(values: Mapping[str, str], column: str, *, required: bool = False) -> date | None:
    """A date cell as SSD extracts write them: ISO with or without a time (`2024-01-31 00:00:00.000`),
    or `DD/MM/YYYY`."""
    text = values.get(column, "").strip()
    if not text:
        if required:
            raise RowError(column, "required")
        return None
    if len(text) > 10 and text[4] == "-" and text[10] in " T":
        text = text[:10]
    try:
        return parse_date(text)
    except FieldError as exc:
        raise RowError(column, str(exc)) from None


def ident(values: Mapping[str, str], column: str) -> str:
    value = values.get(column, "").strip()
    if not value:
        raise RowError(column, "required")
    if len(value) > 64:
        raise RowError(column, "longer than 64 characters")
    if "\x00" in value or "\ufffd" in value:
        raise RowError(column, "holds a NUL character or bytes that are not UTF-8: not an id")
    return value


def code(text: str) -> str:
    """The code at the start of a coded cell: `E11`, `E11 - Adopted` and `e11` all give `E11`."""
    return text.strip().split(" ", 1)[0].split("-", 1)[0].strip().upper()


@dataclass
class Lookups:
    """Maps read from the files beside the one being imported (same folder), built when first needed."""

    folder: Path
    _maps: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)

    def get(self, table: str, key: str, value: str) -> dict[str, str]:
        if (table, key, value) not in self._maps:
            found: dict[str, str] = {}
            for path in sorted(self.folder.glob(f"{table}*.csv")):
                for row in read_rows(path):
                    if not isinstance(row, Reject) and row.values.get(key, "").strip():
                        found[row.values[key].strip()] = row.values.get(value, "").strip()
            self._maps[(table, key, value)] = found
        return self._maps[(table, key, value)]

    def person(self, values: Mapping[str, str], person_columns: Sequence[str], cla_column: str) -> str:
        for column in person_columns:
            if values.get(column, "").strip():
                return ident(values, column)
        cla_id = ident(values, cla_column)
        person = self.get("ssd_cla_episodes", "clae_cla_id", "clae_person_id").get(cla_id)
        if not person:
            raise RowError(cla_column, f"{cla_id!r} is in no ssd_cla_episodes file beside this one")
        return person


Mapper = Callable[[Mapping[str, str], Context, Lookups], Sequence[Record | Reject]]


def person_row(values: Mapping[str, str], ctx: Context, _: Lookups) -> list[Record]:
    person = ident(values, "pers_person_id")
    dob = ssd_date(values, "pers_dob")
    if dob is not None and dob > ctx.today:
        raise RowError("pers_dob", f"{dob.isoformat()} is after today ({ctx.today.isoformat()})")
    ctx.dobs[person] = dob
    return [CaseDetails(person, dob)]


def _event(ctx: Context, case_id: str, kind: str, when: date, column: str, event_id: str, **kw: object) -> Event:
    check_event_date(case_id, when, ctx, case_column=column, date_column=column)
    return Event(event_id, case_id, kind, when, **kw)  # type: ignore[arg-type]


def episode_row(values: Mapping[str, str], ctx: Context, _: Lookups) -> list[Record]:
    person = ident(values, "clae_person_id")
    start = ssd_date(values, "clae_cla_episode_start_date", required=True)
    assert start is not None
    out: list[Record] = []
    entered = ssd_date(values, "clae_entered_care_date")
    began = start if code(values.get("clae_cla_episode_start_reason", "")) == "S" else entered
    if began is not None:
        out.append(_event(ctx, person, "looked_after_start", began, "clae_cla_episode_start_date",
                          f"ssd:{person}:{began.isoformat()}:looked_after_start"))
    ceased_col = "clae_cla_episode_ceased" if "clae_cla_episode_ceased" in values else "clae_cla_episode_ceased_date"
    ceased = ssd_date(values, ceased_col)
    reason = code(values.get("clae_cla_episode_ceased_reason", ""))
    if ceased is not None and reason and reason != CONTINUES:
        out.append(_event(ctx, person, "looked_after_end", ceased, ceased_col,
                          f"ssd:{person}:{start.isoformat()}:looked_after_end"))
    return out


def placement_row(values: Mapping[str, str], ctx: Context, lookups: Lookups) -> list[Record]:
    placement = ident(values, "clap_cla_placement_id")
    person = lookups.person(values, ("clap_person_id",), "clap_cla_id")
    start = ssd_date(values, "clap_cla_placement_start_date", required=True)
    assert start is not None
    place = code(values.get("clap_cla_placement_type", ""))
    if place not in PLACE_CODES:
        raise RowError("clap_cla_placement_type", f"unknown placement code {place!r}")
    kind, until18 = placement_kind(place, ctx.connected_place_codes)
    out: list[Record] = [_event(ctx, person, "placement_start", start, "clap_cla_placement_start_date",
                                f"ssd:pl:{placement}:start", placement_kind=kind, intended_until_18=until18)]
    end = ssd_date(values, "clap_cla_placement_end_date")
    if end is not None:
        out.append(_event(ctx, person, "placement_end", end, "clap_cla_placement_end_date", f"ssd:pl:{placement}:end"))
    return out


def review_row(values: Mapping[str, str], ctx: Context, lookups: Lookups) -> list[Record]:
    review = ident(values, "clar_cla_review_id")
    person = lookups.person(values, ("clar_cla_person_id", "clar_person_id"), "clar_cla_id")
    held = ssd_date(values, "clar_cla_review_date")
    due = ssd_date(values, "clar_cla_review_due_date")
    if values.get("clar_cla_review_cancelled", "").strip().upper() in ("Y", "1", "TRUE"):
        held = None
    if held is None and due is None:
        raise RowError("clar_cla_review_date", "required (or a due date)")
    out: list[Record] = []
    event_id = ""
    if held is not None:
        event_id = f"ssd:rev:{review}"
        out.append(_event(ctx, person, "review_held", held, "clar_cla_review_date", event_id))
    elif person not in ctx.dobs:
        raise RowError("clar_cla_id", f"unknown case {person!r} (import ssd_person first)")
    if due is not None and due > ctx.latest:
        raise RowError("clar_cla_review_due_date", f"{due.isoformat()} is after the calendar's coverage (to "
                       f"{ctx.latest.isoformat()}): a typing error, or extend [calendar] last_year")
    if due is not None:
        out.append(CaseSystemDue(SOURCE, review, person, due, held, event_id))
    return out


def visit_row(values: Mapping[str, str], ctx: Context, lookups: Lookups) -> list[Record]:
    visit = ident(values, "clav_cla_visit_id")
    person = lookups.person(values, ("clav_person_id",), "clav_cla_id")
    when = ssd_date(values, "clav_cla_visit_date", required=True)
    assert when is not None
    return [_event(ctx, person, "visit", when, "clav_cla_visit_date", f"ssd:vis:{visit}")]


def permanence_row(values: Mapping[str, str], ctx: Context, _: Lookups) -> list[Record]:
    row = ident(values, "perm_table_id")
    person = ident(values, "perm_person_id")
    out: list[Record] = []
    authority = ssd_date(values, "perm_placement_order_date")  # the placement order: authority to place
    if authority is not None:
        out.append(_event(ctx, person, "authority_to_place", authority, "perm_placement_order_date",
                          f"ssd:perm:{row}:authority_to_place"))
    placed = ssd_date(values, "perm_placed_for_adoption_date")
    if placed is not None:
        out.append(_event(ctx, person, "placed_for_adoption", placed, "perm_placed_for_adoption_date",
                          f"ssd:perm:{row}:placed_for_adoption"))
    ordered = ssd_date(values, "perm_permanence_order_date")
    if ordered is not None:
        text = values.get("perm_permanence_order_type", "").strip().lower()
        kind = next((k for word, k in _PERMANENCE_ORDERS if word in text), "")
        if not kind:
            raise RowError("perm_permanence_order_type", f"{text!r} is not an adoption, SGO or CAO order")
        out.append(_event(ctx, person, "permanence_achieved", ordered, "perm_permanence_order_date",
                          f"ssd:perm:{row}:permanence_achieved", subkind=kind))
    return out


def professional_row(values: Mapping[str, str], ctx: Context, _: Lookups) -> list[Record]:
    ident(values, "prof_professional_id")  # a lookup for ssd_involvements: nothing of it is stored
    return []


def worker_email(values: Mapping[str, str], lookups: Lookups) -> str:
    professional = ident(values, "invo_professional_id")
    email = lookups.get("ssd_professionals", "prof_professional_id", "prof_professional_email").get(professional)
    if not email:
        staff = lookups.get("ssd_professionals", "prof_professional_id", "prof_staff_id").get(professional, "")
        email = staff if "@" in staff else ""
    if not email:
        raise RowError("invo_professional_id", f"no email for professional {professional!r} in an "
                       "ssd_professionals file beside this one (prof_professional_email)")
    try:
        return parse_email(email)
    except FieldError as exc:
        raise RowError("invo_professional_id", f"professional {professional!r}'s email in ssd_professionals: "
                       f"{exc}") from None


@dataclass(frozen=True)
class SsdFormat:
    name: str
    target: str
    keys: frozenset[str]  # the columns that identify the table
    mapper: Mapper
    source: str = SOURCE

    def missing_columns(self, header: Sequence[str]) -> list[str]:
        return sorted(self.keys - set(header))

    def records(self, path: Path, ctx: Context) -> Iterator[Item]:
        lookups = Lookups(path.parent)
        for row in read_rows(path):
            if isinstance(row, Reject):
                yield row
                continue
            try:
                items = self.mapper(row.values, ctx, lookups)
            except RowError as exc:
                yield Reject(path.name, row.line, exc.column, exc.reason)
                continue
            for item in items:  # a field reject of a row whose other fields load: located here
                yield Reject(path.name, row.line, item.field, item.reason) if isinstance(item, Reject) \
                    else (row.line, item)


@dataclass(frozen=True)
class InvolvementsFormat:
    """`ssd_involvements`: per child, the worker of the current involvement (started on or before today, not
    ended before it, a social-worker role) with the latest start; emitted once the file has been read."""

    name: str = "ssd_involvements"
    target: str = "events"  # after ssd_person: it only updates known cases
    keys: frozenset[str] = frozenset({"invo_involvements_id", "invo_professional_id", "invo_person_id"})
    source: str = SOURCE

    def missing_columns(self, header: Sequence[str]) -> list[str]:
        return sorted(self.keys - set(header))

    def records(self, path: Path, ctx: Context) -> Iterator[Item]:
        lookups = Lookups(path.parent)
        current: dict[str, tuple[date, int, CaseDetails]] = {}
        allocations: list[tuple[int, Allocation]] = []
        for row in read_rows(path):
            if isinstance(row, Reject):
                yield row
                continue
            try:
                found = self._current(row.values, ctx, lookups)
                allocation = self.allocation(row.values, ctx, lookups)
            except RowError as exc:
                yield Reject(path.name, row.line, exc.column, exc.reason)
                continue
            if allocation is not None:
                allocations.append((row.line, allocation))
            if found is not None and (found[1].case_id not in current or current[found[1].case_id][0] <= found[0]):
                current[found[1].case_id] = (found[0], row.line, found[1])
        rows: list[tuple[int, Record]] = [(line, details) for _, line, details in current.values()]
        yield from sorted([*rows, *allocations], key=lambda item: item[0])

    def _current(self, values: Mapping[str, str], ctx: Context, lookups: Lookups) -> tuple[date, CaseDetails] | None:
        person = ident(values, "invo_person_id")
        if person not in ctx.dobs:
            raise RowError("invo_person_id", f"unknown case {person!r} (import ssd_person first)")
        start = ssd_date(values, "invo_involvement_start_date") or date.min
        end = ssd_date(values, "invo_involvement_end_date")
        role = values.get("invo_professional_role_id", "").strip().lower()
        if start > ctx.today or (end is not None and end < ctx.today):
            return None
        if role and not any(r == role or r in role.split() or (" " in r and r in role) for r in _WORKER_ROLES):
            return None
        team = values.get("invo_professional_team", "").strip()[:200]
        if "\x00" in team:
            raise RowError("invo_professional_team", "holds a NUL character (byte 0): not text")
        if not _email_known(values, lookups) and _staff_id(values, lookups):
            return start, CaseDetails(person, team=team)  # the allocation names the worker: people.csv sw_id
        return start, CaseDetails(person, team=team, worker_email=worker_email(values, lookups))

    def allocation(self, values: Mapping[str, str], ctx: Context, lookups: Lookups) -> Allocation | None:
        """A social-worker involvement as an allocation by `prof_staff_id` (matched to people.csv `sw_id`)."""
        person = values.get("invo_person_id", "").strip()
        staff = _staff_id(values, lookups)
        start = ssd_date(values, "invo_involvement_start_date")
        role = values.get("invo_professional_role_id", "").strip().lower()
        if not staff or person not in ctx.dobs or start is None or start > ctx.today or (
                role and not any(r == role or r in role.split() or (" " in r and r in role) for r in _WORKER_ROLES)):
            return None
        return Allocation(SOURCE, person, staff, start, ssd_date(values, "invo_involvement_end_date"))


def _staff_id(values: Mapping[str, str], lookups: Lookups) -> str:
    professional = values.get("invo_professional_id", "").strip()
    staff = lookups.get("ssd_professionals", "prof_professional_id", "prof_staff_id").get(professional, "")
    return "" if "@" in staff else staff


def _email_known(values: Mapping[str, str], lookups: Lookups) -> bool:
    try:
        worker_email(values, lookups)
    except RowError:
        return False
    return True


def _fmt(name: str, target: str, keys: set[str], mapper: Mapper) -> SsdFormat:
    return SsdFormat(name, target, frozenset(keys), mapper)


SSD_FORMATS = (
    _fmt("ssd_person", "cases", {"pers_person_id", "pers_dob"}, person_row),
    _fmt("ssd_cla_episodes", "events", {"clae_cla_episode_id", "clae_person_id", "clae_cla_episode_start_date"},
         episode_row),
    _fmt("ssd_cla_placement", "events", {"clap_cla_placement_id", "clap_cla_placement_start_date",
                                         "clap_cla_placement_type"}, placement_row),
    _fmt("ssd_cla_reviews", "events", {"clar_cla_review_id", "clar_cla_review_date"}, review_row),
    _fmt("ssd_cla_visits", "events", {"clav_cla_visit_id", "clav_cla_visit_date"}, visit_row),
    _fmt("ssd_permanence", "events", {"perm_table_id", "perm_person_id"}, permanence_row),
    _fmt("ssd_professionals", "people", {"prof_professional_id", "prof_staff_id"}, professional_row),
    InvolvementsFormat(),
)
