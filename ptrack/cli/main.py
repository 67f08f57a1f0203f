"""`ptrack`: the command line (README.md). Commands parse, call one `ptrack.tracker.services` function and print.

Every error ptrack raises on purpose (`PtrackError`, calendar errors) becomes one line on stderr saying what
went wrong, where, and what to do, with a non-zero exit; `--verbose` adds the traceback."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from ptrack.calendars import CalendarError
from ptrack.cli import (
    calendar,
    coverage,
    daemon,
    deadlines,
    demo,
    digest,
    discrepancies,
    dispute,
    events,
    importing,
    notify,
    rules,
    setup,
)
from ptrack.cli.global_options import HELP_KEY, PtrackGroup
from ptrack.cli.output import warn
from ptrack.cli.state import DEFAULT_DB, AppState, state
from ptrack.tracker.errors import PtrackError

app = typer.Typer(
    name="ptrack",
    cls=PtrackGroup,
    help="Statutory and local due dates for children in care in England, from case events.",
    epilog="Global options also work after the command they affect, e.g. ptrack deadlines --as-of 2025-01-01. "
           "Commands that send (remind, digest --send, dispute prompt, doctor --send-test, run) refuse an --as-of "
           "other than today; remind, digest --send and dispute prompt simulate one with --dry-run.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)
_current = AppState()
# `init` writes a starter config where --config points; the demo reads none unless --config is given.
CONFIG_WRITTEN = ("init", "demo")


@app.callback()
def global_options(
    ctx: typer.Context,
    db: Annotated[str, typer.Option(
        "--db", envvar="PTRACK_DATABASE_URL", show_envvar=True, metavar="URL",
        help="Database URL, e.g. sqlite:///ptrack.db or postgresql+psycopg://host/db.",
    )] = DEFAULT_DB,
    config: Annotated[Path | None, typer.Option(
        "--config", metavar="PATH",
        help="Config file (else $PTRACK_CONFIG, else ./ptrack.toml if present, else built-in defaults).",
    )] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="YYYY-MM-DD", help="The date 'today' is when judging status (default: today in London).",
    )] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print the traceback with any error.")] = False,
) -> None:
    """Global options: ptrack [--db URL] [--config PATH] [--as-of DATE] [-v] COMMAND, or after the command for the
    commands they affect (ptrack deadlines --as-of 2025-01-01)."""
    global _current
    _current = AppState(db_url=db, config_path=config, as_of_text=as_of, verbose=verbose)
    ctx.obj = _current
    ctx.call_on_close(_current.close)
    if as_of is not None:
        _ = state(ctx).as_of  # a bad --as-of fails before the command does anything
    if ctx.invoked_subcommand not in CONFIG_WRITTEN and not ctx.meta.get(HELP_KEY):
        _ = state(ctx).config  # a missing or invalid config fails every command, even one that never reads it


app.command("init")(setup.init)
app.command("import")(importing.import_files)
app.command("discrepancies")(discrepancies.discrepancies)
app.command("deadlines")(deadlines.list_deadlines)
app.command("explain")(deadlines.explain)
app.command("coverage")(coverage.coverage)
app.add_typer(events.app, name="events")
app.command("recompute")(setup.recompute)
app.command("demo")(demo.demo)
app.add_typer(rules.app, name="rules")
app.add_typer(calendar.app, name="calendar")
app.command("digest")(digest.digest)
app.add_typer(dispute.app, name="dispute")
app.command("remind")(notify.remind)
app.add_typer(notify.outbox_app, name="outbox")
app.add_typer(notify.people_app, name="people")
app.command("doctor")(notify.doctor)
app.command("run")(daemon.run)
app.command("status")(daemon.status)


def main() -> None:
    """The `ptrack` console script."""
    try:
        app()
    except (PtrackError, CalendarError) as exc:
        _fail(exc, str(exc))
    except KeyboardInterrupt:
        warn("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the edge: anything unexpected still gets one line
        _fail(exc, f"unexpected {type(exc).__name__}: {exc}; run with --verbose for the traceback and report it")


def _fail(exc: BaseException, message: str) -> None:
    if _current.verbose:
        traceback.print_exception(exc, file=sys.stderr)
    warn(f"error: {message}")
    sys.exit(1)


if __name__ == "__main__":
    main()
