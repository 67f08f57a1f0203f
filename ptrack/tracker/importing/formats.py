"""File formats: each turns a file into domain records (`Case`, `Person` or `Event`) and located rejects.

The canonical CSVs of docs/importing.md live here; another format (SSDA903, SSD) is one more `FileFormat` registered in
`FORMATS` and is detected by its header the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Protocol, TypeVar

from ptrack.tracker.importing.extract_records import Allocation, CaseDetails, CaseSystemDue
from ptrack.tracker.importing.fields import FieldError
from ptrack.tracker.importing.reader import read_rows
from ptrack.tracker.importing.report import Reject
from ptrack.tracker.model import Case, Event, Person

# Case-system extracts (SSDA903, SSD) also give partial case details and the case system's own due dates.
Record = Case | Person | Event | CaseDetails | CaseSystemDue | Allocation
TARGET_ORDER = {"cases": 0, "people": 1, "events": 2}  # cases before people before events


HEALTH_CHECK_CLASSES = frozenset({"initial", "review", "dental", "other"})


@dataclass(frozen=True)
class ExtractOptions:
    """What a council's config says about its case-system extracts (config `[import]`, docs/importing.md)."""

    # SSDA903 PlacedAdoption's DATE_PLACED is the decision that the child should be placed for adoption; it
    # becomes `authority_to_place` only where the council says its return records the authority (the placement
    # order or s19 consent) there.
    placed_adoption_is_authority_to_place: bool = False
    # SSD `clah_health_check_type` is free text: each council's values (lower case) -> initial, review, dental
    # or other. A value not listed is reported, never guessed.
    health_check_types: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """What row validation needs besides the row: today's date and the known cases' dates of birth (which a
    cases file in the same import, dry run or not, adds to)."""

    today: date
    dobs: dict[str, date | None] = field(default_factory=dict)
    # SSDA903 PLACE codes this council uses for connected-person placements (config import.*).
    connected_place_codes: frozenset[str] = frozenset()
    # Called with the rows read so far while a file loads (a progress bar on a terminal).
    progress: Callable[[str, int], None] | None = None
    # The instant of the import (batches, history): passed in by the caller, never read from the wall clock
    # here; None stands for noon UTC on `today`.
    now: datetime | None = None
    # Full extracts (config `[import] full_extract`): format names and drop-folder subfolders ("nightly/").
    full_extract: frozenset[str] = frozenset()
    max_void_share: float = 0.10
    allow_mass_void: bool = False
    options: ExtractOptions = field(default_factory=ExtractOptions)
    # The days the working-day calendar covers: an event before `earliest` (its deadlines cannot be counted) or
    # a case system's due date after `latest` is rejected.
    earliest: date = date.min
    latest: date = date.max

    def is_full_extract(self, path: Path, fmt_name: str) -> bool:
        return fmt_name in self.full_extract or f"{path.parent.name}/" in self.full_extract

    @property
    def instant(self) -> datetime:
        return self.now or datetime.combine(self.today, time(12), UTC)


class RowError(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


class FileFormat(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def target(self) -> str:
        """"cases", "people" or "events": what the records are and where they are stored."""
        ...

    @property
    def source(self) -> str:
        """For events: the system they come from; event ids are unique per source."""
        ...

    def missing_columns(self, header: Sequence[str]) -> list[str]: ...

    def records(self, path: Path, ctx: Context) -> Iterator[tuple[int, Record] | Reject]: ...


T = TypeVar("T")
RowParser = Callable[[Mapping[str, str], Context], Record]


@dataclass(frozen=True)
class CsvFormat:
    """A CSV whose rows each become one record through `parse`, which raises `RowError` naming the column."""

    name: str
    target: str
    required: frozenset[str]
    parse: RowParser
    source: str = "csv"

    def missing_columns(self, header: Sequence[str]) -> list[str]:
        return sorted(self.required - set(header))

    def records(self, path: Path, ctx: Context) -> Iterator[tuple[int, Record] | Reject]:
        file, parse = path.name, self.parse
        for row in read_rows(path):
            if isinstance(row, Reject):
                yield row
                continue
            try:
                yield row.line, parse(row.values, ctx)
            except RowError as exc:
                yield Reject(file, row.line, exc.column, exc.reason)


def cell(values: Mapping[str, str], column: str, parser: Callable[[str], T]) -> T:
    """Parse one cell, turning a `FieldError` into a `RowError` that names the column."""
    try:
        return parser(values.get(column, ""))
    except FieldError as exc:
        raise RowError(column, str(exc)) from None
