"""`ptrack calendar add|holidays`: working-day arithmetic and the holiday list, for checking dates by hand."""

from __future__ import annotations

from typing import Annotated

import typer

from ptrack.calendars import add
from ptrack.cli import output
from ptrack.cli.state import parse_date, state

app = typer.Typer(help="Working-day arithmetic and the England and Wales holiday list.", no_args_is_help=True)


@app.command("add")
def add_to_date(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(metavar="DATE", help="The anchor date, YYYY-MM-DD.")],
    n: Annotated[int, typer.Argument(metavar="N", help="How many units.")],
    unit: Annotated[str, typer.Argument(
        metavar="UNIT", help="WD (working days), CD (days), WK (weeks), MO (months), BW, BEFORE.",
    )],
) -> None:
    """Count N units from DATE; print the due date, the last working day and the skipped days by name."""
    anchor = parse_date(day, "DATE")
    cal = state(ctx).calendar
    result = add(cal, anchor, n, unit)
    last = cal.last_working_day(result.due)
    output.line(f"anchor: {output.d(anchor)}")
    output.line(f"due: {output.d(result.due)} ({result.due.isoformat()})")
    output.line(f"last working day: {output.d(last)} ({last.isoformat()})")
    if result.skipped:
        named = [f"{s.name} {s.day.isoformat()}" for s in result.skipped if s.name not in ("Saturday", "Sunday")]
        weekend = len(result.skipped) - len(named)
        output.line("skipped: " + ", ".join(named + ([f"{weekend} weekend days"] if weekend else [])))
    if last != result.due:
        passed = cal.non_working_days(last, result.due)
        output.line("not working days (calendar limits never roll forward): "
                    + ", ".join(f"{s.name} {s.day.isoformat()}" for s in passed))


@app.command("holidays")
def holidays(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(metavar="YEAR", min=1, max=9999, help="A year the calendar covers.")],
) -> None:
    """List the bank holidays of YEAR (England and Wales), with any configured closure days."""
    cal = state(ctx).calendar
    days = cal.holidays_in(year)
    output.table(
        f"Bank holidays {year}, England and Wales",
        ("date", "day", "name"),
        ((day.isoformat(), day.strftime("%A"), name) for day, name in days),
    )
    closures = sorted(c for c in cal.closure_days if c.year == year)
    if closures:
        output.line("council closure days (working days for statutory counting; delivery only): "
                    + ", ".join(c.isoformat() for c in closures))
