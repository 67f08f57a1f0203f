"""Issue 10, item 13: one stray quote used to swallow the next 1,000 rows into one reject ("initials: longer
than 16 characters"). A quoted cell still open 100 lines on, or at the end of the file, is now an "unclosed
quote" reject at the line that opened it, and the lines after it are read as the rows they are."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.parse_harness import CASES_HEADER, count_rows, import_files, stored_case_ids, write


def _rows(n: int) -> list[str]:
    return [f"C{i},AB,01/06/2015,Team A,sw@example.org,," for i in range(n)]


def test_a_stray_quote_costs_one_row(tmp_path: Path, migrated_url: str) -> None:
    rows = _rows(2000)
    rows[10] = 'C10,"AB,01/06/2015,Team A,sw@example.org,,'  # line 12
    rows[1995] = 'C1995,AB,01/06/2015,"Team A,sw@example.org,,'  # line 1997: the file ends inside its quote
    path = write(tmp_path / "cases.csv", CASES_HEADER, rows)
    run = import_files(tmp_path, migrated_url, path)
    assert run.code == 1, run.err
    (report,) = run.reports
    assert report["rejects"] == [
        "cases.csv:12: row: unclosed quote: a quoted cell opened on this line is still open 100 lines on; the "
        "row is rejected and the lines after it are read as rows",
        "cases.csv:1997: row: unclosed quote: the file ends inside a quoted cell opened on this line",
    ]
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (2000, 1998, 2)
    assert stored_case_ids(migrated_url) == {f"C{i}" for i in range(2000)} - {"C10", "C1995"}


def test_quoted_cells_with_line_breaks_still_load(tmp_path: Path, migrated_url: str) -> None:
    cases = write(tmp_path / "cases.csv", CASES_HEADER, _rows(3))
    note = "first line\n\n" + "a line\n" * 60 + 'said "hello", twice'
    events = write(tmp_path / "events.csv", "event_id,case_id,event,date,note\n",
                   ['E1,C0,looked_after_start,2024-01-02,"' + note.replace('"', '""') + '"',
                    "E2,C1,looked_after_start,2024-01-03,"])
    run = import_files(tmp_path, migrated_url, cases, events)
    assert run.code == 0, run.out + run.err
    assert [r["rows_loaded"] for r in run.reports] == [3, 2]
    assert count_rows(migrated_url, "events") == 2


def test_a_row_of_many_lines_is_one_reject_at_its_first_line_and_its_lines_are_reread(
    tmp_path: Path, migrated_url: str
) -> None:
    """A quote opened in an unquoted cell's place on line 3 and closed 150 lines on: past the limit, so line 3
    is rejected and lines 4... load as rows (a quote inside an unquoted cell, as on line 153, is a character)."""
    rows = _rows(300)
    rows[1] = 'C1,"AB,01/06/2015,Team A,sw@example.org,,'
    rows[151] = 'C151,AB",01/06/2015,Team A,sw@example.org,,'
    path = write(tmp_path / "cases.csv", CASES_HEADER, rows)
    (report,) = import_files(tmp_path, migrated_url, path).reports
    assert [r.split(" ")[0] for r in report["rejects"]] == ["cases.csv:3:"], report["rejects"]
    assert report["rows_loaded"] == 299
