"""The nightly drop folder: import every new file, then move each to `processed/` or `failed/` with its import
report beside it (`<name>.report.json`). The daemon's 02:30 job and `ptrack import --drop-folder` call
`import_drop_folder`.

Whoever can write the folder must not be able to make ptrack read or write anything else, so:
- only regular files that are not symbolic links (nor hard links to another file) are read; each is first moved
  into ptrack's private work folder (`.ptrack-importing/`, 0700) and checked there again after opening it
  without following links, so it cannot be swapped for a link between the check and the import. A refused
  entry is moved (the link itself, never its target) to `failed/` with a report that says why;
- an error never quotes a file's content (an unknown header is described by its number of columns);
- reports are created new (never through an existing name or link), 0600, and files move by renaming inside
  the opened folders; a `processed/`, `failed/` or work folder that is a link refuses the whole run.

A file whose content (sha256) was already imported without rejects is not imported again: it moves to
`processed/` with a report saying so. A file with rejected rows is imported again when dropped again (its
good rows are unchanged, its rejected rows load once their cause is fixed); `retry_failed` puts the files of
`failed/`, and those of `processed/` whose report had rejects, back in the folder first. Files are detected
one by one (an unreadable file fails alone) and imported cases before people before events; they move only
after all are imported, because SSD tables read the tables beside them. The batch of each file (name, hash,
counts, duration) is in `import_batches`, and a run that imported without a whole-file failure records
`last_successful_import_at` (services.import_paths). A run killed half-way leaves its files in the work
folder; the next run puts them back and imports them."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker import private_files as pf
from ptrack.tracker.config import Config, ImportConfig
from ptrack.tracker.errors import ConfigError, PtrackError
from ptrack.tracker.importing import ImportReport, detect_format
from ptrack.tracker.importing.reader import file_sha256
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import import_paths
from ptrack.tracker.store import Store, extracts

PROCESSED = "processed"
FAILED = "failed"
WORK = ".ptrack-importing"
REPORT = ".report.json"
MAX_REPORT_BYTES = 10_000_000


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
    retried: list[str] = field(default_factory=list)  # the files put back from failed/ and processed/

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


def _waiting(name: str) -> bool:
    """A name the folder's writers use for a finished file (not hidden, not a report, not a partial upload)."""
    return not name.startswith(".") and not name.endswith((".report.json", ".part", ".tmp"))


@dataclass
class _Folders:
    """The drop folder and its subfolders, opened once (descriptors), so every name is resolved inside them."""

    where: Path
    top: int
    processed: int
    failed: int
    work_root: int
    work: int
    work_path: Path  # how the importers reach the work folder: through its descriptor where the OS allows
    stamp: str

    @classmethod
    def open(cls, where: Path, now: datetime) -> _Folders:
        fds: list[int] = []
        try:
            fds.append(pf.open_folder(where, what=f"drop folder {where}"))
            for name in (PROCESSED, FAILED, WORK):
                fds.append(pf.open_folder(name, dir_fd=fds[0], create=True, what=f"drop folder {where / name}"))
            # the work folder is named like the drop folder, so a full-extract subfolder ("nightly/") is kept
            sub = where.name or "drop"
            fds.append(pf.open_folder(sub, dir_fd=fds[3], create=True, what=f"drop folder {where / WORK}"))
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        # Through /proc/self/fd the importers' paths start at the folder opened here: renaming or replacing
        # `.ptrack-importing` in the drop folder (which its writers can do) cannot redirect them.
        root = Path(f"/proc/self/fd/{fds[3]}") if Path("/proc/self/fd").is_dir() else where / WORK
        return cls(where, fds[0], fds[1], fds[2], fds[3], fds[4], root / sub, now.strftime("%Y%m%dT%H%M%S"))

    def close(self) -> None:
        for fd in (self.top, self.processed, self.failed, self.work_root, self.work):
            os.close(fd)

    def names(self, fd: int) -> list[str]:
        """The entries of a folder that are not folders (files, links, anything else), by name."""
        with os.scandir(fd) as entries:
            return sorted(e.name for e in entries if _waiting(e.name) and not e.is_dir(follow_symlinks=False))


def import_drop_folder(
    store: Store, config: Config, ruleset: RuleSet, calendar: WorkingDayCalendar, today: date,
    folder: Path | None = None, now: datetime | None = None, *, retry_failed: bool = False,
) -> DropFolderReport:
    """`now`: the instant of the import, from the caller's clock (None: noon UTC on `today`). `retry_failed`:
    first put back the files of `failed/` and the files of `processed/` whose report had rejects."""
    where = drop_folder_path(config, folder)
    now = now or datetime.combine(today, dtime(12), UTC)
    report = DropFolderReport(str(where), now.isoformat(timespec="seconds"))
    dirs = _Folders.open(where, now)
    try:
        for name in dirs.names(dirs.work):  # left there by a run that was killed: import them again
            os.rename(name, pf.free_name(name, dirs.top, dirs.stamp), src_dir_fd=dirs.work, dst_dir_fd=dirs.top)
        if retry_failed:
            report.retried = retry(dirs)
        _import_all(store, config, ruleset, calendar, today, now, dirs, report)
    finally:
        dirs.close()
    return report


