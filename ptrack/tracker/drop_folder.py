"""The nightly drop folder: import every new file, then move each to `processed/` or `failed/` with its import
report beside it (`<name>.report.json`). The daemon's 02:30 job and `ptrack import --drop-folder` call
`import_drop_folder`.

A file whose content (sha256) was already imported successfully is not imported again: it moves to
`processed/` with a report saying so. Files are detected one by one (an unreadable file fails alone) and
imported cases before people before events; they move only after all are imported, because SSD tables read
the tables beside them. The batch of each file (name, hash, counts, duration) is in `import_batches`, and a
run that imported without a whole-file failure records `last_successful_import_at` (services.import_paths)."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.config import Config, ImportConfig
from ptrack.tracker.errors import ConfigError, PtrackError
from ptrack.tracker.importing import ImportReport, detect_format
from ptrack.tracker.importing.reader import file_sha256
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import import_paths
from ptrack.tracker.store import Store, extracts

PROCESSED = "processed"
FAILED = "failed"


@dataclass
class FileOutcome:
    file: str
    sha256: str
    status: str  # imported | rejects | already_imported | failed
    moved_to: str = ""
    seconds: float = 0.0
    message: str = ""
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class DropFolderReport:
    folder: str
    started_at: str
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(f.status == "failed" for f in self.files)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


def drop_folder_path(config: Config, override: Path | None = None) -> Path:
    folder = override or config.import_settings.drop_folder
    if folder is None:
        raise ConfigError("import.drop_folder: not set; set it in the config or pass the folder")
    if not folder.is_dir():
        raise ConfigError(f"import.drop_folder: {folder} is not a folder; create it or fix the path")
    return folder


def new_files(folder: Path) -> list[Path]:
    """Files waiting in the folder (not hidden, not reports, not partial uploads ending in .part/.tmp)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and not p.name.endswith((".report.json", ".part", ".tmp")))


def import_drop_folder(
    store: Store, config: Config, ruleset: RuleSet, calendar: WorkingDayCalendar, today: date,
    folder: Path | None = None, now: datetime | None = None,
) -> DropFolderReport:
    """`now`: the instant of the import, from the caller's clock (None: noon UTC on `today`)."""
    where = drop_folder_path(config, folder)
    now = now or datetime.combine(today, dtime(12), UTC)
    report = DropFolderReport(str(where), now.isoformat(timespec="seconds"))
    files = new_files(where)
    hashes = {p: file_sha256(p) for p in files}
    with store.reading("checking which files were imported") as conn:
        done = extracts.imported_hashes(conn, sorted(set(hashes.values())))
    outcomes = {p: FileOutcome(p.name, hashes[p], "already_imported") for p in files if hashes[p] in done}
    todo = [p for p in files if p not in outcomes and _detectable(p, outcomes, hashes)]
    codes = frozenset(config.import_settings.connected_person_place_codes)
    for path in _in_import_order(todo):
        outcomes[path] = _import_one(store, path, hashes[path], ruleset, calendar, today, codes, now,
                                     config.import_settings)
    for path in files:
        outcome = outcomes[path]
        _move(where, path, outcome)
        report.files.append(outcome)
    return report


def _detectable(path: Path, outcomes: dict[Path, FileOutcome], hashes: dict[Path, str]) -> bool:
    try:
        detect_format(path)
    except PtrackError as exc:
        outcomes[path] = FileOutcome(path.name, hashes[path], "failed", message=str(exc))
        return False
    return True


def _in_import_order(paths: list[Path]) -> list[Path]:
    from ptrack.tracker.importing.formats import TARGET_ORDER
    return sorted(paths, key=lambda p: TARGET_ORDER[detect_format(p).target])


def _import_one(
    store: Store, path: Path, sha: str, ruleset: RuleSet, calendar: WorkingDayCalendar, today: date,
    codes: frozenset[str], now: datetime, full: ImportConfig,
) -> FileOutcome:
    start = time.perf_counter()
    try:
        [result] = import_paths(store, [path], today=today, ruleset=ruleset, calendar=calendar,
                                connected_person_place_codes=codes, now=now,
                                full_extract=full.full_extract, max_void_share=full.max_void_share,
                                options=full.extract_options())
    except PtrackError as exc:
        return FileOutcome(path.name, sha, "failed", seconds=time.perf_counter() - start, message=str(exc))
    status = "rejects" if result.has_rejects else "imported"
    return FileOutcome(path.name, sha, status, seconds=round(time.perf_counter() - start, 3),
                       report=report_json(result))


def report_json(report: ImportReport) -> dict[str, Any]:
    data = asdict(report)
    data.pop("affected_cases", None)
    data["event_kinds"] = {kind: day.isoformat() for kind, day in report.event_kinds.items()}
    data["voided"] = [[event_id, case_id, kind, day.isoformat()] for event_id, case_id, kind, day in report.voided]
    data["rejects"] = [str(r) for r in report.rejects]
    data["warnings"] = [str(r) for r in report.warnings]
    data.pop("last_line", None)
    return data


def _move(folder: Path, path: Path, outcome: FileOutcome) -> None:
    target = folder / (FAILED if outcome.status == "failed" else PROCESSED)
    target.mkdir(exist_ok=True)
    destination = target / path.name
    if destination.exists():  # a file of the same name from an earlier night: keep both
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        destination = target / f"{path.stem}.{stamp}{path.suffix}"
    shutil.move(path, destination)
    outcome.moved_to = str(destination)
    report_path = destination.with_name(destination.name + ".report.json")
    report_path.write_text(json.dumps(asdict(outcome), indent=2, default=str) + "\n", encoding="utf-8")
