"""Hypothesis strategies for the parser fuzzers (tests/hostile/test_fuzz_*): cells drawn as (text, why bad), where
why bad is "" for a cell the documented rules accept (docs/importing.md) and the expectation for one they do
not; a row is good when every cell is. The rules are restated here from the docs, not read from the code."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta

from hypothesis import strategies as st

TODAY = date(2026, 11, 25)
EARLIEST = date(1900, 1, 1)
MAX_ROW_LINES = 100
Cell = tuple[str, str]  # (text, "" or why the rules refuse it)

# Text a person could type, and text a hostile or broken export holds: control characters, NUL, quotes,
# separators, line breaks, non-ASCII, the replacement character. No surrogates: a UTF-8 file cannot hold them.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
HOSTILE = st.sampled_from(["\x00", '"', '""', ",", "\n", "\r", "\r\n", "\ufeff", "\ufffd", "=cmd|' /C calc'!A0",
                           "[/x]", "\x1b[31m", "é", "😀", "\t", " ", "\u2028", "99999999999999999999", "-1"])
FREE = st.one_of(TEXT, st.lists(st.one_of(TEXT, HOSTILE), max_size=4).map("".join))


def text_cell(longest: int, *, required: bool = False) -> st.SearchStrategy[Cell]:
    """A free-text cell: stripped, it must be at most `longest` characters, hold no NUL and no U+FFFD."""
    long = st.integers(longest + 1, longest + 40).map(lambda n: "x" * n)
    return st.one_of(FREE, long).map(lambda s: (s, _text_problem(s, longest, required)))


def _text_problem(s: str, longest: int, required: bool) -> str:
    t = s.strip()
    if required and not t:
        return "required"
    if len(t) > longest:
        return "too long"
    if "\x00" in t or "\ufffd" in t:
        return "not text"
    return ""


def _dmy(d: date, pad: bool) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if pad else f"{d.day}/{d.month}/{d.year}"


VALID_DAY = st.dates(EARLIEST, TODAY)
BAD_DATE = st.one_of(
    st.sampled_from(["99999999999999999999/01/2015", "0001-01-01", "31/02/2020", "2020-02-30", "1899-12-31",
                     "01/01/99", "2020/01/01", "٢٠١٥-٠١-٠١", "1/1/ 2020", "01-01-2020", "2020-1-1", "yesterday",
                     "01/01/2020\x00", "+1/01/2020", "1_0/01/2020"]),
    st.dates(date(1, 1, 1), EARLIEST - timedelta(days=1)).map(date.isoformat),
    TEXT.filter(lambda s: bool(s.strip())),
)


def date_cell(*, required: bool, earliest: date = EARLIEST) -> st.SearchStrategy[Cell]:
    """A date: ISO or DD/MM/YYYY (one-digit day and month allowed), from `earliest` (1900 for a date of birth,
    the calendar's first day for an event) to today; empty when optional."""
    good = st.tuples(st.dates(earliest, TODAY), st.sampled_from(["iso", "dmy", "d/m"])).map(
        lambda p: (p[0].isoformat() if p[1] == "iso" else _dmy(p[0], p[1] == "dmy"), ""))
    future = st.dates(TODAY + timedelta(days=1), date(9999, 12, 31)).map(lambda d: (d.isoformat(), "future"))
    early = st.dates(EARLIEST, max(EARLIEST, earliest - timedelta(days=1))).map(
        lambda d: (d.isoformat(), "early" if d < earliest else ""))
    bad = BAD_DATE.map(lambda s: (s, _date_problem(s, required, earliest)))
    empty = st.just(("", "required" if required else ""))
    return st.one_of(good, good, future, early, bad, empty)


def _date_problem(s: str, required: bool, earliest: date) -> str:
    # a garbage draw may still be a valid date ("1/1/2020" from TEXT is vanishingly rare but possible)
    t = s.strip()
    if not t:
        return "required" if required else ""
    try:
        if t.isascii() and "/" in t:
            d, m, y = t.split("/")
            if len(y) == 4 and d.isdigit() and m.isdigit() and y.isdigit() and earliest <= date(
                    int(y), int(m), int(d)) <= TODAY:
                return ""
        elif t.isascii() and len(t) == 10 and t[4] == t[7] == "-" and all(
                t[i].isdigit() for i in (0, 1, 2, 3, 5, 6, 8, 9)) and earliest <= date.fromisoformat(t) <= TODAY:
            return ""
    except (ValueError, OverflowError):
        pass
    return "not a date"


def email_cell(*, required: bool = False) -> st.SearchStrategy[Cell]:
    part = st.text("abcdefghijklmnopqrstuvwxyz0123456789.", min_size=1, max_size=10)
    good = st.tuples(part, part).map(lambda p: (f"{p[0]}@{p[1]}.example", ""))
    bad = st.sampled_from(["no-at-sign", "@example.org", "user@", "a b@example.org", "a\x00@example.org",
                           "x" * 250 + "@example.org"]).map(lambda s: (s, "not an email"))
    empty = st.just(("", "required" if required else ""))
    return st.one_of(good, good, bad, empty)


def choice_cell(allowed: Sequence[str], *, required: bool = False) -> st.SearchStrategy[Cell]:
    good = st.sampled_from(list(allowed)).flatmap(
        lambda c: st.sampled_from([c, c.upper(), f" {c} "])).map(lambda s: (s, ""))
    bad = FREE.map(lambda s: (s, "" if s.strip().lower() in allowed or (not s.strip() and not required)
                                 else "not a choice"))
    return st.one_of(good, good, bad)


def line_breaks(text: str) -> int:
    """Physical lines a serialised row occupies (a CR LF pair is one break, as `newline=""` reads them)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def serialise(header: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[str, list[int]]:
    """The CSV text and the line each row ends on (the header is line 1). CR LF ends rows, so that `csv` quotes
    a cell holding a lone CR (with LF alone it does not, and the CR would end the row when read)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    ends: list[int] = []
    line = 1
    for row in rows:
        chunk = io.StringIO()
        csv.writer(chunk, lineterminator="\r\n").writerow(row)
        text = chunk.getvalue()
        line += line_breaks(text)
        ends.append(line)
        out.write(text)
    return out.getvalue(), ends
