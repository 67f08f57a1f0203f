"""The CLI's edge values: today's date in London, dates and statuses from the command line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from ptrack.cli.deadlines import OPEN, parse_statuses
from ptrack.cli.state import UsageError, parse_date, today_in_london
from ptrack.tracker.model import Status


@pytest.mark.parametrize(
    ("utc", "london"),
    [
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1)),  # BST: already tomorrow in London
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 31)),  # GMT: the same day
    ],
)
def test_today_is_read_in_london(utc: datetime, london: date) -> None:
    with time_machine.travel(utc, tick=False):
        assert today_in_london() == london


def test_dates_from_the_command_line() -> None:
    assert parse_date("2025-01-21", "--as-of") == date(2025, 1, 21)
    with pytest.raises(UsageError, match="--as-of '21/01/2025' is not a date; use YYYY-MM-DD"):
        parse_date("21/01/2025", "--as-of")


def test_status_words() -> None:
    assert parse_statuses("open") == list(OPEN)
    assert parse_statuses("all") is None
    assert parse_statuses("overdue, met_late") == [Status.OVERDUE, Status.MET_LATE]
    assert parse_statuses("open,overdue") == list(OPEN)
    with pytest.raises(UsageError, match="'late' is not a status"):
        parse_statuses("late")
