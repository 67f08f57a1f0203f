"""The generic bulk writer (store/bulk.py) on SQLite and PostgreSQL: rows whose columns each hold one Python
type (PostgreSQL: COPY with one dumper per column), a column mixing types (each value dumped by its own type),
and rows followed by the same values (SQLite: SQL literals, a quote among them) all read back as written."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.bulk import _copy_types, bulk_insert, insert_stored

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _batch(store: Store) -> int:
    with store.transaction() as conn:
        bulk_insert(conn, t.import_batches, [{"file_name": "a.csv", "sha256": "0" * 64, "format": "events",
                                              "started_at": NOW, "status": "ok"}])
        return int(conn.execute(select(t.import_batches.c.id)).scalar_one())


def test_uniform_and_mixed_columns_read_back_as_written(store: Store) -> None:
    batch = _batch(store)
    uniform = [{"source": "s", "event_id": f"E{n}", "case_id": "C1", "kind": "visit", "date": date(2024, 1, 1 + n),
                "placement_kind": "", "intended_until_18": n % 2 == 0, "subkind": "", "weeks": n,
                "short_break": False, "note": "it's\t\"odd\"\n\\", "content_hash": "h", "batch_id": batch}
               for n in range(5)]
    # A date column holding a date and ISO text (PostgreSQL takes both; SQLite's converter wants dates).
    mixed = [{**uniform[0], "event_id": "M1", "weeks": None}, {**uniform[1], "event_id": "M2",
                                                                "date": "2024-03-04" if store.dialect == "postgresql"
                                                                else date(2024, 3, 4)}]
    with store.transaction() as conn:
        bulk_insert(conn, t.events, uniform)
        bulk_insert(conn, t.events, mixed)
    with store.reading() as conn:
        got = {r.event_id: r for r in conn.execute(select(t.events))}
    assert [got[f"E{n}"].date for n in range(5)] == [date(2024, 1, 1 + n) for n in range(5)]
    assert {got[f"E{n}"].note for n in range(5)} == {"it's\t\"odd\"\n\\"}
    assert [got[f"E{n}"].intended_until_18 for n in range(5)] == [True, False, True, False, True]
    assert got["M1"].weeks is None and got["M2"].date == date(2024, 3, 4) and got["M2"].weeks == 1


NAIVE = datetime(2024, 1, 1, 12, tzinfo=UTC).replace(tzinfo=None)  # as bulk_insert hands UTCDateTime values over


def test_copy_types_one_per_column_or_none() -> None:
    rows = [("a", 1, True, None, date(2024, 1, 1), NAIVE), ("b", None, False, None, None, None)]
    assert _copy_types(rows, 6) == ["text", "int8", "bool", "text", "date", "timestamp"]
    assert _copy_types([("a", 1), ("b", "2")], 2) is None  # a column of int and str
    assert _copy_types([(NOW,), (NAIVE,)], 1) is None  # aware and naive instants
    assert _copy_types([(b"x",)], 1) is None  # no dumper named for bytes: each value by its type


def test_rows_followed_by_the_same_values(store: Store) -> None:
    batch = _batch(store)
    rows = [("s", f"E{n}", "C1", "visit", "2024-01-0" + str(n + 1), "h", batch) for n in range(3)]
    with store.transaction() as conn:
        insert_stored(conn, t.events, ["source", "event_id", "case_id", "kind", "date", "content_hash", "batch_id"],
                      rows, {"note": "O'Brien's visit", "subkind": "", "weeks": 2})
    with store.reading() as conn:
        got = conn.execute(select(t.events.c.event_id, t.events.c.note, t.events.c.weeks, t.events.c.date)
                           .order_by(t.events.c.event_id)).all()
    assert [tuple(r) for r in got] == [(f"E{n}", "O'Brien's visit", 2, date(2024, 1, n + 1)) for n in range(3)]
