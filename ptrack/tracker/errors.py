"""The one exception hierarchy of ptrack. Foreign exceptions (SQLAlchemy, OS, csv) are mapped at the edge.

    PtrackError                 base; the CLI prints str(error) as one line and exits non-zero
    ├── ConfigError             invalid config file or key (names the key and the reason)
    ├── RulePackError           a rule pack is wrong (names the pack, rule id and reason)
    ├── ImportFileError         a whole file cannot be read (unknown format, not CSV); row problems are rejects
    ├── StoreError              database unreachable, not initialised, migration failure
    ├── NotFoundError           a case, rule or other named thing does not exist
    └── CalendarError           (ptrack.calendars.errors) coverage and counting problems, re-exported here
"""

from __future__ import annotations

from ptrack.calendars.errors import CalendarCoverageError, CalendarError


class PtrackError(Exception):
    """Base of every error ptrack raises on purpose."""


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
    "ConfigError",
    "ImportFileError",
    "NotFoundError",
    "PtrackError",
    "RulePackError",
    "StoreError",
]
