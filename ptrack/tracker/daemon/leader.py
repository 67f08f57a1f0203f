"""Which daemon instance runs the jobs.

PostgreSQL: a session-level `pg_try_advisory_lock(LOCK_CLASS, <schema key>)` held on a dedicated connection.
The leader keeps that connection for its whole life; when its process or host dies, PostgreSQL ends the
session and releases the lock, and the first stand-by to poll takes it. The second key is a CRC of the
schema the store uses, so several ptrack schemas in one database (tests, several councils) each elect
their own leader; instances of one installation share it.

SQLite: one instance per database file. An exclusive `flock` on `<database>.daemon.lock` stands for the
advisory lock (the kernel releases it when the process dies); a second instance on the same host waits as a
stand-by, like on PostgreSQL. SQLite across hosts (a network share) is not supported."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import zlib
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ptrack.tracker.store import Store
from ptrack.tracker.store import daemon_queries as dq
from ptrack.tracker.store.engine import create_store_engine, sqlite_file

LOCK_CLASS = 0x70747261  # "ptra": the first advisory-lock key, the same in every installation
log = logging.getLogger("ptrack.daemon")


class Leadership(Protocol):
    backend_pid: int | None

    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


def schema_key(schema: str) -> int:
    """The second advisory-lock key: a signed 32-bit CRC of the schema name."""
    crc = zlib.crc32(schema.encode("utf-8"))
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def lock_file_for(store: Store) -> Path:
    path = sqlite_file(store.engine.url.render_as_string(hide_password=False))
    if path is None:
        raise ValueError("an in-memory SQLite database cannot be shared with a daemon")
    return path.with_name(path.name + ".daemon.lock")


def leadership_for(store: Store) -> Leadership:
    if store.dialect == "postgresql":
        return PostgresLeadership(store.engine.url.render_as_string(hide_password=False))
    return FileLeadership(lock_file_for(store))


class PostgresLeadership:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine | None = None
        self.conn: Connection | None = None
        self.keys: tuple[int, int] | None = None
        self.backend_pid: int | None = None

    def try_acquire(self) -> bool:
        try:
            conn = self._connection()
            assert self.keys is not None
            if dq.try_advisory_lock(conn, *self.keys):
                self.backend_pid = dq.backend_pid(conn)
                return True
        except SQLAlchemyError as exc:
            log.warning("cannot reach the database to take the lead: %s", type(exc).__name__)
            self._drop()
        return False

    def still_held(self) -> bool:
        """True while the lock's session is alive and still holds it (checked on that very connection)."""
        if self.conn is None or self.keys is None:
            return False
        try:
            return dq.advisory_lock_holder(self.conn, *self.keys) == self.backend_pid
        except SQLAlchemyError:
            self._drop()
            return False

    def release(self) -> None:
        if self.conn is not None and self.keys is not None and self.backend_pid is not None:
            with contextlib.suppress(SQLAlchemyError):
                dq.advisory_unlock(self.conn, *self.keys)
        self._drop()

    def _connection(self) -> Connection:
        if self.conn is None:
            self.engine = self.engine or create_store_engine(self.url)
            self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self.keys = (LOCK_CLASS, schema_key(dq.current_schema(self.conn)))
        return self.conn

    def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self.conn.close()
        self.conn = None
        self.backend_pid = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None


class FileLeadership:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None
        self.backend_pid: int | None = None

    def try_acquire(self) -> bool:
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.handle = handle
        return True

    def still_held(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def file_lock_held(path: Path) -> bool:
    """Whether some process holds the SQLite daemon lock (for `ptrack status`, on the same host)."""
    if not path.exists():
        return False
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def postgres_leader_pid(store: Store) -> int | None:
    """The backend pid of the session holding this schema's leader lock, if any (for `ptrack status`)."""
    with store.reading("looking up the daemon leader") as conn:
        return dq.advisory_lock_holder(conn, LOCK_CLASS, schema_key(dq.current_schema(conn)))
