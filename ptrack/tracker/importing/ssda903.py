"""SSDA903, the DfE children looked after return, as CSV tables (header, episodes, reviews), each recognised by
its exact column set (docs/importing.md). The XML form (`ssda903_xml.py`) feeds the same `Return903` mapper.

Mapping: RNE S starts a period of care (`looked_after_start` on DECOM); RNE S/P/T/U/B start a placement
(`placement_start`, PLACE mapped to a kind; an A-code is also `placed_for_adoption`); RNE L changes legal status
only and gives no event, unless it moves into or out of short breaks (V3/V4): then the period ends and a new
one starts that day. DEC with REC
X1 continues the period; any other REC ends it (`looked_after_end` and `placement_end` on DEC). LS V3/V4 mark
the period a short break (kept out of the reg 33 review rules). REVIEW gives `review_held`. HOME_POST, PL_POST,
URN, UPN, MOTHER, MC_DOB, ETHNIC and PLACE_PROVIDER are read and dropped.

Event ids are `903:{CHILD}:{date}:{kind}` (the episode's DECOM for its events, REVIEW for reviews), so the
same episode in two collection years is the same event and importing a return again changes nothing.

Irregular returns (docs/importing.md), per child, in file order (the DfE orders returns by CHILD, DECOM):
- an episode that is not RNE S while the child has no open period in this file (the period began before
  the collection year, or the S row is missing): the period start is inferred on its DECOM, flagged in the
  event's note. An earlier real start, imported before or after, opens the period and absorbs it.
- a REC with no DEC, a DEC with no REC, a DEC before DECOM or in the future: that field is rejected (located),
  the episode's start still loads and the period stays open.
- an episode starting inside the previous episode (DECOM after the previous DECOM, before its DEC): rejected.
- the same episode twice (several years, or twice in one file): the same events, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ptrack.tracker.importing.canonical import check_event_date
from ptrack.tracker.importing.extract_records import Allocation, CaseDetails
from ptrack.tracker.importing.fields import FieldError, parse_date
from ptrack.tracker.importing.formats import Context, Record, RowError
from ptrack.tracker.importing.reader import read_rows
from ptrack.tracker.importing.report import Reject
from ptrack.tracker.importing.ssda903_codes import (
    ADOPTION,
    CONTINUES,
    LS_CODES,
    PLACE_CODES,
    PLACEMENT_RNE,
    REC_CODES,
    REVIEW_CODES,
    RNE_CODES,
    SEX_CODES,
    SHORT_BREAK_LS,
    code_reason,
    placement_kind,
)
from ptrack.tracker.model import Event

SOURCE = "ssda903"
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                   "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")
REVIEW_COLUMNS = ("CHILD", "DOB", "REVIEW", "REVIEW_CODE")
MISSING_COLUMNS = ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END")
SW_EPISODE_COLUMNS = ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON")
PLACED_ADOPTION_COLUMNS = ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED")
# Tables of the return ptrack reads no deadline from: recognised by these columns, reported as not used.
UNUSED_TABLES = {
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
    "oc2": ("CHILD", "DOB", "SDQ_SCORE", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK"),
    "oc3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR"),
    "prevperm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
}
MISSING_KINDS = {"M": "missing", "A": "away"}
Item = tuple[int, Record] | Reject


@dataclass(slots=True)
class _Child:
    """What the mapper remembers about a child between episodes (file order)."""

    open: bool  # a period of care is open after the last episode
    short_break: bool
    last_decom: date
    last_dec: date | None


class Return903:
    """Maps SSDA903 rows (CSV) or groups (XML), keyed by lower-case column name, to records and rejects."""

    def __init__(self, file: str, ctx: Context) -> None:
        self.file = file
        self.ctx = ctx
        self.children: dict[str, _Child] = {}
        self._dates: dict[str, date] = {}

    # -- cells ----------------------------------------------------------------------------------------------

    def day(self, values: Mapping[str, str], column: str, *, required: bool = True) -> date | None:
        return self._day(values.get(column.lower(), ""), column, required)

    def _day(self, text: str, column: str, required: bool = True) -> date | None:
        cached = self._dates.get(text)  # keyed by the cell as read: a return holds few distinct dates
        if cached is not None:
            return cached
        stripped = text.strip()
        if not stripped:
            if required:
                raise RowError(column, "required")
            return None
        try:
            cached = parse_date(stripped)
        except FieldError as exc:
            raise RowError(column, str(exc)) from None
        if len(self._dates) >= 100_000:  # distinct spellings of dates are few; a hostile file's are not
            self._dates.clear()
        self._dates[text] = cached
        return cached

    @staticmethod
    def code(values: Mapping[str, str], column: str, allowed: frozenset[str]) -> str:
        return Return903._code(values.get(column.lower(), ""), column, allowed)

    @staticmethod
    def _code(text: str, column: str, allowed: frozenset[str]) -> str:
        if text in allowed:  # as most cells are: already upper case, no spaces
            return text
        value = text.strip().upper()
        reason = code_reason(column, value, allowed)
        if reason is not None:
            raise RowError(column, reason)
        return value

    def child_id(self, values: Mapping[str, str]) -> str:
        child = values.get("child", "").strip()
        if not child:
            raise RowError("CHILD", "required")
        if len(child) > 64:
            raise RowError("CHILD", "longer than 64 characters")
        if "\x00" in child or "\ufffd" in child:
            raise RowError("CHILD", "holds a NUL character or bytes that are not UTF-8: not an id")
        return child

    def guarded(self, line: int, work: Callable[[list[Item]], None]) -> list[Item]:
        """The items `work` appends for one row, or the row's reject if it raises `RowError`."""
        items: list[Item] = []
        try:
            work(items)
        except RowError as exc:
            return [Reject(self.file, line, exc.column, exc.reason)]
        return items

    # -- tables ---------------------------------------------------------------------------------------------

    def header(self, values: Mapping[str, str], line: int) -> list[Item]:
        def work(items: list[Item]) -> None:
            child = self.child_id(values)
            dob = self.day(values, "DOB")
            assert dob is not None
            if dob > self.ctx.today:
                raise RowError("DOB", f"{dob.isoformat()} is after today ({self.ctx.today.isoformat()})")
            self.ctx.dobs[child] = dob
            items.append((line, CaseDetails(child, dob)))
            self.field_check(items, line, lambda: self.code(values, "SEX", SEX_CODES))
        return self.guarded(line, work)

    def review(self, values: Mapping[str, str], line: int) -> list[Item]:
        def work(items: list[Item]) -> None:
            child = self.child_id(values)
            held = self.day(values, "REVIEW")
            assert held is not None
            check_event_date(child, held, self.ctx, case_column="CHILD", date_column="REVIEW")
            event_id = f"903:{child}:{held.isoformat()}:review_held"
            items.append((line, Event(event_id, child, "review_held", held)))
            if values.get("review_code", "").strip():
                self.field_check(items, line, lambda: self.code(values, "REVIEW_CODE", REVIEW_CODES))
        return self.guarded(line, work)

    def missing(self, values: Mapping[str, str], line: int) -> list[Item]:
        """A missing (M) or away (A) episode: `missing_start` on MIS_START and, once it has ended,
        `missing_end` on MIS_END (both keyed by the start, so a later return adding the end corrects nothing)."""
        def work(items: list[Item]) -> None:
            child = self.child_id(values)
            sub = MISSING_KINDS[self.code(values, "MISSING", frozenset(MISSING_KINDS))]
            start = self.day(values, "MIS_START")
            assert start is not None
            check_event_date(child, start, self.ctx, case_column="CHILD", date_column="MIS_START")
            prefix = f"903:{child}:{start.isoformat()}"
            items.append((line, Event(f"{prefix}:missing_start", child, "missing_start", start, subkind=sub)))
            self.field_check(items, line, lambda: self._missing_end(values, child, start, prefix, sub, line, items))
        return self.guarded(line, work)

    def _missing_end(self, values: Mapping[str, str], child: str, start: date, prefix: str, sub: str, line: int,
                     items: list[Item]) -> None:
        end = self.day(values, "MIS_END", required=False)
        if end is None:
            return  # still missing, or the end is not yet recorded
        if end < start:
            raise RowError("MIS_END", f"{end.isoformat()} is before MIS_START {start.isoformat()}")
        check_event_date(child, end, self.ctx, case_column="CHILD", date_column="MIS_END")
        items.append((line, Event(f"{prefix}:missing_end", child, "missing_end", end, subkind=sub)))

    def placed_adoption(self, values: Mapping[str, str], line: int) -> list[Item]:
        """DATE_PLACED is the decision that the child should be placed for adoption: `authority_to_place` when
        the council's config says so (import.placed_adoption_is_authority_to_place), else read and not used."""
        def work(items: list[Item]) -> None:
            child = self.child_id(values)
            decided = self.day(values, "DATE_PLACED")
            assert decided is not None
            check_event_date(child, decided, self.ctx, case_column="CHILD", date_column="DATE_PLACED")
            if self.ctx.options.placed_adoption_is_authority_to_place:
                items.append((line, Event(f"903:{child}:{decided.isoformat()}:authority_to_place", child,
                                          "authority_to_place", decided)))
        return self.guarded(line, work)

    def sw_episode(self, values: Mapping[str, str], line: int) -> list[Item]:
        """The social worker allocated from SW_DECOM to SW_DEC (open while blank)."""
        def work(items: list[Item]) -> None:
            child = self.child_id(values)
            sw_id = values.get("sw_id", "").strip()
            if not sw_id:
                raise RowError("SW_ID", "required")
            start = self.day(values, "SW_DECOM")
            assert start is not None
            check_event_date(child, start, self.ctx, case_column="CHILD", date_column="SW_DECOM")
            end = self.day(values, "SW_DEC", required=False)
            if end is not None and end < start:
                raise RowError("SW_DEC", f"{end.isoformat()} is before SW_DECOM {start.isoformat()}")
            items.append((line, Allocation(SOURCE, child, sw_id, start, end)))
        return self.guarded(line, work)

    def episode(self, values: Mapping[str, str], line: int) -> list[Item]:
        items: list[Item] = []
        try:
            self._episode(values, line, items)
        except RowError as exc:
            return [Reject(self.file, line, exc.column, exc.reason)]
        return items

    def field_check(self, items: list[Item], line: int, check: Callable[[], object]) -> bool:
        """Run a check whose failure rejects one field, not the row; True when it passed."""
        try:
            check()
        except RowError as exc:
            items.append(Reject(self.file, line, exc.column, exc.reason))
            return False
        return True

    # -- episodes -------------------------------------------------------------------------------------------

    def _episode(self, values: Mapping[str, str], line: int, items: list[Item]) -> None:
        # The hot path of a big return (a million rows): cells read once, events built positionally.
        get = values.get
        child = self.child_id(values)
        decom = self._day(get("decom", ""), "DECOM")
        assert decom is not None
        rne = self._code(get("rne", ""), "RNE", RNE_CODES)
        short = self._code(get("ls", ""), "LS", LS_CODES) in SHORT_BREAK_LS
        place = self._code(get("place", ""), "PLACE", PLACE_CODES)
        check_event_date(child, decom, self.ctx, case_column="CHILD", date_column="DECOM")
        state = self.children.get(child)
        if state is not None and state.last_dec is not None and state.last_decom < decom < state.last_dec:
            raise RowError("DECOM", f"{decom.isoformat()} overlaps the previous episode "
                                    f"({state.last_decom.isoformat()} to {state.last_dec.isoformat()})")
        prefix = f"903:{child}:{decom.isoformat()}"
        reopened = False
        if state is not None and state.open and rne != "S" and short != state.short_break:
            # A change of legal status into or out of short breaks (V3/V4) inside one period (REC X1 then a
            # new episode): the short-break arrangement ends and full care begins that day (reg 48), or the
            # other way round: two periods, the end and the start on one day.
            items.append((line, Event(f"{prefix}:looked_after_end", child, "looked_after_end", decom,
                                      note="legal status changed to or from short breaks (V3/V4)")))
            items.append((line, Event(f"{prefix}:looked_after_start", child, "looked_after_start", decom,
                                      "", None, "", None, short, "legal status changed to or from short breaks")))
            state = self.children[child] = _Child(True, short, decom, None)
            reopened = True
        elif rne == "S" or state is None or not state.open:
            note = "" if rne == "S" else (
                f"period start inferred: episode with RNE {rne} and no open period of care in this return "
                "(began before the collection year?)")
            items.append((line, Event(f"{prefix}:looked_after_start", child, "looked_after_start", decom,
                                      "", None, "", None, short, note)))
            state = self.children[child] = _Child(True, short, decom, None)
        if rne in PLACEMENT_RNE or reopened:
            kind, until18 = placement_kind(place, self.ctx.connected_place_codes)
            items.append((line, Event(f"{prefix}:placement_start", child, "placement_start", decom, kind, until18)))
            if place in ADOPTION:  # A3-A6: placed for adoption (with consent or under a placement order)
                items.append((line, Event(f"{prefix}:placed_for_adoption", child, "placed_for_adoption", decom)))
        dec_text, rec_text = get("dec", ""), get("rec", "")
        dec = self._end(dec_text, rec_text, line, decom, items) if dec_text or rec_text else None
        state.last_decom, state.last_dec = decom, (dec[0] if dec else None)
        if dec is not None and dec[1] != CONTINUES:
            items.append((line, Event(f"{prefix}:placement_end", child, "placement_end", dec[0])))
            items.append((line, Event(f"{prefix}:looked_after_end", child, "looked_after_end", dec[0])))
            state.open = False

    def _end(self, dec_text: str, rec_text: str, line: int, decom: date, items: list[Item]) -> tuple[date, str] | None:
        """(DEC, REC) when the episode ended; a field that cannot be used is rejected and the end ignored."""
        rec = rec_text.strip().upper()
        try:
            dec = self._day(dec_text, "DEC", required=False)
            if dec is None:
                if rec:
                    raise RowError("REC", f"{rec!r} has no DEC: the episode's end is ignored")
                return None
            if dec < decom:
                raise RowError("DEC", f"{dec.isoformat()} is before DECOM {decom.isoformat()}")
            if dec > self.ctx.today:
                raise RowError("DEC", f"{dec.isoformat()} is after today ({self.ctx.today.isoformat()})")
            if not rec:
                raise RowError("DEC", f"{dec.isoformat()} has no REC: the episode's end is ignored")
            return dec, self._code(rec, "REC", REC_CODES)
        except RowError as exc:
            items.append(Reject(self.file, line, exc.column, exc.reason))
            return None


