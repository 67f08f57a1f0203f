"""Fast bulk inserts: the hot path of imports and recomputes (millions of rows).

SQLAlchemy's executemany processes every parameter of every row in Python; here values are converted once per
column and handed to the driver directly: `executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL (psycopg
3). Other dialects fall back to SQLAlchemy Core. Values are stored exactly as the Core types would store them,
so reading back through the tables gives the same results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Date, Table, insert

from ptrack.tracker.store.schema import UTCDateTime

Converter = Callable[[Any], Any]


def _naive_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_instant(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME storage format.
    v = _naive_utc(value)
    return None if v is None else v.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _converters(table: Table, columns: Sequence[str], dialect: str) -> list[Converter | None]:
    out: list[Converter | None] = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            out.append(_sqlite_instant if dialect == "sqlite" else _naive_utc)
        elif dialect == "sqlite" and isinstance(kind, Date):
            out.append(_sqlite_date)
        elif dialect == "sqlite" and isinstance(kind, Boolean):
            out.append(_sqlite_bool)
        else:
            out.append(None)
    return out


def _tuples(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], convs: list[Converter | None]
) -> list[tuple[Any, ...]]:
    pairs = list(zip(columns, convs, strict=True))
    return [tuple(r[c] if f is None else f(r[c]) for c, f in pairs) for r in rows]


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys, no primary key) into `table` in the caller's transaction."""
    if not rows:
        return
    dialect = conn.dialect.name
    columns = list(rows[0])
    if dialect not in ("sqlite", "postgresql"):
        conn.execute(insert(table), list(rows))
        return
    _write(conn, table, columns, _tuples(rows, columns, _converters(table, columns, dialect)))


def insert_stored(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], same: dict[str, Any]
) -> None:
    """Insert rows whose values are already in their stored form (dates as ISO text, which both SQLite and
    PostgreSQL's COPY take as they are), each followed by the `same` values (converted once, not per row)."""
    dialect = conn.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise ValueError(f"insert_stored: {dialect} is not supported; use bulk_insert")
    names = [*columns, *same]
    tail = tuple(v if f is None else f(v) for v, f in zip(
        same.values(), _converters(table, list(same), dialect), strict=True))
    _write(conn, table, names, [row + tail for row in rows])


def _write(conn: Connection, table: Table, columns: Sequence[str], values: Sequence[tuple[Any, ...]]) -> None:
    """Write driver-ready tuples: one executemany on SQLite, COPY on PostgreSQL."""
    names = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values)
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in values:
            copy.write_row(row)
