"""Issue 10, items 4 and 14: an absurd date (`99999999999999999999/01/2015`), a date of birth of 0001-01-01 or
before 1900, or a case system's due date after the calendar's coverage is a located reject with a reason in
every format; the rest of the file loads and no batch stays `running`. A binary --config is one clear line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.parse_harness import (
    CASES_HEADER,
    EPISODES_903,
    HEADER_903,
    SSD_PERSON,
    batch_statuses,
    import_files,
    ptrack,
    stored_case_ids,
    write,
    write_903_xml,
)

ABSURD = "99999999999999999999/01/2015"


BAD = [ABSURD, "0001-01-01", "1899-12-31", "31/12/1066", "2015-13-01", "٢٠١٥-٠١-٠١", "1/1/20150", "-1/01/2015"]
# C0 good, then one child per bad date of birth (C1...), then a good one: the good load, each bad is located
DOBS = ["01/06/2015", *BAD, "01/06/2015"]
GOOD = {"C0", f"C{len(DOBS) - 1}"}


def _cases(folder: Path, dobs: list[str]) -> tuple[Path, str, int]:
    rows = [f"C{i},AB,{dob},Team A,sw@example.org,," for i, dob in enumerate(dobs)]
    return write(folder / "cases.csv", CASES_HEADER, rows), "cases.csv:{}: dob: ", 2


def _header_903(folder: Path, dobs: list[str]) -> tuple[Path, str, int]:
    rows = [f"C{i},1,{dob},WBRI,,," for i, dob in enumerate(dobs)]
    return write(folder / "header.csv", HEADER_903, rows), "header.csv:{}: DOB: ", 2


def _xml_903(folder: Path, dobs: list[str]) -> tuple[Path, str, int]:
    path = write_903_xml(folder / "return.xml", [(f"C{i}", dob) for i, dob in enumerate(dobs)])
    return path, "return.xml:{}: DOB: ", 3  # line 1 the declaration, 2 the root, then a child a line


def _ssd_person(folder: Path, dobs: list[str]) -> tuple[Path, str, int]:
    rows = [f"C{i},{dob}" for i, dob in enumerate(dobs)]
    return write(folder / "ssd_person.csv", SSD_PERSON, rows), "ssd_person.csv:{}: pers_dob: ", 2


FORMATS: dict[str, Callable[[Path, list[str]], tuple[Path, str, int]]] = {
    "cases": _cases, "903 header CSV": _header_903, "903 XML": _xml_903, "SSD person": _ssd_person,
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_bad_dates_of_birth_are_located_rejects_and_the_rest_loads(fmt: str, tmp_path: Path, migrated_url: str) -> None:
    path, where, first_line = FORMATS[fmt](tmp_path, DOBS)
    run = import_files(tmp_path, migrated_url, path)
    assert run.code == 1, run.err  # rejects: exit 1, with the report
    (report,) = run.reports
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (len(DOBS), 2, len(BAD)), report
    # each bad child's row is rejected at its line, naming the date of birth first (an XML child's episode is in
    # the same row: its case is unknown, on the same line)
    lines = {int(r.split(":")[1]) for r in report["rejects"]}
    assert lines == {first_line + i for i in range(1, len(BAD) + 1)}, report["rejects"]
    for i in range(1, len(BAD) + 1):
        assert any(r.startswith(where.format(first_line + i)) for r in report["rejects"]), report["rejects"]
    assert stored_case_ids(migrated_url) == GOOD
    assert batch_statuses(migrated_url) == ["rejects"]


def test_a_date_before_1900_says_why(tmp_path: Path, migrated_url: str) -> None:
    path, _, _ = _cases(tmp_path, ["0001-01-01"])
    (reject,) = import_files(tmp_path, migrated_url, path).reports[0]["rejects"]
    assert reject == "cases.csv:2: dob: 0001-01-01 is before 1900: not a plausible date (a typing error?)"


def test_an_absurd_event_date_and_decom_are_located_rejects(tmp_path: Path, migrated_url: str) -> None:
    cases, _, _ = _cases(tmp_path, ["01/06/2015"] * 3)
    events = write(tmp_path / "events.csv", "event_id,case_id,event,date\n",
                   ["E0,C0,looked_after_start,2024-01-02", f"E1,C2,looked_after_start,{ABSURD}"])
    episodes = write(tmp_path / "episodes.csv", EPISODES_903,
                     [f"C0,{ABSURD},S,C2,N1,U1,PR1,,,,,,", "C2,01/04/2023,S,C2,N1,U1,PR1,,,,,,"])
    run = import_files(tmp_path, migrated_url, cases, events, episodes)
    assert run.code == 1, run.err
    rejects = [r for report in run.reports for r in report["rejects"]]
    assert [r.split(" ", 1)[0] for r in rejects] == ["events.csv:3:", "episodes.csv:2:"], rejects
    assert [report["rows_loaded"] for report in run.reports] == [3, 1, 1]
    assert "running" not in batch_statuses(migrated_url)


def test_a_due_date_after_the_calendars_coverage_is_a_reject(tmp_path: Path, migrated_url: str) -> None:
    person = write(tmp_path / "ssd_person.csv", SSD_PERSON, ["P1,2015-06-01"])
    reviews = write(tmp_path / "ssd_cla_reviews.csv",
                    "clar_cla_review_id,clar_cla_person_id,clar_cla_review_due_date,clar_cla_review_date\n",
                    ["R1,P1,2100-01-01,", "R2,P1,2026-12-01,"])
    run = import_files(tmp_path, migrated_url, person, reviews)
    assert run.code == 1, run.err
    rejects = run.reports[1]["rejects"]
    assert rejects == ["ssd_cla_reviews.csv:2: clar_cla_review_due_date: 2100-01-01 is after the calendar's "
                       "coverage (to 2040-12-31): a typing error, or extend [calendar] last_year"], rejects
    assert run.reports[1]["rows_loaded"] == 1


def test_a_binary_config_is_one_clear_line(tmp_path: Path, migrated_url: str) -> None:
    (tmp_path / "bin.toml").write_bytes(bytes(range(256)) * 8)
    line = ptrack(tmp_path, migrated_url, "--config", "bin.toml", "deadlines").one_line_error()
    assert line == ("error: config bin.toml: not a text file (byte 128 is not UTF-8); a config is TOML text saved "
                    "as UTF-8")
