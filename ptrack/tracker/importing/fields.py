"""Parsing one CSV cell. Each parser returns the value or raises `FieldError` with a reason for the reject."""

from __future__ import annotations

from datetime import date


class FieldError(ValueError):
    """A cell that cannot be accepted; the message is the reason shown after `file:line: field:`."""


def parse_date(text: str) -> date:
    """ISO `YYYY-MM-DD` or UK `DD/MM/YYYY` (one-digit day and month tolerated)."""
    s = text.strip()
    try:
        if "/" in s:
            day, month, year = s.split("/")
            if len(year) != 4:
                raise ValueError
            return date(int(year), int(month), int(day))
        if len(s) == 10 and s[4] == "-" and s[7] == "-":
            return date.fromisoformat(s)
    except ValueError:
        pass
    raise FieldError(f"{text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


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
    raise FieldError(f"{text!r} is not yes or no")


def parse_weeks(text: str, most: int) -> int | None:
    s = text.strip()
    if not s:
        return None
    if not s.isdigit() or not 1 <= int(s) <= most:
        raise FieldError(f"{text!r} is not a whole number of weeks from 1 to {most}")
    return int(s)


def parse_choice(text: str, allowed: frozenset[str], *, required: bool = False) -> str:
    s = text.strip().lower()
    if not s:
        if required:
            raise FieldError("required")
        return ""
    if s not in allowed:
        raise FieldError(f"{text!r} is not one of {', '.join(sorted(allowed))}")
    return s


def parse_text(text: str, longest: int, *, required: bool = False) -> str:
    s = text.strip()
    if required and not s:
        raise FieldError("required")
    if len(s) > longest:
        raise FieldError(f"longer than {longest} characters")
    if "\ufffd" in s:
        raise FieldError("not valid UTF-8 text (save the file as CSV UTF-8)")
    return s


def parse_email(text: str, *, required: bool = False) -> str:
    s = parse_text(text, 254, required=required).lower()
    if s and ("@" not in s or s.startswith("@") or s.endswith("@") or " " in s):
        raise FieldError(f"{text!r} is not an email address")
    return s
