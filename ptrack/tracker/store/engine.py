"""Connecting to the database, mapping driver errors to `StoreError`, and running Alembic migrations.

SQLite gets WAL, synchronous=NORMAL and a busy timeout (several processes: CLI and daemon); PostgreSQL uses
psycopg 3. `postgresql://` and `postgres://` URLs are given the psycopg driver.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ptrack.tracker.errors import StoreError
from ptrack.tracker.private_files import create_private_file

if TYPE_CHECKING:  # Alembic is imported where it migrates: loading it costs a third of a command's start-up
    from alembic.config import Config as AlembicConfig

# Alembic resolves "package:path" through importlib.resources, so an installed wheel finds its scripts.
MIGRATIONS_LOCATION = "ptrack:migrations"
MIGRATION_LOCK = 0x70747261636B  # "ptrack": the advisory lock key held while migrating PostgreSQL


def normalise_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite), also in SQLite's URI form
    (`sqlite:///file:/var/lib/ptrack/ptrack.db?mode=ro&uri=true`: a read-only copy)."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError as exc:
        raise StoreError(f"database URL {safe_url(url)} is not valid: {exc}") from exc
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if _is_uri(parsed.query) and parsed.database.startswith("file:"):
        return Path(parsed.database.removeprefix("file:"))
    return Path(parsed.database)


def _is_uri(query: Mapping[str, Any]) -> bool:
    return str(query.get("uri", "")).lower() in ("true", "1")


def sqlite_read_only(url: str) -> bool:
    """A SQLite URL opened read-only (`?mode=ro&uri=true`): ptrack reads it and writes nothing, not even the file."""
    parsed = make_url(normalise_url(url))
    return parsed.get_backend_name() == "sqlite" and _is_uri(parsed.query) and parsed.query.get("mode") == "ro"


@contextmanager
def store_errors(url: str, doing: str) -> Iterator[None]:
    """Turn SQLAlchemy and OS errors into one-line `StoreError`s naming the database and the operation."""
    mapped: tuple[type[Exception], ...] = (SQLAlchemyError, OSError, *_driver_errors())
    try:
        yield
    except StoreError:
        raise
    except mapped as exc:
        orig = getattr(exc, "orig", None) or exc
        detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        raise StoreError(f"database {safe_url(url)}: {doing} failed: {detail}") from exc


def _driver_errors() -> tuple[type[Exception], ...]:
    """The drivers' own errors, which bulk loading (PostgreSQL COPY on the raw connection) raises unwrapped."""
    import sqlite3

    found: list[type[Exception]] = [sqlite3.Error]
    psycopg = sys.modules.get("psycopg")  # loaded by a PostgreSQL engine; no psycopg error can come from SQLite
    if psycopg is not None:
        found.append(psycopg.Error)
    return tuple(found)


def _switch_to_wal(cur: Any) -> None:
    """WAL mode. Switching a new file needs its exclusive lock and SQLite does not wait for it (no busy
    handler): two processes opening a new database at once would see "database is locked", so wait here."""
    import sqlite3
    import time

    for attempt in range(WAL_SWITCH_TRIES):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_SWITCH_TRIES - 1:
                raise
            time.sleep(0.05)


WAL_SWITCH_TRIES = 600  # 30 s, as the busy timeout


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    _switch_to_wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


SUPPORTED = "SQLite (sqlite:///ptrack.db) and PostgreSQL (postgresql+psycopg://user@host/db)"


def check_supported(url: str) -> None:
    """ptrack runs on SQLite and PostgreSQL through the drivers it installs; anything else is one clear error,
    not the driver's ModuleNotFoundError."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"database URL {safe_url(url)} is not valid: {exc}") from exc
    backend, _, driver = parsed.drivername.partition("+")  # by name: loading an unknown dialect would fail
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"database URL {safe_url(url)}: {backend!r} databases are not supported; ptrack runs on "
                         f"{SUPPORTED}")
    if (backend, driver) not in (("sqlite", ""), ("sqlite", "pysqlite"), ("postgresql", "psycopg")):
        raise StoreError(f"database URL {safe_url(url)}: driver {driver!r} is not installed with ptrack; ptrack "
                         f"runs on {SUPPORTED}")


def on_read_only_filesystem(path: Path) -> bool:
    """Whether the database file's folder is on a file system mounted read-only (a read-only copy, a mounted
    backup), where SQLite cannot create the -shm file a WAL database needs even to be read."""
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def create_store_engine(url: str) -> Engine:
    url = normalise_url(url)
    check_supported(url)
    path = sqlite_file(url)
    if path is not None and not sqlite_read_only(url) and path.exists() and on_read_only_filesystem(path):
        # Nobody can write a read-only file system, so the file cannot change under us: open it immutable.
        url = f"sqlite:///file:{path.resolve()}?mode=ro&immutable=1&uri=true"
    with store_errors(url, "connecting"):
        if url.startswith("sqlite"):
            if path is not None and not sqlite_read_only(url):
                # Created private before SQLite opens it: its -wal and -shm files take the database file's mode.
                create_private_file(path)
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    return engine


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", MIGRATIONS_LOCATION)
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


@cache
def head_revision() -> str | None:
    """The newest migration. Read from the scripts' `revision` and `down_revision` lines without importing them
    (every command checks the schema, and Alembic's own reading costs more than the rest of the start-up); a
    history that does not have exactly one head is left to Alembic, which explains what is wrong with it."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (resources.files("ptrack") / "migrations" / "versions").iterdir():
        if script.name.endswith(".py"):
            found = _revision_lines(script.read_text(encoding="utf-8"))
            revisions.add(str(found.get("revision")))
            down = found.get("down_revision")
            parents.update([down] if isinstance(down, str) else list(down or ()))
    heads = revisions - parents
    if len(heads) == 1 and "None" not in revisions:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _revision_lines(source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in ast.parse(source).body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and value is not None:
            out[target.id] = ast.literal_eval(value)
    return out


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before `ptrack init`), as Alembic records it in alembic_version."""
    with store_errors(str(engine.url), "reading the schema version"), engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        versions = list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return versions[0] if len(versions) == 1 else None


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration, on the engine's own connection."""
    from alembic import command

    url = engine.url.render_as_string(hide_password=False)
    cfg = alembic_config(url)
    with store_errors(url, "migrating the schema"), engine.begin() as conn:
        # Two instances starting at once: one migrates, the other waits and then finds the schema current.
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        elif conn.dialect.name == "sqlite":  # take the write lock now; the DDL then runs in this transaction
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def check_current(engine: Engine) -> None:
    """Raise `StoreError` unless the schema is at the newest migration."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "not initialised" if current is None else f"at schema version {current}, not {head}"
        raise StoreError(f"database {safe_url(str(engine.url))} is {state}: run `ptrack init`")
