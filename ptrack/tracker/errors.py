"""The one exception hierarchy of ptrack: every failure a user can meet is one of these, documented here and in
docs/architecture.md ("Errors"). Foreign exceptions (SQLAlchemy, OS, csv, expat, HTTP, SMTP) are mapped at the
edge; one that escapes anyway is a bug: the CLI prints it as one "unexpected" line (the traceback with --verbose)
and the daemon logs it with its traceback.

    PtrackError                 (ptrack.errors) base; the CLI prints str(error) as one line and exits 1
    ├── ConfigError             invalid config file or key (names the key and the reason); a binary or huge file
    │   └── CronError           (ptrack.tracker.daemon.settings) a [daemon] schedule that is not a usable cron string
    ├── RulePackError           a rule pack is wrong (names the pack, rule id and reason)
    ├── ImportFileError         a whole file cannot be read (unknown format, over a size limit, an XML entity
    │                           or DTD subset); a row's problems are located rejects, never exceptions
    ├── StoreError              database unreachable, not initialised, migration failure
    ├── NotFoundError           a case, rule or other named thing does not exist
    ├── CalendarError           (ptrack.calendars.errors) calendar problems, re-exported here
    │   ├── CalendarCoverageError   a date outside the years the calendar covers
    │   └── CountingError           a counting request that makes no sense
    ├── DisputeError            (ptrack.tracker.disputes.ladder) a dispute command that cannot be done
    ├── UsageError              (ptrack.cli.state) a bad command-line value
    ├── DeliveryError           (ptrack.notifiers.base) a send failed; says whether a retry can help
    ├── ImportFailed            (ptrack.tracker.daemon.jobs) the daemon's night import moved a file aside
    └── StaleDeadlines          (ptrack.tracker.daemon.jobs) stale deadlines could not all be recomputed

Inside the importers, `FieldError` and `RowError` carry one cell's or row's problem to the row loop, which turns
it into a located reject (`file:line: field: reason`); they never reach a user as exceptions."""

from __future__ import annotations

from ptrack.calendars.errors import CalendarCoverageError, CalendarError, CountingError
from ptrack.errors import PtrackError


class ConfigError(PtrackError):
    pass


class RulePackError(PtrackError):
    def __init__(self, pack: str, rule_id: str, reason: str) -> None:
        self.pack = pack
        self.rule_id = rule_id
        self.reason = reason
        where = f"rule {rule_id}" if rule_id else "pack"
        super().__init__(f"rule pack {pack!r}: {where}: {reason}")


class ImportFileError(PtrackError):
    pass


class StoreError(PtrackError):
    pass


class NotFoundError(PtrackError):
    pass


__all__ = [
    "CalendarCoverageError",
    "CalendarError",
    "CountingError",
    "ConfigError",
    "ImportFileError",
    "NotFoundError",
    "PtrackError",
    "RulePackError",
    "StoreError",
]
