"""What every command shares: the global options, and the config, calendar, rule set and store they select.

The CLI is the edge where the clock is read: `--as-of` defaults to today in Europe/London and the date is
passed inward. Everything is built lazily, so `ptrack calendar ...` needs no database and `ptrack --help`
reads no config."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pendulum
import typer

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.config import Config, load_config
from ptrack.tracker.errors import PtrackError

if TYPE_CHECKING:
    from ptrack.tracker.rules import RuleSet
    from ptrack.tracker.store import Store

DEFAULT_DB = "sqlite:///ptrack.db"
TIMEZONE = "Europe/London"


class UsageError(PtrackError):
    """A bad command-line value (not a config or data problem)."""


def today_in_london() -> date:
    now = pendulum.now(TIMEZONE)
    return date(now.year, now.month, now.day)


def parse_date(text: str, what: str) -> date:
    """An ISO date from the command line; `what` names the option or argument in the error."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-25") from None


@dataclass
class AppState:
    """The global options of one `ptrack` run and what they select."""

    db_url: str = DEFAULT_DB
    config_path: Path | None = None
    as_of_text: str | None = None
    verbose: bool = False
    _stores: list[Store] = field(default_factory=list, repr=False)

    @cached_property
    def as_of(self) -> date:
        return parse_date(self.as_of_text, "--as-of") if self.as_of_text else today_in_london()

    @property
    def as_of_is_today(self) -> bool:
        """No --as-of, or --as-of naming today in London: the command runs in real time."""
        return self.as_of_text is None or self.as_of == today_in_london()

    def require_real_time(self, command: str, dry_run: bool | None = None, doing: str = "sends messages") -> None:
        """Sending is always real-time: a command that sends refuses an --as-of other than today, unless it is a
        dry run (`dry_run` None: the command has no dry run). A message sent "as of" another day would tell
        people wrong figures ("146 days overdue") about a day that is not today."""
        if self.as_of_is_today or dry_run:
            return
        today = today_in_london().isoformat()
        simulate = (f"; add --dry-run to simulate {self.as_of_text} without sending" if dry_run is not None
                    else "; drop --as-of")
        raise UsageError(f"{command} {doing} now, so it runs on today's date ({today}), not --as-of "
                         f"{self.as_of_text}{simulate}")

    def simulation_prefix(self, dry_run: bool, on: date | None = None) -> str:
        """What every line of a dry run of a sending command starts with (empty when really sending); `on` is
        the simulated day (default --as-of)."""
        if not dry_run:
            return ""
        day = on or self.as_of
        when = "today" if day == today_in_london() else f"as of {day.isoformat()}"
        return f"[simulation {when}: nothing queued or sent] "

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path)

    @cached_property
    def calendar(self) -> WorkingDayCalendar:
        return self.config.calendar()

    @cached_property
    def ruleset(self) -> RuleSet:
        return self.config.ruleset()

    @cached_property
    def store(self) -> Store:
        from ptrack.tracker.services import open_store

        store = open_store(self.db_url)
        self._stores.append(store)
        return store

    def close(self) -> None:
        for store in self._stores:
            store.close()


def state(ctx: typer.Context) -> AppState:
    """The `AppState` the main callback put on the context (a fresh default one in isolated calls)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
