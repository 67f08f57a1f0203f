"""Files and folders ptrack creates hold special-category data: they are private to the service account (files
0600, folders 0700) whatever the umask, and they are written without following symbolic links, so a link
planted where ptrack writes (a report name in `processed/`, a `failed/` folder) can never redirect a write to
another file the service can write (its database, say).

The functions work on directory file descriptors (`dir_fd`): a name is resolved inside the folder that was
opened, never through a path that could change between a check and its use."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ptrack.tracker.errors import ImportFileError

FILE_MODE = 0o600
DIR_MODE = 0o700
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def open_folder(name: str | Path, *, dir_fd: int | None = None, create: bool = False, what: str = "") -> int:
    """A descriptor of the folder `name` (inside `dir_fd` when given), created 0700 if missing and `create`.
    A symbolic link or anything other than a folder there is refused (`ImportFileError`)."""
    label = what or str(name)
    created = False
    if create:
        try:
            os.mkdir(name, DIR_MODE, dir_fd=dir_fd)
            created = True
        except FileExistsError:
            pass
        except OSError as exc:
            raise ImportFileError(f"{label}: cannot create the folder: {exc.strerror or exc}") from None
    flags = os.O_RDONLY | _DIRECTORY | (_NOFOLLOW if dir_fd is not None else 0)
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise ImportFileError(f"{label}: is a symbolic link or not a folder; ptrack writes only into a real "
                                  f"folder: replace it with a folder") from None
        raise ImportFileError(f"{label}: cannot open the folder: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(os.fstat(fd).st_mode):
        os.close(fd)
        raise ImportFileError(f"{label}: is not a folder")
    if created:
        os.fchmod(fd, DIR_MODE)  # the umask may have taken bits off; never added any
    return fd


def exists(name: str, dir_fd: int) -> bool:
    """Whether anything (a link too, dangling or not) has this name in the folder."""
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def free_name(name: str, dir_fd: int, stamp: str, *also: str) -> str:
    """`name`, or `stem.STAMP[.N]suffix` when it (or `name + each of also`) is taken in the folder."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidates = [name] + [f"{stem}.{stamp}{'.' + str(n) if n else ''}{dot}{suffix}" for n in range(1000)]
    for candidate in candidates:
        if not any(exists(candidate + extra, dir_fd) for extra in ("", *also)):
            return candidate
    raise ImportFileError(f"{name}: no free name for it in the folder")


def write_new(name: str, data: bytes, dir_fd: int) -> None:
    """Create the file `name` in the folder, 0600, failing if anything (a link too) already has that name."""
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE, dir_fd=dir_fd)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits off; never added any
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def create_private_file(path: Path) -> None:
    """Create an empty file 0600 at `path` unless something is already there (a database file before SQLite
    opens it: SQLite gives its -wal and -shm files the mode of the database file)."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE)
    except FileExistsError:
        return
    os.fchmod(fd, FILE_MODE)
    os.close(fd)


def open_private(path: Path, mode: str = "w") -> int:
    """A descriptor for writing `path`, created 0600 (existing files keep their mode); links are not followed."""
    flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    if os.fstat(fd).st_size == 0:
        os.fchmod(fd, FILE_MODE)
    return fd
