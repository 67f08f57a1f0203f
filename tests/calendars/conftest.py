from __future__ import annotations

import pytest

from ptrack.calendars import WorkingDayCalendar, england_and_wales


@pytest.fixture(scope="session")
def england() -> WorkingDayCalendar:
    """The shipped calendar: England & Wales, 2000-2040, no closure days."""
    return england_and_wales()
