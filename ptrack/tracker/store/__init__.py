"""The store: SQLAlchemy Core tables, migrations and queries. The only part of ptrack that talks SQL.

`Store` owns the engine; its methods open their own connections, or take the connection of a transaction
begun with `Store.transaction()` so that one import file is all-or-nothing. SQLAlchemy and OS errors leave
as `StoreError` with a one-line message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from ptrack.tracker.errors import StoreError
from ptrack.tracker.store import dispute_schema as dispute_schema  # the dispute tables join `metadata`
from ptrack.tracker.store import extract_schema as extract_schema  # case-system due dates join `metadata`
from ptrack.tracker.store import notify_schema as notify_schema  # the notification tables join `metadata`
from ptrack.tracker.store import stale as stale  # `stale_cases` joins `metadata`
from ptrack.tracker.store.deadlines import DeadlineCounts
from ptrack.tracker.store.engine import (
    check_current,
    create_store_engine,
    safe_url,
    sqlite_file,
    store_errors,
    upgrade,
)
from ptrack.tracker.store.queries import DeadlineRow
from ptrack.tracker.store.writes import WriteCounts


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return safe_url(self.engine.url.render_as_string(hide_password=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, doing: str = "writing") -> Iterator[Connection]:
        with store_errors(self.url, doing), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def reading(self, doing: str = "reading") -> Iterator[Connection]:
        with store_errors(self.url, doing), self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()


def init_database(url: str) -> None:
    """Create the schema in a new database or upgrade an existing one to the newest migration."""
    engine = create_store_engine(url)
    try:
        upgrade(engine)
        from ptrack.tracker.store.recompute import ensure_deadline_indexes  # recompute imports `Store`

        with engine.begin() as conn:
            ensure_deadline_indexes(conn)  # one a killed recompute left to build (`store.recompute`)
    finally:
        engine.dispose()


def open_store(url: str) -> Store:
    """Connect to an initialised database; `StoreError` if it is unreachable or not at the newest schema."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise StoreError(f"no database at {path}: run `ptrack init` to create it")
    engine = create_store_engine(url)
    try:
        check_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


__all__ = ["DeadlineCounts", "DeadlineRow", "Store", "WriteCounts", "init_database", "open_store"]
