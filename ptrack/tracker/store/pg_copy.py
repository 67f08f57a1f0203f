"""PostgreSQL's own write path for new deadlines: one binary COPY whose column types are fixed here.

`bulk.write_tuples` (text COPY) first built a tuple per row in Python from the row's fields, then looked at every
value of every column to pick the dumpers; here each row arrives as one tuple (`rows.ComputedRow.plain()`) and the
dumpers are known. In binary format the server receives each value in its stored form (a date as a day number, a
bigint as eight bytes) instead of parsing text. Measured on 199,676 deadlines (10,000 children), one
transaction: client CPU 1.7-1.8 s -> 0.4-0.7 s, server CPU about the same or slightly less (1.4 against 1.55 s,
within the load's noise). The types are the columns' own (`int4` for the two references: binary COPY checks
the width), so a value of another Python type fails loudly instead of being stored wrongly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from ptrack.tracker.store.rows import DEADLINE_STORED

# COPY's binary type of each column a new deadline is written with: `DEADLINE_STORED`, then texts_id and
# computation_id (schema.deadlines: varchar and text columns take text's binary form; dates are DATE on
# PostgreSQL; content_hash is BIGINT; the two references INTEGER).
_DEADLINE_TYPES = {
    "case_id": "text", "key": "text", "rule_id": "text", "due": "date", "last_working_day": "date",
    "anchor_event_id": "text", "anchor_date": "date", "due_soon_from": "date", "met_on": "date",
    "met_event_id": "text", "cancelled_on": "date", "cancel_reason": "text", "explanation": "text",
    "closed_on": "date", "content_hash": "int8",
}
DEADLINE_COLUMNS = (*DEADLINE_STORED, "texts_id", "computation_id")
_TYPES = [*(_DEADLINE_TYPES[c] for c in DEADLINE_STORED), "int4", "int4"]
_COPY_SQL = "COPY deadlines ({}) FROM STDIN (FORMAT BINARY)".format(", ".join(f'"{c}"' for c in DEADLINE_COLUMNS))


def copy_deadlines(conn: Connection, values: Sequence[tuple[Any, ...]], computation: int) -> None:
    """Insert new deadlines recorded as computed by `computation`, in the caller's transaction: `values` are
    each row's values in `DEADLINE_STORED` order with dates as dates (`rows.ComputedRow.plain()`), then its
    rule_texts id."""
    raw = conn.connection.driver_connection
    assert raw is not None
    tail = (computation,)
    with raw.cursor() as cur, cur.copy(_COPY_SQL) as copy:
        copy.set_types(_TYPES)
        write_row = copy.write_row
        for value in values:
            write_row(value + tail)

