"""Whether the stored deadlines are up to date, and bringing them up to date before they are read.

Deadlines are stale when an import or a void touched a case and its recompute has not finished (a crash, a
kill, a full disk: the marks in `stale_cases` survive them), or when the active rule set or calendar is not the
one the deadlines were computed with (a config, rule-pack or calendar change). Every command that reads
deadlines calls `refresh` first: it recomputes what is stale, or says why it could not (a read-only
database); `ptrack doctor` fails while anything is stale; the daemon refreshes at start and before it sends."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.errors import StoreError
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import RecomputeReport, recompute
from ptrack.tracker.store import Store, stale
from ptrack.tracker.store import queries as q


@dataclass(frozen=True)
class Staleness:
    active: tuple[str, str]  # (rule set, calendar) versions of the running config
    marked: int = 0  # cases an import or a void touched whose deadlines are not yet recomputed
    reasons: list[tuple[str, int]] = field(default_factory=list)
    computed_with: tuple[str, str] | None = None  # the versions every case was last computed with
    other_version: int = 0  # cases with a deadline computed with another version
    mixed: bool = False  # whether deadlines of several versions may be stored (so `other_version` was counted)

    @property
    def version_changed(self) -> bool:
        return self.computed_with is not None and self.computed_with != self.active

    @property
    def stale(self) -> bool:
        return bool(self.marked or self.version_changed or self.other_version)

    def describe(self) -> str:
        parts = []
        if self.marked:
            why = "; ".join(f"{n} from {reason}" for reason, n in self.reasons)
            parts.append(f"{self.marked} cases have events not yet in their deadlines ({why})")
        if self.version_changed and self.computed_with is not None:
            parts.append(f"deadlines were computed with another rule-set/calendar version (rule set "
                         f"{self.computed_with[0]}, calendar {self.computed_with[1]}; the config now gives "
                         f"rule set {self.active[0]}, calendar {self.active[1]})")
        elif self.other_version:
            parts.append(f"{self.other_version} cases have deadlines computed with another rule-set/calendar "
                         f"version")
        return "; ".join(parts) or "deadlines are up to date"


def staleness(store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar) -> Staleness:
    """What is stale. Deadlines of another version than every case's are looked for (a scan of every deadline)
    only where they can be: a database that never recorded its versions, or one a recompute of some cases
    with another config left mixed; otherwise the recorded versions say it at once."""
    active = (ruleset.version, calendar.version)
    with store.reading("checking for stale deadlines") as conn:
        computed_with = stale.computed_with(conn)
        mixed = computed_with is None or stale.mixed_versions(conn)
        other = len(q.stale_case_ids(conn, *active)) if mixed else 0
        return Staleness(active, stale.count_marked(conn), stale.reasons(conn), computed_with, other, mixed)


def stale_case_ids(store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar) -> list[str]:
    """The cases to recompute when the versions every case was computed with are still the active ones."""
    with store.reading("looking for stale deadlines") as conn:
        return sorted(set(stale.marked(conn)) | set(q.stale_case_ids(conn, ruleset.version, calendar.version)))


@dataclass(frozen=True)
class Refresh:
    before: Staleness
    after: Staleness
    report: RecomputeReport | None = None  # None: nothing was stale, or the recompute could not run
    error: str = ""  # why the stale deadlines could not be recomputed (a read-only database, a full disk)

    @property
    def recomputed(self) -> int:
        return self.report.cases if self.report is not None else 0


def refresh(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, as_of: date, now: datetime
) -> Refresh:
    """Recompute whatever is stale: every case after a rule-set or calendar change, else the marked cases and
    those with a deadline of another version. A database that cannot be written leaves them stale and says
    why in `error`; a case the engine cannot compute stays stale (`after`, and the report's `failed`)."""
    before = staleness(store, ruleset, calendar)
    if not before.stale:
        return Refresh(before, before)
    try:
        report = recompute_stale(store, ruleset, calendar, as_of, now, before)
        after = staleness(store, ruleset, calendar)
        if after.mixed and after.computed_with == after.active and not after.other_version:
            with store.transaction("recording that every deadline has the active versions") as conn:
                stale.clear_mixed_versions(conn)
            after = replace(after, mixed=False)
    except StoreError as exc:
        return Refresh(before, staleness(store, ruleset, calendar), None, str(exc))
    return Refresh(before, after, report)


def recompute_stale(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, as_of: date, now: datetime | None = None,
    known: Staleness | None = None,
) -> RecomputeReport:
    """Recompute what is stale (see `refresh`) and return the recompute's report; `StoreError` if it fails."""
    found = known or staleness(store, ruleset, calendar)
    if found.version_changed:
        return recompute(store, ruleset, calendar, as_of, None, now)
    return recompute(store, ruleset, calendar, as_of, stale_case_ids(store, ruleset, calendar), now)
