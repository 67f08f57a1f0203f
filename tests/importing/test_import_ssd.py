"""SSD extracts: the same deadlines as the equivalent canonical CSV, no names/addresses/free text stored,
`ptrack discrepancies` finding the planted due-date differences and nothing else; and the drop folder."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.config import load_config
from ptrack.tracker.discrepancies import find_discrepancies
from ptrack.tracker.drop_folder import import_drop_folder
from ptrack.tracker.importing.formats import ExtractOptions
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import import_paths, init_database, last_import, open_store
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.extract_schema import case_system_due_dates
from ptrack.tracker.synthetic import CaseloadShape
from ptrack.tracker.synthetic_903 import CONNECTED_PLACE_CODES
from ptrack.tracker.synthetic_ssd import HEALTH_CHECK_TYPES, PLANTED_NAME, PLANTED_POSTCODE, SsdFiles, write_ssd

TODAY = date(2026, 11, 25)
SHAPE = CaseloadShape(children=50, seed=9, as_of=TODAY)


@pytest.fixture
def ssd(tmp_path: Path, calendar: WorkingDayCalendar) -> SsdFiles:
    return write_ssd(tmp_path / "extract", SHAPE, calendar)


def _deadlines(store: Store) -> set[tuple[Any, ...]]:
    d = t.deadlines
    with store.reading() as conn:
        rows = conn.execute(select(d.c.case_id, d.c.rule_id, d.c.due, d.c.anchor_date, d.c.met_on,
                                   d.c.cancelled_on, d.c.cancel_reason))
        return {tuple(r) for r in rows}


def test_ssd_gives_the_deadlines_of_the_equivalent_canonical_csv(
    ssd: SsdFiles, db_url: str, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> None:
    init_database(db_url)
    store = open_store(db_url)
    reports = import_paths(store, sorted(ssd.folder.glob("*.csv")), today=TODAY, ruleset=ruleset,
                           calendar=calendar, connected_person_place_codes=CONNECTED_PLACE_CODES,
                           options=ExtractOptions(health_check_types=HEALTH_CHECK_TYPES))
    # the one planted health check type the council's map leaves out is reported, never guessed
    assert [str(x) for r in reports for x in r.rejects] == [
        f"ssd_cla_health.csv:{ssd.unmapped}: clah_health_check_type: 'optician check' is not mapped: add it to "
        "[import.health_check_types] in ptrack.toml as initial, review, dental or other (it is never guessed)"]
    canonical_url = f"sqlite:///{tmp_path / 'canonical.db'}"
    init_database(canonical_url)
    canonical = open_store(canonical_url)
    import_paths(canonical, [ssd.canonical_cases, ssd.canonical_events], today=TODAY, ruleset=ruleset,
                 calendar=calendar)
    assert _deadlines(store) and _deadlines(store) == _deadlines(canonical)
    with store.reading() as conn, canonical.reading() as other:
        workers = conn.execute(select(t.cases.c.case_id, t.cases.c.worker_email, t.cases.c.team)).all()
        assert sorted(workers) == sorted(other.execute(
            select(t.cases.c.case_id, t.cases.c.worker_email, t.cases.c.team)).all())
        dump = " ".join(repr(conn.execute(select(table)).all()) for table in
                        (t.cases, t.people, t.events, t.rejected_rows, t.import_batches, case_system_due_dates))
    assert PLANTED_NAME not in dump and "Quillfeather" not in dump and PLANTED_POSTCODE not in dump
    found = find_discrepancies(store, calendar)
    assert {(f.case_id, f.review_id) for f in found} == ssd.planted and ssd.planted
    assert all(f.ptrack_explanation.startswith("cla_review_") and "case system" in f.case_system_explanation
               for f in found)
    store.close()
    canonical.close()


def test_the_drop_folder_imports_new_files_once_and_moves_them(
    ssd: SsdFiles, store: Store, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar,
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for path in ssd.folder.glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "notes.csv").write_text("what,is,this\n1,2,3\n")
    config = load_config(None)
    report = import_drop_folder(store, config, ruleset, calendar, TODAY, folder)
    assert {f.file: f.status for f in report.files}["notes.csv"] == "failed"
    assert report.count("imported") == 12  # ssd_cla_health read for nothing: the default config maps no type
    assert (folder / "failed" / "notes.csv").exists()
    assert (folder / "failed" / "notes.csv.report.json").exists()
    saved = json.loads((folder / "processed" / "ssd_cla_reviews.csv.report.json").read_text())
    assert saved["report"]["rows_loaded"] > 0 and saved["sha256"]
    assert last_import(store).last_successful_import_at is not None
    with store.reading() as conn:
        batches = conn.execute(select(t.import_batches.c.file_name, t.import_batches.c.sha256)).all()
    assert {b.file_name for b in batches} >= {"ssd_person.csv", "ssd_cla_reviews.csv"}
    before = _deadlines(store)
    (folder / "ssd_person.csv").write_bytes((ssd.folder / "ssd_person.csv").read_bytes())
    again = import_drop_folder(store, config, ruleset, calendar, TODAY, folder)
    assert [f.status for f in again.files] == ["already_imported"]
    assert _deadlines(store) == before
    assert not (folder / "ssd_person.csv").exists()
