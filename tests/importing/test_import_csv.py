"""Importing the canonical CSVs (SPEC §5) on SQLite and PostgreSQL: idempotent, corrections kept in history,
bad rows rejected as `file:line: field: reason` while the good rows load, and nothing stored ever lost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker import services
from ptrack.tracker.errors import ImportFileError, NotFoundError
from ptrack.tracker.importing import ImportReport
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t

TODAY = date(2026, 11, 25)
CASES_HEADER = ["case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email"]
EVENTS_HEADER = ["event_id", "case_id", "event", "date", "placement_kind", "intended_until_18", "kind", "weeks",
                 "note"]
CASES = [
    ["C1", "AB", "2015-03-01", "Team A", "worker.a1@example.org", "manager.a@example.org", "iro.a@example.org"],
    ["C2", "CD", "01/02/2020", "Team B", "worker.b1@example.org", "manager.b@example.org", "iro.b@example.org"],
    ["C3", "EF", "", "Team B", "worker.b1@example.org", "manager.b@example.org", "iro.b@example.org"],
]
EVENTS = [
    ["E1", "C1", "looked_after_start", "2024-12-19", "", "", "", "", ""],
    ["E2", "C1", "placement_start", "2024-12-19", "foster", "no", "", "", ""],
    ["E3", "C2", "looked_after_start", "28/05/2022", "", "", "", "", ""],
]

Importer = Callable[..., list[ImportReport]]


@pytest.fixture
def run_import(store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar) -> Importer:
    def run(*paths: Path, fmt: str = "auto", dry_run: bool = False, today: date = TODAY) -> list[ImportReport]:
        return services.import_paths(store, list(paths), fmt=fmt, dry_run=dry_run, today=today,
                                     ruleset=ruleset, calendar=calendar)
    return run


@pytest.fixture
def files(tmp_path: Path, write_csv: Callable[..., Path]) -> Callable[..., tuple[Path, Path]]:
    def make(events: Sequence[Sequence[object]] = EVENTS, name: str = "events.csv", **kw: bool) -> tuple[Path, Path]:
        return (write_csv(tmp_path / "cases.csv", CASES_HEADER, CASES, **kw),
                write_csv(tmp_path / name, EVENTS_HEADER, events, **kw))
    return make


def count(store: Store, table: t.Table) -> int:
    with store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def counts(report: ImportReport) -> tuple[int, int, int, int, int]:
    return (report.rows_read, report.rows_loaded, report.rows_unchanged, report.rows_corrected,
            report.rows_rejected)


def test_cases_are_imported_before_events_whatever_order_the_paths_come_in(run_import: Importer, files) -> None:
    cases_csv, events_csv = files()
    reports = run_import(events_csv, cases_csv)
    assert [(r.file, r.format) for r in reports] == [("cases.csv", "cases"), ("events.csv", "events")]
    assert [counts(r) for r in reports] == [(3, 3, 0, 0, 0), (3, 3, 0, 0, 0)]
    assert not any(r.has_rejects for r in reports)


def test_importing_the_same_files_twice_changes_nothing(run_import: Importer, files, store: Store) -> None:
    paths = files()
    run_import(*paths)
    before = services.query_deadlines(store, TODAY)
    again = run_import(*paths)
    assert [counts(r) for r in again] == [(3, 0, 3, 0, 0), (3, 0, 3, 0, 0)]
    assert (count(store, t.events), count(store, t.event_history), count(store, t.deadline_history)) == (3, 0, 0)
    assert services.query_deadlines(store, TODAY) == before


def test_a_changed_row_is_a_correction_kept_in_history_and_recomputed(run_import: Importer, files,
                                                                      store: Store) -> None:
    run_import(*files())
    corrected = [["E1", "C1", "looked_after_start", "2024-12-20", "", "", "", "", ""], *EVENTS[1:]]
    [_, report] = run_import(*files(corrected))
    assert counts(report) == (3, 0, 2, 1, 0)
    assert report.cases_recomputed == 1
    [first] = [e for e in services.case_timeline(store, "C1").events if e.event_id == "E1"]
    assert first.date == date(2024, 12, 20)
    with store.reading() as conn:
        h = t.event_history.c
        old = conn.execute(select(h.event_id, h.date, h.replaced_by_batch_id)).one()
    assert (old.event_id, old.date, old.replaced_by_batch_id) == ("E1", date(2024, 12, 19), report.batch_id)
    review = [r for r in services.query_deadlines(store, TODAY, case_id="C1") if r.rule_id == "cla_review_first"]
    assert [r.due for r in review] == [date(2025, 1, 22)]
    assert count(store, t.deadline_history) >= 1


def test_bad_rows_are_rejected_with_file_line_field_and_reason_and_good_rows_still_load(
    run_import: Importer, files, store: Store
) -> None:
    bad = [
        *EVENTS,
        ["E4", "C1", "looked_after_begun", "2024-12-19", "", "", "", "", ""],
        ["E5", "C9", "visit", "2024-12-19", "", "", "", "", ""],
        ["E6", "C1", "placement_start", "2024-12-19", "hotel", "", "", "", ""],
        ["E7", "C1", "placement_start", "2024-12-19", "foster", "maybe", "", "", ""],
        ["E8", "C1", "permanence_achieved", "2025-06-01", "", "", "adopted", "", ""],
        ["E9", "C1", "proceedings_extended", "2025-06-01", "", "", "", "9", ""],
        ["E10", "C1", "visit", "2024-13-01", "", "", "", "", ""],
        ["E11", "C1", "visit", "2026-11-26", "", "", "", "", ""],
        ["E12", "C1", "visit", "2015-02-28", "", "", "", "", ""],
        ["E13", "C1", "visit", "2025-01-02", "", "", "", "", ""],
    ]
    [_, report] = run_import(*files(bad))
    assert [str(r) for r in report.rejects] == [
        "events.csv:5: event: 'looked_after_begun' is not one of " + report.rejects[0].reason.split("one of ")[1],
        "events.csv:6: case_id: unknown case 'C9' (import cases.csv first)",
        "events.csv:7: placement_kind: 'hotel' is not one of adoption, connected_person, emergency_foster, foster, "
        "other, residential, short_break, with_parent",
        "events.csv:8: intended_until_18: 'maybe' is not yes or no",
        "events.csv:9: kind: 'adopted' is not one of adoption_order, cao, long_term_match, return_home, sgo",
        "events.csv:10: weeks: '9' is not a whole number of weeks from 1 to 8",
        "events.csv:11: date: '2024-13-01' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
        "events.csv:12: date: 2026-11-26 is after today (2026-11-25)",
        "events.csv:13: date: 2015-02-28 is before the child's date of birth 2015-03-01",
    ]
    assert counts(report) == (13, 4, 0, 0, 9)
    with store.reading() as conn:
        r = t.rejected_rows.c
        stored = conn.execute(select(r.batch_id, r.file_name, r.line, r.field).order_by(r.line)).all()
        status = conn.execute(select(t.import_batches.c.status).where(t.import_batches.c.id == report.batch_id))
        assert status.scalar_one() == "rejects"
    assert [(s.batch_id, s.file_name, s.line, s.field) for s in stored][:2] == [
        (report.batch_id, "events.csv", 5, "event"), (report.batch_id, "events.csv", 6, "case_id")]
    assert len(stored) == 9
    assert count(store, t.events) == 4


def test_excel_export_with_bom_crlf_and_uk_dates(run_import: Importer, files, store: Store) -> None:
    reports = run_import(*files(bom=True, crlf=True))
    assert [counts(r) for r in reports] == [(3, 3, 0, 0, 0), (3, 3, 0, 0, 0)]
    timeline = services.case_timeline(store, "C2")
    assert timeline.case.dob == date(2020, 2, 1)
    assert [e.date for e in timeline.events] == [date(2022, 5, 28)]


def test_line_numbers_are_physical_lines_counting_blank_and_multiline_rows(
    run_import: Importer, files, tmp_path: Path
) -> None:
    cases_csv, _ = files()
    events_csv = tmp_path / "events.csv"
    events_csv.write_text(
        "event_id,case_id,event,date,note\n"
        "E1,C1,looked_after_start,2024-12-19,\"a note\nover two lines\"\n"
        "\n"
        "E2,C1,visit,yesterday,\n",
        encoding="utf-8",
    )
    [_, report] = run_import(cases_csv, events_csv)
    assert [str(r) for r in report.rejects] == [
        "events.csv:5: date: 'yesterday' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"]
    assert report.rows_loaded == 1


def test_rows_with_too_many_cells_or_bad_bytes_are_rejected_not_fatal(
    run_import: Importer, files, tmp_path: Path
) -> None:
    cases_csv, _ = files()
    events_csv = tmp_path / "events.csv"
    events_csv.write_bytes(
        b"event_id,case_id,event,date,note\n"
        b"E1,C1,looked_after_start,2024-12-19,\n"
        b"E2,C1,visit,2025-01-02,,extra\n"
        b"E3,C1,visit,2025-01-03,caf\xe9\n"
    )
    [_, report] = run_import(cases_csv, events_csv)
    assert [(r.line, r.field) for r in report.rejects] == [(3, "row"), (4, "note")]
    assert report.rows_loaded == 1


def test_events_without_an_id_get_a_deterministic_one(run_import: Importer, files, store: Store) -> None:
    no_ids = [["", *row[1:]] for row in EVENTS]
    paths = files(no_ids)
    run_import(*paths)
    ids = {e.event_id for e in services.case_timeline(store, "C1").events}
    [_, again] = run_import(*paths)
    assert counts(again) == (3, 0, 3, 0, 0)
    assert {e.event_id for e in services.case_timeline(store, "C1").events} == ids
    assert all(i.startswith("gen-") for i in ids)


def test_a_dry_run_reports_but_writes_nothing(run_import: Importer, files, store: Store) -> None:
    reports = run_import(*files(), dry_run=True)
    assert [counts(r) for r in reports] == [(3, 3, 0, 0, 0), (3, 3, 0, 0, 0)]
    assert all(r.dry_run and r.batch_id is None for r in reports)
    for table in (t.cases, t.events, t.import_batches, t.deadlines):
        assert count(store, table) == 0


def test_an_unreadable_file_is_refused_before_anything_is_written(
    run_import: Importer, files, store: Store, tmp_path: Path
) -> None:
    run_import(*files())
    before = (count(store, t.events), count(store, t.deadlines), count(store, t.import_batches))
    junk = tmp_path / "report.xlsx"
    junk.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(ImportFileError, match=r"report.xlsx: unknown file format"):
        run_import(*files(), junk)
    with pytest.raises(ImportFileError, match=r"not a people file: missing column\(s\) email, role"):
        run_import(files()[1], fmt="people")
    assert (count(store, t.events), count(store, t.deadlines), count(store, t.import_batches)) == before


def test_a_case_update_is_applied_and_recomputed(run_import: Importer, files, store: Store,
                                                 tmp_path: Path, write_csv: Callable[..., Path]) -> None:
    run_import(*files())
    moved = [["C1", "AB", "2015-03-01", "Team C", "worker.c1@example.org", "manager.c@example.org",
              "iro.c@example.org"], *CASES[1:]]
    [report] = run_import(write_csv(tmp_path / "cases2.csv", CASES_HEADER, moved))
    assert counts(report) == (3, 0, 2, 1, 0)
    assert {r.team for r in services.query_deadlines(store, TODAY, case_id="C1")} == {"Team C"}


def test_people_import_and_its_rejects(run_import: Importer, tmp_path: Path, write_csv: Callable[..., Path],
                                       store: Store) -> None:
    people = write_csv(tmp_path / "people.csv", ["email", "name", "role", "team", "slack_user_id", "channel"], [
        ["worker.a1@example.org", "Worker A1", "worker", "Team A", "", "teams"],
        ["manager.a@example.org", "Manager A", "boss", "Team A", "", "email"],
        ["not-an-address", "Nobody", "iro", "Team A", "", "email"],
        ["iro.a@example.org", "IRO A", "iro", "Team A", "", "pigeon"],
    ])
    [report] = run_import(people)
    assert report.format == "people"
    assert [str(r) for r in report.rejects] == [
        "people.csv:3: role: 'boss' is not one of admin, iro, manager, worker",
        "people.csv:4: email: 'not-an-address' is not an email address",
        "people.csv:5: channel: 'pigeon' is not one of email, slack, teams",
    ]
    assert count(store, t.people) == 1


def test_an_import_is_recorded_as_a_batch(run_import: Importer, files, store: Store) -> None:
    [cases_report, events_report] = run_import(*files())
    b = t.import_batches.c
    with store.reading() as conn:
        row = conn.execute(select(t.import_batches).where(b.id == events_report.batch_id)).one()
    assert (row.file_name, row.format, row.status, row.rows_read, row.rows_loaded) == (
        "events.csv", "events", "ok", 3, 3)
    assert row.sha256 == events_report.sha256 and len(row.sha256) == 64
    assert row.cases_recomputed == 2 and row.finished_at >= row.started_at
    assert services.last_import(store).last_successful_import_at is not None


def test_an_unknown_case_timeline_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="case 'C404'"):
        services.case_timeline(store, "C404")


def test_an_import_never_deletes_what_a_later_file_leaves_out(run_import: Importer, files, store: Store) -> None:
    run_import(*files())
    [_, report] = run_import(*files(EVENTS[:1]))
    assert counts(report) == (1, 0, 1, 0, 0)
    assert count(store, t.events) == 3 and count(store, t.cases) == 3


def test_the_same_event_id_twice_in_one_file_is_a_correction(run_import: Importer, files, store: Store) -> None:
    twice = [*EVENTS, ["E1", "C1", "looked_after_start", "2024-12-18", "", "", "", "", ""]]
    [_, report] = run_import(*files(twice))
    assert counts(report) == (4, 3, 0, 1, 0)
    assert [e.date for e in services.case_timeline(store, "C1").events if e.event_id == "E1"] == [
        date(2024, 12, 18)]


def test_awkward_text_survives_the_bulk_load_exactly(run_import: Importer, files, store: Store) -> None:
    note = 'tab\there, "quoted", back\\slash, new\nline, \u00e9\u20ac, NULL, \\N'
    [_, report] = run_import(*files([[*EVENTS[0][:8], note]]))
    assert report.rows_loaded == 1
    [event] = services.case_timeline(store, "C1").events
    assert event.note == note