@dataclass(frozen=True)
class Csv903Format:
    """One SSDA903 CSV table, recognised by its exact column set."""

    name: str
    target: str
    columns: tuple[str, ...]
    table: str  # "header", "episode" or "review": the `Return903` method for its rows
    source: str = SOURCE

    note: str = ""  # said in the import report of every file of this table

    def missing_columns(self, header: Sequence[str]) -> list[str]:
        """Matched by name, not position: columns in any order, and columns of later collection years (or a
        council's own) beside them, are read and dropped."""
        got = {h.strip().lower() for h in header}
        return sorted(c for c in self.columns if c.lower() not in got)

    def note_for(self, ctx: Context) -> str:
        if self.table == "placed_adoption" and not ctx.options.placed_adoption_is_authority_to_place:
            return ("PlacedAdoption: not used for deadlines (config import.placed_adoption_is_authority_to_place "
                    "is false: DATE_PLACED is read as the decision to place, not the authority to place)")
        return self.note

    def records(self, path: Path, ctx: Context) -> Iterator[Item]:
        if self.table == "unused":
            return
        mapper = Return903(path.name, ctx)
        handle: Callable[[Mapping[str, str], int], list[Item]] = getattr(mapper, self.table)
        for row in read_rows(path):
            if isinstance(row, Reject):
                yield row
            else:
                yield from handle(row.values, row.line)


