"""`ptrack rules list|show`: the active rule set, with sources."""

from __future__ import annotations

from typing import Annotated

import typer

from ptrack.cli import output
from ptrack.cli.state import state
from ptrack.tracker.errors import NotFoundError

app = typer.Typer(help="The active rule set (config rule_packs) with sources.", no_args_is_help=True)


@app.command("list")
def list_rules(ctx: typer.Context) -> None:
    """List every active rule: id, pack, national or local, counting and source."""
    ruleset = state(ctx).ruleset
    output.table(
        f"Rule set {ruleset.version} (packs: {', '.join(ruleset.packs)})",
        ("rule", "pack", "N/L", "title", "counting", "source"),
        ((r.rule_id, r.pack, r.scope, r.title, str(r.count), r.citation) for r in ruleset.rules.values()),
    )


@app.command("show")
def show_rule(
    ctx: typer.Context,
    rule_id: Annotated[str, typer.Argument(metavar="ID", help="A rule id, e.g. cla_review_first.")],
) -> None:
    """Show one rule in full: anchor, counting, what meets it, conditions, when it ends, source."""
    ruleset = state(ctx).ruleset
    rule = ruleset.get(rule_id)
    if rule is None:
        raise NotFoundError(f"rule {rule_id!r} is not in the active rule set "
                            f"(packs: {', '.join(ruleset.packs)}); see `ptrack rules list`")
    scope = "national" if rule.scope == "N" else "local"
    fields = [
        ("rule", rule.rule_id), ("title", rule.title), ("pack", f"{rule.pack} ({scope})"),
        ("obligation", rule.obligation), ("source", rule.citation), ("anchor", rule.anchor),
        ("counting", str(rule.count)), ("due soon from", str(rule.soon) if rule.soon else "default"),
        ("met by", ", ".join(sorted(rule.met_by)) or "-"),
        ("applies when", ", ".join(f"{k}={v}" for k, v in rule.applies_when.items()) or "always"),
        ("ends when", ", ".join(str(e) for e in rule.ends_when) or "the case leaves care"),
        ("extended by", str(rule.extended_by) if rule.extended_by else "-"),
        ("who is told", ", ".join(sorted(rule.audience)) + (" (IRO-relevant)" if rule.iro_relevant else "")),
    ]
    for name, value in fields:
        output.line(f"{name:>14}: {value}")
    if rule.description:
        output.line()
        output.line(rule.description)
