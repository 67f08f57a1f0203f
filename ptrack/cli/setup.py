"""`ptrack init` and `ptrack recompute`: the database and the deadlines stored in it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ptrack.cli.output import line, warn
from ptrack.cli.state import state
from ptrack.tracker import services
from ptrack.tracker.config import STARTER_CONFIG, resolve_config_path
from ptrack.tracker.errors import RulePackError
from ptrack.tracker.store.engine import safe_url


def init(ctx: typer.Context) -> None:
    """Create or upgrade the database (Alembic) and write a starter ptrack.toml if there is no config."""
    s = state(ctx)
    services.init_database(s.db_url)
    line(f"database ready: {safe_url(s.db_url)}")
    target = resolve_config_path(s.config_path) or Path("ptrack.toml")
    if target.exists():
        line(f"config: {target} (kept as it is)")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(STARTER_CONFIG, encoding="utf-8")
        line(f"config: wrote a starter {target}; see docs/configuration.md")
    s.config_path = target
    try:
        ruleset = s.ruleset
    except RulePackError as exc:
        warn(f"error: rule packs {', '.join(s.config.rule_packs)} cannot be loaded: {exc}; fix rule_packs in "
             f"{target} or the pack file, then run `ptrack doctor`")
        raise typer.Exit(1) from None
    line(f"rule packs: {', '.join(ruleset.packs)} ({len(ruleset.rules)} rules)")


def recompute(
    ctx: typer.Context,
    all_cases: Annotated[bool, typer.Option("--all", help="Recompute every case.")] = False,
    case: Annotated[list[str] | None, typer.Option(
        "--case", metavar="ID", help="Recompute only this case (repeat for several).",
    )] = None,
) -> None:
    """Recompute deadlines with the current rules and calendar: by default what is stale (cases an interrupted
    import or recompute left marked; every case after a rule-set or calendar change); --all for every case,
    --case for some."""
    s = state(ctx)
    if all_cases or case:
        report = services.recompute(s.store, s.ruleset, s.calendar, s.as_of, case_ids=None if all_cases else case)
    else:
        report = services.recompute_stale(s.store, s.ruleset, s.calendar, s.as_of)
    line(f"recomputed {report.cases} cases as of {report.as_of.isoformat()} in {report.seconds:.1f} s: "
         f"{report.deadlines} deadlines ({report.inserted} new, {report.updated} changed, "
         f"{report.unchanged} unchanged), {report.archived} archived")
    if report.skipped_cases:
        line(f"{report.skipped_cases} of the cases had the same events, rules and calendar as when their deadlines "
             "were last computed: not computed again")
    line(f"rule set {report.ruleset_version}; calendar {report.calendar_version}")
