"""Which channel carries a person's messages (docs/channels.md): the person's `channel` (people.csv) picks it; a team
with a Teams webhook gets its team's messages in Teams; otherwise the folder channel (the embedded default),
then email, then whatever is configured."""

from __future__ import annotations

from collections.abc import Mapping

from ptrack.tracker.config import Config

KIND_FAMILY = {"folder": "folder", "smtp": "email", "graph": "email", "slack": "slack", "teams": "teams",
               "teams_workflow": "teams"}


def available_channels(config: Config) -> dict[str, str]:
    """Channel name -> family (folder, email, slack, teams), as `ptrack.notifiers.registry.build_notifiers` builds
    them: every configured channel, "teams" for team webhooks, "folder" when nothing is configured."""
    out = {name: KIND_FAMILY.get(c.kind, c.kind) for name, c in config.channels.items()}
    if any(t.teams_webhook_env for t in config.teams.values()) and "teams" not in out.values():
        out["teams"] = "teams"
    if not config.channels:
        out["folder"] = "folder"
    return out


def choose_channel(preference: str, team_has_webhook: bool, available: Mapping[str, str]) -> str:
    if preference in available:
        return preference
    for family in (preference, "teams" if team_has_webhook else "", "folder", "email", "slack", "teams"):
        for name, fam in available.items():
            if family and fam == family:
                return name
    return "folder"

