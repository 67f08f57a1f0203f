"""Parsing one CSV cell. Each parser returns the value or raises `FieldError` with a reason for the reject."""

from __future__ import annotations

from datetime import date

# The earliest date any file may hold: a date of birth or an event before it is a typing error (0001-01-01,
# 1066-10-14), never a child's. The latest is the calendar's coverage, checked by the formats that accept
# future dates (case-system due dates); dates of birth and events are checked against today.
EARLIEST = date(1900, 1, 1)
SHOWN = 60  # characters of a bad cell quoted in a reject's reason


class FieldError(ValueError):
    """A cell that cannot be accepted; the message is the reason shown after `file:line: field:`."""


def shown(text: str) -> str:
    """The cell as quoted in a reason: repr (control characters and NUL escaped), at most `SHOWN` characters."""
    if len(text) <= SHOWN:
        return repr(text)
    return f"{text[:SHOWN]!r}... ({len(text)} characters)"


def parse_date(text: str) -> date:
    """ISO `YYYY-MM-DD` or UK `DD/MM/YYYY` (one-digit day and month tolerated), ASCII digits only, not before
    `EARLIEST`. Any other cell, however absurd (`99999999999999999999/01/2015`), is a `FieldError`."""
    s = text.strip()
    day: date | None = None
    if s.isascii() and len(s) <= 10:
        try:
            if "/" in s:
                d, m, y = s.split("/")
                if len(y) == 4 and d.isdigit() and m.isdigit() and y.isdigit():
                    day = date(int(y), int(m), int(d))
            elif len(s) == 10 and s[4] == "-" and s[7] == "-" and s[:4].isdigit() and s[5:7].isdigit() \
                    and s[8:].isdigit():
                day = date(int(s[:4]), int(s[5:7]), int(s[8:]))
        except (ValueError, OverflowError):
            day = None
    if day is None:
        raise FieldError(f"{shown(text)} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
    if day < EARLIEST:
        raise FieldError(f"{day.isoformat()} is before {EARLIEST.year}: not a plausible date (a typing error?)")
    return day


def parse_optional_date(text: str) -> date | None:
    return parse_date(text) if text.strip() else None


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def parse_yes_no(text: str) -> bool | None:
    s = text.strip().lower()
    if not s:
        return None
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise FieldError(f"{shown(text)} is not yes or no")


def parse_weeks(text: str, most: int) -> int | None:
    s = text.strip()
    if not s:
        return None
    if not s.isdigit() or not 1 <= int(s) <= most:
        raise FieldError(f"{shown(text)} is not a whole number of weeks from 1 to {most}")
    return int(s)


def parse_choice(text: str, allowed: frozenset[str], *, required: bool = False) -> str:
    s = text.strip().lower()
    if not s:
        if required:
            raise FieldError("required")
        return ""
    if s not in allowed:
        raise FieldError(f"{shown(text)} is not one of {', '.join(sorted(allowed))}")
    return s


def parse_text(text: str, longest: int, *, required: bool = False) -> str:
    s = text.strip()
    if required and not s:
        raise FieldError("required")
    if len(s) > longest:
        raise FieldError(f"longer than {longest} characters")
    if "\ufffd" in s:
        raise FieldError("not valid UTF-8 text (save the file as CSV UTF-8)")
    if "\x00" in s:
        raise FieldError("holds a NUL character (byte 0): not text")
    return s


def parse_email(text: str, *, required: bool = False) -> str:
    s = parse_text(text, 254, required=required).lower()
    if s and ("@" not in s or s.startswith("@") or s.endswith("@") or " " in s):
        raise FieldError(f"{shown(text)} is not an email address")
    return s
