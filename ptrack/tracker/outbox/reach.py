"""`ptrack doctor`'s checks that ptrack can do its job for people, not only that its parts are up: the rule
packs load, every person's chosen channel is configured, and every open deadline has someone to tell.

Each finding names the people (emails) or the cases, with counts, and what to change: ptrack never quietly
sends a person's messages somewhere they did not choose, nor lets reminders fall to nobody while saying ok."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import date

from ptrack.notifiers.registry import channel_set as available_channels
from ptrack.notifiers.registry import choose_channel
from ptrack.tracker.config import Config
from ptrack.tracker.errors import PtrackError
from ptrack.tracker.outbox.doctor import Check
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import reach_queries as rq

SHOWN = 5  # names listed per finding; the rest are counted


def listed(names: Sequence[str], shown: int = SHOWN) -> str:
    """`a, b, c and 4 more`."""
    head = ", ".join(names[:shown])
    return head + (f" and {len(names) - shown} more" if len(names) > shown else "")


def ruleset_check(config: Config, load: Callable[[], RuleSet]) -> Check:
    """The configured rule packs load (a missing, unreadable or invalid pack fails here, naming it)."""
    try:
        ruleset = load()
    except PtrackError as exc:
        return Check("rule packs", False, f"{exc}; fix rule_packs in the config or the pack file")
    return Check("rule packs", True, f"{', '.join(ruleset.packs)}: {len(ruleset.rules)} rules ({ruleset.version})")


def channel_checks(config: Config, people: Sequence[rq.PersonChannel]) -> list[Check]:
    """One check per channel people chose in people.csv that the config does not provide: who chose it and where
    their messages go instead; and the people whose Teams channel has no webhook for their team."""
    available = available_channels(config)
    webhooks = {name for name, team in config.teams.items() if team.teams_webhook_env}
    missing: dict[str, list[rq.PersonChannel]] = defaultdict(list)
    for person in people:
        if person.channel not in available and person.channel not in available.values():
            missing[person.channel].append(person)
    stranded = _teams_without_webhook(config, people, available, webhooks)
    out = [stranded] if stranded is not None else []
    for wanted, who in sorted(missing.items()):
        instead = sorted({choose_channel(p.channel, p.team in webhooks, available) for p in who})
        out.append(Check(
            f"people's channel {wanted}", False,
            f"{len(who)} people chose {wanted} in people.csv but no {wanted} channel is configured: "
            f"{listed([p.email for p in who])}; their messages go to {', '.join(instead)} instead. Configure a "
            f"{wanted} channel (docs/channels.md) or change their channel in people.csv",
        ))
    return out


def _teams_without_webhook(config: Config, people: Sequence[rq.PersonChannel], available: dict[str, str],
                           webhooks: set[str]) -> Check | None:
    """People routed to a Teams channel that has no default webhook (`webhook_env`) while their team has none:
    Teams refuses every message to them, which then falls back to another channel."""
    defaults = {name for name, c in config.channels.items() if c.settings.get("webhook_env")}
    stranded = [p.email for p in people
                if available.get(channel := choose_channel(p.channel, p.team in webhooks, available)) == "teams"
                and channel not in defaults and p.team not in webhooks]
    if not stranded:
        return None
    return Check("people on Teams", False, f"{len(stranded)} people chose Teams but neither their team nor the "
                 f"Teams channel has a Workflows webhook: {listed(stranded)}; their messages fall back to email or "
                 "the folder. Add teams_webhook_env for their team or webhook_env for the channel (docs/channels.md)")


def recipients_check(store: Store, config: Config, ruleset: RuleSet, today: date) -> Check:
    """Open deadlines whose reminders or escalations would reach nobody (no worker, manager or IRO recorded)."""
    with store.reading("checking who can be reached") as conn:
        gaps = rq.open_deadlines_missing_people(conn, today)
    team_managers = {name for name, team in config.teams.items() if team.manager_email}
    nobody: dict[str, set[str]] = defaultdict(set)  # role -> cases
    deadlines: dict[str, int] = defaultdict(int)
    for gap in gaps:
        rule = ruleset.get(gap.rule_id)
        if rule is None:
            continue  # not in the active rule set: nothing is sent for it
        for role in _roles_missing(gap, rule.audience, rule.iro_relevant, team_managers):
            nobody[role].add(gap.case_id)
            deadlines[role] += 1
    if not nobody:
        return Check("recipients", True, "every open deadline has its worker, manager and IRO recorded")
    parts = [f"{deadlines[role]} open deadlines of {len(cases)} cases have no {role} to tell "
             f"({listed(sorted(cases))})" for role, cases in sorted(nobody.items(), key=_role_order)]
    return Check("recipients", False, "; ".join(parts) + ": their reminders reach nobody (suppressed_no_recipient)."
                 " Record worker_email, manager_email and iro_email in cases.csv (a team's manager: manager_email of "
                 "the team in the config)")


ROLES = ("worker", "manager", "IRO")


def _role_order(item: tuple[str, set[str]]) -> int:
    return ROLES.index(item[0])


def _roles_missing(gap: rq.CaseGap, audience: frozenset[str], iro_relevant: bool,
                   team_managers: Collection[str]) -> list[str]:
    out = []
    if "worker" in audience and not gap.worker_email:
        out.append("worker")
    if not gap.manager_email and gap.team not in team_managers:  # escalations go to the manager
        out.append("manager")
    if (iro_relevant or "iro" in audience) and not gap.iro_email:
        out.append("IRO")
    return out
