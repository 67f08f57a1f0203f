"""Issue 10, item 5: a NUL byte in any cell is a located reject on every database (PostgreSQL refuses NUL in
text, so before the fix one NUL failed the whole file there: 0 of 10,142 rows); the other rows all load."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.parse_harness import (
    CASES_HEADER,
    EPISODES_903,
    HEADER_903,
    batch_statuses,
    count_rows,
    import_files,
    stored_case_ids,
    write,
)


def test_one_nul_in_10142_rows_rejects_that_row_only(tmp_path: Path, migrated_url: str) -> None:
    rows = [f"C{i},AB,01/06/2015,Team A,sw@example.org,," for i in range(10_142)]
    rows[5000] = "C5000,A\x00B,01/06/2015,Team A,sw@example.org,,"
    path = write(tmp_path / "cases.csv", CASES_HEADER, rows)
    run = import_files(tmp_path, migrated_url, path)
    assert run.code == 1, run.err
    (report,) = run.reports
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (10_142, 10_141, 1)
    assert report["rejects"] == ["cases.csv:5002: initials: holds a NUL character (byte 0): not text"]
    assert count_rows(migrated_url, "cases") == 10_141
    assert batch_statuses(migrated_url) == ["rejects"]


CASE_COLUMNS = CASES_HEADER.strip().split(",")
EVENT_COLUMNS = ["event_id", "case_id", "event", "date", "kind", "note"]
PEOPLE_COLUMNS = ["email", "name", "role", "team", "slack_user_id", "channel"]


def test_a_nul_in_any_cell_of_any_format_is_located(tmp_path: Path, migrated_url: str) -> None:
    """One file per format; row k has a NUL in its k-th column: each such row is rejected at its line naming
    that column (or the row is stored without that field, a located warning), every clean row loads."""
    good_case = ["X", "AB", "01/06/2015", "Team A", "sw@example.org", "tm@example.org", "iro@example.org"]
    cases = [",".join(good_case).replace("X", "CLEAN", 1)]
    for k in range(len(CASE_COLUMNS)):
        cells = [*good_case]
        cells[0] = f"N{k}"
        cells[k] = cells[k][:1] + "\x00" + cells[k][1:]
        cases.append(",".join(cells))
    cases_path = write(tmp_path / "cases.csv", CASES_HEADER, cases)
    good_event = ["E", "CLEAN", "review_held", "2024-01-02", "", "a note"]
    events = [",".join(good_event)]
    for k, _ in enumerate(EVENT_COLUMNS):
        cells = [*good_event]
        cells[0] = f"E{k}"
        cells[k] = cells[k][:1] + "\x00" + cells[k][1:] if cells[k] else "\x00"
        events.append(",".join(cells))
    events_path = write(tmp_path / "events.csv", ",".join(EVENT_COLUMNS) + "\n", events)
    good_person = ["p@example.org", "Pat", "worker", "Team A", "U123", "email"]
    people = [",".join(good_person)]
    for k, _ in enumerate(PEOPLE_COLUMNS):
        cells = [*good_person]
        cells[0] = f"p{k}@example.org"
        cells[k] = cells[k][:1] + "\x00" + cells[k][1:]
        people.append(",".join(cells))
    people_path = write(tmp_path / "people.csv", ",".join(PEOPLE_COLUMNS) + "\n", people)
    header = write(tmp_path / "header.csv", HEADER_903, ["K1,1,01/06/2015,WBRI,,,", "K\x002,1,01/06/2015,WBRI,,,"])
    episodes = write(tmp_path / "episodes.csv", EPISODES_903, ["K1,01/04/2023,S,C2,N1,U1,PR1,,,,,,",
                                                               "K1,01/05/2023,P,C2,N1,U\x001,PR1,,,,,,"])
    run = import_files(tmp_path, migrated_url, cases_path, people_path, events_path, header, episodes)
    assert run.code == 1, run.err
    by_file = {r["file"]: r for r in run.reports}
    for name, columns, first in (("cases.csv", CASE_COLUMNS, 3), ("events.csv", EVENT_COLUMNS, 3),
                                 ("people.csv", PEOPLE_COLUMNS, 3)):
        report = by_file[name]
        located = report["rejects"] + report["warnings"]
        for k, column in enumerate(columns):
            assert any(r.startswith(f"{name}:{first + k}: {column}: ") for r in located), (column, located)
        assert report["rows_loaded"] + report["rows_rejected"] == len(columns) + 1, report
    assert by_file["header.csv"]["rejects"] == ["header.csv:3: CHILD: holds a NUL character or bytes that are "
                                                "not UTF-8: not an id"]
    assert [r.split(" ")[0] for r in by_file["episodes.csv"]["rejects"]] == ["episodes.csv:3:"]
    assert {"CLEAN", "K1"} <= stored_case_ids(migrated_url)
    assert not any("\x00" in c for c in stored_case_ids(migrated_url))
    assert "running" not in batch_statuses(migrated_url)


@pytest.mark.parametrize("where", ["dob", "note"])
def test_nul_text_never_reaches_the_rejects_table(tmp_path: Path, migrated_url: str, where: str) -> None:
    """The reason of a reject quotes the cell: the NUL is escaped there, so storing the reject works on
    PostgreSQL too."""
    path = write(tmp_path / "cases.csv", CASES_HEADER, ["C0,AB,01/06/2015,,,,", "C1,AB,01/06/\x002015,,,,"])
    run = import_files(tmp_path, migrated_url, path)
    assert run.reports[0]["rejects"] == ["cases.csv:3: dob: '01/06/\\x002015' is not a date (use YYYY-MM-DD or "
                                         "DD/MM/YYYY)"]
    assert count_rows(migrated_url, "rejected_rows") == 1
