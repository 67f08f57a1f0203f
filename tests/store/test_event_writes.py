"""The bulk event writer on SQLite and PostgreSQL: new, unchanged and corrected rows mixed in one chunk, the
same id twice in a chunk, and ids a writer has not seen that are already stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from ptrack.tracker.model import Event
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.event_writes import EventWriter
from ptrack.tracker.store.rows import event_hash, row_event
from ptrack.tracker.store.writes import BULK_CACHE_KIB, WriteCounts, bulk_loading

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def _write(store: Store, events: list[Event], source: str = "test") -> WriteCounts:
    with store.transaction() as conn:
        return EventWriter(conn, source, None, NOW).write(events)


def _stored(store: Store) -> dict[str, tuple[Event, str]]:
    with store.reading() as conn:
        return {r.event_id: (row_event(r._mapping), r.content_hash) for r in conn.execute(select(t.events))}


def _history(store: Store) -> list[Any]:
    with store.reading() as conn:
        return list(conn.execute(select(t.event_history).order_by(t.event_history.c.id)))


def _visit(n: int, case: str = "C1", note: str = "") -> Event:
    return Event(f"E{n}", case, "visit", date(2024, 1, 1 + n), note=note)


def test_a_first_load_inserts_every_row_with_its_content_hash(store: Store) -> None:
    events = [_visit(n) for n in range(5)] + [
        Event("P", "C2", "placement_start", date(2024, 2, 29), "foster", True, "", None, True, "it's \"odd\"\n")]
    counts = _write(store, events)
    assert (counts.loaded, counts.unchanged, counts.corrected) == (6, 0, 0)
    assert counts.affected_cases == {"C1", "C2"}
    stored = _stored(store)
    assert {eid: ev for eid, (ev, _) in stored.items()} == {e.event_id: e for e in events}
    assert all(digest == event_hash(ev) for ev, digest in stored.values())


def test_new_unchanged_and_corrected_rows_in_one_chunk(store: Store) -> None:
    _write(store, [_visit(n) for n in range(4)])
    counts = _write(store, [_visit(0), _visit(1, note="moved"), _visit(2, case="C9"), _visit(3), _visit(4)])
    assert (counts.loaded, counts.unchanged, counts.corrected) == (1, 2, 2)
    assert counts.affected_cases == {"C1", "C9"}  # C1 for the new and corrected rows, C9 for the moved event
    stored = _stored(store)
    assert stored["E1"][0].note == "moved" and stored["E2"][0].case_id == "C9"
    assert [(h.event_id, h.note, h.case_id) for h in _history(store)] == [("E1", "", "C1"), ("E2", "", "C1")]
    again = _write(store, [_visit(0), _visit(1, note="moved"), _visit(2, case="C9"), _visit(3), _visit(4)])
    assert (again.loaded, again.unchanged, again.corrected) == (0, 5, 0)


def test_the_same_id_twice_in_a_chunk_is_a_correction_of_the_first(store: Store) -> None:
    counts = _write(store, [_visit(0), _visit(1), _visit(0, note="second")])
    assert (counts.loaded, counts.unchanged, counts.corrected) == (2, 0, 1)
    assert _stored(store)["E0"][0].note == "second"
    assert [h.note for h in _history(store)] == [""]


def test_ids_are_unique_per_source(store: Store) -> None:
    _write(store, [_visit(0)], source="a")
    counts = _write(store, [_visit(0, note="other system")], source="b")
    assert (counts.loaded, counts.corrected) == (1, 0)
    with store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(t.events)).scalar_one() == 2


def test_a_large_write_crosses_lookup_chunks(store: Store) -> None:
    events = [Event(f"X{n}", f"C{n % 50}", "visit", date(2024, 1, 1)) for n in range(2500)]
    _write(store, events[:1200])
    changed = [Event(e.event_id, e.case_id, e.kind, e.date, note="late") if n % 1000 == 0 else e
               for n, e in enumerate(events)]
    counts = _write(store, changed)
    assert (counts.loaded, counts.unchanged, counts.corrected) == (1300, 1198, 2)
    assert len(_history(store)) == 2


def test_the_bulk_load_cache_is_set_back_even_when_the_load_fails(store: Store) -> None:
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL has no per-connection page cache to set")
    with store.transaction() as conn:
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        with bulk_loading(conn):
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -BULK_CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
        with pytest.raises(RuntimeError), bulk_loading(conn):
            raise RuntimeError("the file failed")
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
