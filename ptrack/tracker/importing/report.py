"""What an import did, file by file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

MAX_REJECTS_KEPT = 1000  # in the report; every reject is stored in `rejected_rows`
MAX_REASON = 400  # characters of a reason kept: a reason quoting a hostile cell stays small in memory and store


@dataclass(frozen=True)
class Reject:
    """A row that was not loaded, located as `file:line: field: reason` (line 1 is the header)."""

    file: str
    line: int
    field: str
    reason: str

    def __post_init__(self) -> None:
        # Every database stores the reason: no NUL (PostgreSQL refuses it in text), no unbounded length.
        reason = self.reason.replace("\x00", "\\x00")
        if len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 3] + "..."
        if reason != self.reason:
            object.__setattr__(self, "reason", reason)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


@dataclass
class ImportReport:
    """One file's import. `rows_read` = loaded + unchanged + corrected + rejected. A dry run writes nothing
    (`batch_id` is None); `rejects` holds the first `MAX_REJECTS_KEPT`, `rows_rejected` counts them all."""

    file: str
    format: str
    sha256: str = ""
    dry_run: bool = False
    batch_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_unchanged: int = 0
    rows_corrected: int = 0
    rows_rejected: int = 0  # rows not stored
    rows_warned: int = 0  # rows stored with a field ignored (among loaded, unchanged, corrected)
    events_created: int = 0  # new events (a row can give several, an SSDA903 episode up to four)
    cases_recomputed: int = 0
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[Reject] = field(default_factory=list)  # field problems of stored rows, the first 1,000
    last_line: int = field(default=0, repr=False)
    affected_cases: set[str] = field(default_factory=set, repr=False)
    # The cases whose events this file wrote (new or corrected: the rows holding its batch id), so that finding
    # them again reads those cases' events by index, not every event for the batch id.
    event_cases: set[str] = field(default_factory=set, repr=False)
    source: str = ""  # where its events come from (`ptrack coverage`)
    events_same_as: int = 0  # events another source had already supplied: kept as provenance, stored once
    full_extract: bool = False
    events_voided: int = 0  # full extract: stored events of this source and format absent from the file
    events_restored: int = 0  # full extract: events voided by an earlier extract, back in this one
    voided: list[tuple[str, str, str, date]] = field(default_factory=list)  # (event_id, case, kind, date), first
    void_note: str = ""  # why a full extract voided nothing although it was one
    # docs/rules.md: events of this file stored but used by no deadline, each with the reason (a warning, not a
    # reject: the row is stored and `ptrack explain CASE` lists it too). The first MAX_REJECTS_KEPT are kept.
    events_unused: int = 0
    unused: list[str] = field(default_factory=list)
    unused_note: str = ""
    event_kinds: dict[str, date] = field(default_factory=dict, repr=False)  # kind -> latest event date read
    note: str = ""  # what the format says about the file as a whole (a table recognised but not used)

    @property
    def has_rejects(self) -> bool:
        return self.rows_rejected > 0

    def reject(self, item: Reject) -> None:
        if len(self.rejects) < MAX_REJECTS_KEPT:
            self.rejects.append(item)

    def warn(self, item: Reject) -> None:
        if len(self.warnings) < MAX_REJECTS_KEPT:
            self.warnings.append(item)

    def summary(self) -> str:
        verb = "would load" if self.dry_run else "loaded"
        return (
            f"{self.file} ({self.format}): {self.rows_read} rows read, {verb} {self.rows_loaded}, "
            f"unchanged {self.rows_unchanged}, corrected {self.rows_corrected}, rejected {self.rows_rejected}"
            f"; {self.rows_warned} stored with warnings; {self.events_created} events created"
        )
