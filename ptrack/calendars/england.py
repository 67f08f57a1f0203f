"""England & Wales bank holidays from `holidays` (subdiv ENG), as docs/rules.md defines them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays as holidays_lib

from ptrack.calendars.working_days import WorkingDayCalendar

DEFAULT_FIRST_YEAR = 2000
DEFAULT_LAST_YEAR = 2040


def england_and_wales(
    first_year: int = DEFAULT_FIRST_YEAR,
    last_year: int = DEFAULT_LAST_YEAR,
    closure_days: Iterable[date] = (),
    extra_holidays: dict[date, str] | None = None,
) -> WorkingDayCalendar:
    """The statutory working-day calendar for England.

    `subdiv="ENG"` matters: without it Easter Monday and the August bank holiday are missing. Substitute days
    ("(observed)") and one-off days (jubilees, the 2022 state funeral, the 2023 coronation) come from the
    library. `extra_holidays` lets an admin add a newly announced one-off day before the library knows it."""
    table = holidays_lib.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    named: dict[date, str] = {d: str(n) for d, n in table.items()}
    if extra_holidays:
        named.update(extra_holidays)
    return WorkingDayCalendar(
        first_year=first_year,
        last_year=last_year,
        holidays=named,
        closure_days=frozenset(closure_days),
        source=f"ENG(holidays {getattr(holidays_lib, '__version__', '?')})",
    )
