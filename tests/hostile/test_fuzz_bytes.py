"""Issue 10: byte-level fuzzing. Good files with bytes damaged (NUL, bytes that are not UTF-8, quotes, commas,
random bytes) import without any exception escaping: every reject is located on a line of the file, the row
counts add up, and every row on a line the damage did not touch (and before any damage that can join lines:
a quote) is stored. The TOML config parser, fuzzed the same way, fails only with a ConfigError."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar
from ptrack.errors import PtrackError
from ptrack.tracker.config import parse_config
from ptrack.tracker.importing.report import ImportReport
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import import_paths
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t

TODAY = date(2026, 11, 25)
BYTES = settings(max_examples=15, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ROWS = 200  # 15 examples x 200 rows = 3,000 damaged-file rows per database
_example = itertools.count()
DAMAGE = st.one_of(st.sampled_from([b"\x00", b"\xff", b"\xfe\xff", b"\xc3", b'"', b",", b";", b"\t"]),
                   st.binary(min_size=1, max_size=3).filter(lambda b: b"\n" not in b and b"\r" not in b))


@BYTES
@given(damage=st.lists(st.tuples(st.integers(0, ROWS - 1), st.integers(0, 60), DAMAGE), min_size=1, max_size=12))
def test_damaged_cases_csv(damage: list[tuple[int, int, bytes]], store: Store, ruleset: RuleSet,
                           calendar: WorkingDayCalendar, tmp_path_factory: pytest.TempPathFactory) -> None:
    n = next(_example)
    rows = [f"B{n}-{i},AB,2015-06-{1 + i % 28:02d},Team A,sw@example.org,,".encode() for i in range(ROWS)]
    for row, at, bad in damage:
        rows[row] = rows[row][:at] + bad + rows[row][at:]
    path = tmp_path_factory.mktemp("bytes") / "cases.csv"
    path.write_bytes(b"case_id,initials,dob,team,worker_email,manager_email,iro_email\n" + b"\n".join(rows) + b"\n")
    (report,) = import_paths(store, [path], today=TODAY, ruleset=ruleset, calendar=calendar)
    _located(report, 1 + ROWS)
    damaged = {row for row, _, _ in damage}
    joined = min([row for row, _, bad in damage if b'"' in bad], default=ROWS)  # a quote may join lines after it
    with store.reading() as conn:
        stored = {r[0] for r in conn.execute(select(t.cases.c.case_id))}
    for i in range(ROWS):
        if i not in damaged and i < joined:
            assert f"B{n}-{i}" in stored, (i, report.rejects[:5])


@BYTES
@given(damage=st.lists(st.tuples(st.integers(0, 10_000), DAMAGE), min_size=1, max_size=8))
def test_damaged_903_xml(damage: list[tuple[int, bytes]], store: Store, ruleset: RuleSet,
                         calendar: WorkingDayCalendar, tmp_path_factory: pytest.TempPathFactory) -> None:
    n = next(_example)
    children = [f"<CHILD><HEADER><CHILD>X{n}-{i}</CHILD><SEX>1</SEX><DOB>01/06/2015</DOB></HEADER></CHILD>\n"
                for i in range(ROWS // 2)]
    data = ('<?xml version="1.0" encoding="utf-8"?>\n<EXPSSDA903>\n' + "".join(children) + "</EXPSSDA903>\n").encode()
    first = len(data)
    for at, bad in damage:
        at = 40 + at % (len(data) - 40)
        first = min(first, at)
        data = data[:at] + bad + data[at:]
    path = tmp_path_factory.mktemp("bytes") / "return.xml"
    path.write_bytes(data)
    try:
        (report,) = import_paths(store, [path], today=TODAY, ruleset=ruleset, calendar=calendar)
    except PtrackError:
        return  # the damage made it something else as a whole (no longer recognised): a one-line error
    _located(report, data.count(b"\n") + 1)
    intact = data[:first].count(b"\n") - 2  # children wholly before the first damaged byte
    with store.reading() as conn:
        stored = {r[0] for r in conn.execute(select(t.cases.c.case_id))}
    assert {f"X{n}-{i}" for i in range(max(intact, 0))} <= stored


def _located(report: ImportReport, lines: int) -> None:
    assert report.rows_read == (report.rows_loaded + report.rows_unchanged + report.rows_corrected
                                + report.rows_rejected), report.summary()
    for reject in report.rejects:
        assert 1 <= reject.line <= lines and reject.field and reject.reason, reject


EXAMPLE = (Path(__file__).parents[2] / "ptrack" / "config" / "ptrack.toml").read_text(encoding="utf-8")
VALUES = st.recursive(
    st.one_of(st.integers(-(2**70), 2**70), st.floats(), st.booleans(), st.text(max_size=20),
              st.dates().map(date.isoformat)),
    lambda inner: st.lists(inner, max_size=3), max_leaves=5)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else "-inf" if value == float("-inf")
                                             else repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = str(value)
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" if ord(c) < 0x10000
                         else f"\\U{ord(c):08x}" for c in text) + '"'


@settings(max_examples=300, deadline=None, derandomize=True)
@given(edits=st.lists(st.tuples(st.integers(0, 200), st.sampled_from(
    ["first_year", "last_year", "region", "closure_days", "window", "remind_working_days_before", "rule_packs",
     "max_void_share", "kind", "port", "full_extract", "local_authority", "deep_link", "timeout", "import",
     "digest", "log_format", "stale_after_hours", "x"]), VALUES), max_size=6),
       noise=st.binary(max_size=8), cut=st.integers(0, 5000))
def test_fuzz_config(edits: list[tuple[int, str, object]], noise: bytes, cut: int) -> None:
    lines = EXAMPLE.splitlines()
    for at, key, value in edits:
        at %= len(lines)
        lines.insert(at, f"{key} = {_toml(value)}")
    text = "\n".join(lines)
    for candidate in (text, text[:cut] + noise.decode("latin-1") + text[cut:]):
        try:
            config = parse_config(candidate)
            config.calendar()
            config.ruleset()
        except PtrackError:
            pass
