"""Fast bulk inserts: the hot path of imports and recomputes (millions of rows).

SQLAlchemy's executemany processes every parameter of every row in Python; here values are converted once per
column and handed to the driver directly: `executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL (psycopg
3, with one dumper per column when the column's values share a Python type). Other dialects fall back to
SQLAlchemy Core. Values are stored exactly as the Core types would store them,
so reading back through the tables gives the same results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
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
    write_tuples(conn, table, columns, _tuples(rows, columns, _converters(table, columns, dialect)))


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
    if dialect == "sqlite" and all(v is None or type(v) in (str, int) for v in tail):
        # The same values once, as SQL literals: no tuple per row to build, three fewer parameters per row to bind.
        write_tuples(conn, table, columns, rows, [_sqlite_literal(v) for v in tail], list(same))
        return
    write_tuples(conn, table, names, [row + tail for row in rows])


def conflict_insert(dialect: str) -> Any:
    """The dialect's INSERT that takes ON CONFLICT clauses (PostgreSQL or SQLite). Its module is imported on
    first use: `ptrack` starts faster."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert
    raise ValueError(f"conflict_insert: {dialect} has no ON CONFLICT")


def _sqlite_literal(value: str | int | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def write_tuples(
    conn: Connection, table: Table, columns: Sequence[str], values: Sequence[tuple[Any, ...]],
    literals: Sequence[str] = (), literal_columns: Sequence[str] = (),
) -> None:
    """Write driver-ready tuples: one executemany on SQLite, COPY on PostgreSQL. On SQLite, `literals` (SQL
    literal text, one per name in `literal_columns`) give the same values to every row."""
    if conn.dialect.name == "sqlite":
        names = ", ".join(f'"{c}"' for c in [*columns, *literal_columns])
        marks = ", ".join(["?"] * len(columns) + list(literals))
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values)
        return
    if literals:
        raise ValueError("write_tuples: literals are for SQLite only")
    names = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    types = _copy_types(values, len(columns))
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        if types is not None:
            copy.set_types(types)
        write_row = copy.write_row
        for row in values:
            write_row(row)


# The dumper for each Python type a column may hold. COPY here is in text format, where the server parses each
# value as its column's type: the dumper only decides how the client writes the value (a date stored as ISO
# text goes as text into a date column).
_COPY_TYPE = {str: "text", int: "int8", bool: "bool", float: "float8", date: "date"}


def _copy_types(values: Sequence[tuple[Any, ...]], width: int) -> list[str] | None:
    """One dumper per column when every value of the column (None aside) has one Python type: psycopg then
    skips looking up a dumper for every value (a third of the client's COPY time). None when a column mixes
    types or holds another type: each value is then dumped by its own type."""
    types: list[str] = []
    for j in range(width):
        found = set(map(type, map(itemgetter(j), values)))
        found.discard(type(None))
        if not found:
            types.append("text")  # nothing but NULLs
            continue
        if len(found) != 1:
            return None
        kind = found.pop()
        if kind is datetime:
            aware = {v.tzinfo is not None for v in map(itemgetter(j), values) if v is not None}
            if len(aware) != 1:
                return None
            types.append("timestamptz" if aware.pop() else "timestamp")
            continue
        name = _COPY_TYPE.get(kind)
        if name is None:
            return None
        types.append(name)
    return types
