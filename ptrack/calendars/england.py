"""England & Wales bank holidays from `holidays` (subdiv ENG), as docs/rules.md defines them."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

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
    table = _united_kingdom()(subdiv="ENG", years=range(first_year, last_year + 1))
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


def _united_kingdom() -> Any:
    """The class `holidays.country_holidays("GB", ...)` instantiates, without its cost: that goes through the
    package `holidays.countries`, which imports all ~250 countries' modules (a tenth of every `ptrack` command's
    start-up). The one module is loaded on its own (it imports nothing from its package); when the library is laid
    out otherwise, the library's own way."""
    name = "holidays.countries.united_kingdom"
    module = sys.modules.get(name)
    if module is None:
        path = Path(holidays_lib.__file__).parent / "countries" / "united_kingdom.py"
        spec = importlib.util.spec_from_file_location(name, path) if path.is_file() else None
        if spec is None or spec.loader is None:
            return lambda **kwargs: holidays_lib.country_holidays("GB", **kwargs)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return module.GB