def _import_all(
    store: Store, config: Config, ruleset: RuleSet, calendar: WorkingDayCalendar, today: date, now: datetime,
    dirs: _Folders, report: DropFolderReport,
) -> None:
    refused: dict[str, FileOutcome] = {}
    claimed: list[Path] = []
    for name in dirs.names(dirs.top):
        problem = _claim(name, dirs)
        if problem is None:
            claimed.append(dirs.work_path / name)
        else:
            refused[name] = FileOutcome(name, "", "failed", message=f"{name}: {problem}; not read")
    hashes = {p: file_sha256(p) for p in claimed}
    with store.reading("checking which files were imported") as conn:
        done = extracts.imported_hashes(conn, sorted(set(hashes.values())))
    outcomes = {p: FileOutcome(p.name, hashes[p], "already_imported") for p in claimed if hashes[p] in done}
    todo = [p for p in claimed if p not in outcomes and _detectable(p, outcomes, hashes)]
    codes = frozenset(config.import_settings.connected_person_place_codes)
    for path in _in_import_order(todo):
        outcomes[path] = _import_one(store, path, hashes[path], ruleset, calendar, today, codes, now,
                                     config.import_settings)
    moves = [(p.name, dirs.work, outcomes[p]) for p in claimed] + [(n, dirs.top, o) for n, o in refused.items()]
    for name, source, outcome in sorted(moves, key=lambda m: m[0]):
        outcome.message = outcome.message.replace(str(dirs.work_path), str(dirs.where))  # where it was dropped
        _move(dirs, name, source, outcome)
        report.files.append(outcome)


def _claim(name: str, dirs: _Folders) -> str | None:
    """Move one entry of the drop folder into the work folder if it is a regular file of its own, and check
    there that the file opened (without following links) is the one checked. Why not, or None when claimed."""
    try:
        before = os.stat(name, dir_fd=dirs.top, follow_symlinks=False)
    except FileNotFoundError:
        return "vanished before it could be read"
    problem = _not_plain(before)
    if problem:
        return problem
    os.rename(name, name, src_dir_fd=dirs.top, dst_dir_fd=dirs.work)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dirs.work)
    except OSError:
        after = None
    else:
        after = os.fstat(fd)
        os.close(fd)
    if after is None or _not_plain(after) or (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
        os.rename(name, name, src_dir_fd=dirs.work, dst_dir_fd=dirs.top)  # it goes to failed/ from there
        return "was replaced while being checked (by a link or another file)"
    return None


def _not_plain(st: os.stat_result) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        return ("a symbolic link: ptrack imports only regular files inside the drop folder and never follows a "
                "link; put the file itself in the folder")
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a device, pipe or socket); ptrack imports only regular files"
    if st.st_nlink > 1:
        return ("a regular file with other hard links (it may be a file from elsewhere); ptrack imports only "
                "files of their own; copy the file into the folder")
    return None


def retry(dirs: _Folders) -> list[str]:
    """Put back in the drop folder the files of `failed/` and the files of `processed/` whose report says they
    had rejected rows (their reports go), so that this run imports them again. The names put back."""
    back: list[str] = []
    for fd in (dirs.failed, dirs.processed):
        for name in dirs.names(fd):
            if fd == dirs.processed and _report_status(name, fd) != "rejects":
                continue
            new = pf.free_name(name, dirs.top, dirs.stamp)
            os.rename(name, new, src_dir_fd=fd, dst_dir_fd=dirs.top)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name + REPORT, dir_fd=fd)
            back.append(new)
    return back


def _report_status(name: str, fd: int) -> str:
    """The `status` in the report beside a processed file ("" when there is none or it cannot be read)."""
    try:
        rfd = os.open(name + REPORT, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    except OSError:
        return ""
    with os.fdopen(rfd, "rb") as f:
        if not stat.S_ISREG(os.fstat(rfd).st_mode):
            return ""
        try:
            data = json.loads(f.read(MAX_REPORT_BYTES))
        except ValueError:
            return ""
    return str(data.get("status", "")) if isinstance(data, dict) else ""


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


def _move(dirs: _Folders, name: str, source: int, outcome: FileOutcome) -> None:
    """Rename the entry (a link itself, never its target) into processed/ or failed/ under a free name, then
    create its report there, new and private."""
    failed = outcome.status == "failed"
    target, sub = (dirs.failed, FAILED) if failed else (dirs.processed, PROCESSED)
    destination = pf.free_name(name, target, dirs.stamp, REPORT)
    os.rename(name, destination, src_dir_fd=source, dst_dir_fd=target)
    outcome.moved_to = str(dirs.where / sub / destination)
    text = json.dumps(asdict(outcome), indent=2, default=str) + "\n"
    pf.write_new(destination + REPORT, text.encode("utf-8"), target)