SSDA903_HEADER = Csv903Format("ssda903_header", "cases", HEADER_COLUMNS, "header")
SSDA903_EPISODES = Csv903Format("ssda903_episodes", "events", EPISODE_COLUMNS, "episode")
SSDA903_REVIEWS = Csv903Format("ssda903_reviews", "events", REVIEW_COLUMNS, "review")
SSDA903_MISSING = Csv903Format("ssda903_missing", "events", MISSING_COLUMNS, "missing")
SSDA903_PLACED_ADOPTION = Csv903Format("ssda903_adoption", "events", PLACED_ADOPTION_COLUMNS,
                                       "placed_adoption")
SSDA903_SW_EPISODES = Csv903Format("ssda903_sw_episodes", "events", SW_EPISODE_COLUMNS, "sw_episode")
SSDA903_UNUSED = tuple(
    Csv903Format(f"ssda903_{name}", "events", columns, "unused",
                 note=f"{name.upper() if name != 'prevperm' else 'PrevPerm'}: recognised; not used for deadlines "
                      "(nothing stored)")
    for name, columns in UNUSED_TABLES.items()
)
SSDA903_CSV_FORMATS = (SSDA903_HEADER, SSDA903_EPISODES, SSDA903_REVIEWS, SSDA903_MISSING,
                       SSDA903_PLACED_ADOPTION, SSDA903_SW_EPISODES, *SSDA903_UNUSED)
