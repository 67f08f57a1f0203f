"""CPPCR reg 48 through the installed CLI: a series of short breaks imported from events.csv (`kind=short_breaks`)
gets one first review three months from the first break, six-monthly reviews and visits, none of the reg 33
reviews or reg 28(2) visits, and the full regime from the day the child enters full care."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from test_cli_commands import Ptrack

CASES = ("case_id,initials,dob,team,worker_email,manager_email,iro_email\n"
         "S1,AB,2016-02-29,Team A,sw@example.org,tm@example.org,iro@example.org\n")
BREAKS = [("2025-01-10", "2025-01-12"), ("2025-02-14", "2025-02-16"), ("2025-05-30", "2025-06-01"),
          ("2025-11-28", "2025-11-30")]
AS_OF = ("--as-of", "2026-01-05")


def rows_of(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


@pytest.fixture()
def breaks(tmp_path: Path) -> Ptrack:
    (tmp_path / "cases.csv").write_text(CASES)
    with (tmp_path / "events.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["event_id", "case_id", "event", "date", "placement_kind", "kind"])
        for n, (start, end) in enumerate(reversed(BREAKS)):  # row order never matters
            w.writerow([f"b{n}s", "S1", "looked_after_start", start, "", "short_breaks"])
            w.writerow([f"b{n}p", "S1", "placement_start", start, "short_break", ""])
            w.writerow([f"b{n}e", "S1", "looked_after_end", end, "", ""])
        w.writerow(["r1", "S1", "review_held", "2025-04-08", "", ""])  # between breaks: a review of the series
        w.writerow(["v1", "S1", "visit", "2025-02-15", "", ""])  # on a break day
        w.writerow(["v2", "S1", "visit", "2025-07-01", "", ""])  # at home: not a reg 48(3)(c) visit
    p = Ptrack(tmp_path)
    p("init")
    p(*AS_OF, "import", "cases.csv", "events.csv")
    return p


def test_one_series_one_first_review_and_six_monthly_after(breaks: Ptrack) -> None:
    rows = rows_of(breaks(*AS_OF, "deadlines", "--case", "S1", "--status", "all", "--format", "csv").stdout)
    got = sorted((r["rule_id"], r["due"], r["status"]) for r in rows)
    assert got == [
        ("short_break_review_first", "2025-04-10", "met"),
        ("short_break_review_subsequent", "2025-10-08", "overdue"),
        ("short_break_visit", "2025-04-10", "met"),
        ("short_break_visit", "2025-08-15", "overdue"),  # 15 Feb + 6 months; the 1 July visit was at home
    ]


def test_explain_names_the_series_and_the_visit_at_home(breaks: Ptrack) -> None:
    out = breaks(*AS_OF, "explain", "S1").stdout
    assert "short_break_review_first" in out and "CPPCR 2010 reg 48" in out
    assert "not on a short break" in out  # the 1 July visit, reported not used with the reason


def test_entering_full_care_starts_the_full_regime(breaks: Ptrack, tmp_path: Path) -> None:
    (tmp_path / "full.csv").write_text("event_id,case_id,event,date,placement_kind\n"
                                       "f1,S1,looked_after_start,2025-12-15,\nf2,S1,placement_start,2025-12-15,foster\n")
    breaks(*AS_OF, "import", "full.csv")
    rows = rows_of(breaks(*AS_OF, "deadlines", "--case", "S1", "--status", "all", "--format", "csv").stdout)
    by_rule = {(r["rule_id"], r["due"]): r["status"] for r in rows}
    assert by_rule[("cla_review_first", "2026-01-15")] == "due_soon"  # 20 WD, skipping 25, 26 Dec and 1 Jan
    assert by_rule[("visit_first_week", "2025-12-22")] == "overdue"
    assert by_rule[("short_break_review_subsequent", "2025-10-08")] == "missed"  # overdue when the series ended
