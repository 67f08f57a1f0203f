"""The one registry of a deployment's channels (docs/channels.md, docs/configuration.md): which channels exist,
which one carries a person's messages, and where a message or an alert goes when a channel cannot carry it.

`channel_set(config)` names every channel and its family (folder, email, slack, teams): one per
`[channels.NAME]`; "teams" for team webhooks when no Teams channel is configured; "folder" (`outbox/`) when no
channel is configured at all, so the product works out of the box. `build_notifiers(config, env)` builds exactly
that set. Secrets are read from the environment variables the config names (`*_env` keys); a missing or empty
variable is a `ConfigError` that names the variable, never a value.

Routing: a person's `channel` (people.csv) picks the channel; a team with a Teams webhook gets its team's
messages in Teams; otherwise the folder, then email, then whatever exists (`choose_channel`). Fallback: a
message refused for its recipient (an unknown Slack user, an SMTP 550) goes to the person's next reachable
channel in `FALLBACK_FAMILIES` (email, then the folder: `fallback_for`); an admin alert about a broken channel
goes through another working one, the folder first (`alert_via`). The dispatcher always has a folder channel
(`with_fallback`).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ptrack.notifiers.base import Notifier
from ptrack.notifiers.folder import FolderNotifier
from ptrack.tracker.config import ChannelConfig, Config
from ptrack.tracker.errors import ConfigError

DEFAULT_FOLDER = "outbox"
FALLBACK = "folder"
TEAMS_KINDS = ("teams_workflow", "teams")
KIND_FAMILY = {"folder": "folder", "smtp": "email", "graph": "email", "slack": "slack", "teams": "teams",
               "teams_workflow": "teams"}
FALLBACK_FAMILIES = ("email", "folder")  # a person's other reachable channels, in order


def channel_set(config: Config) -> dict[str, str]:
    """Channel name -> family, for every channel the deployment has (no secrets needed)."""
    out = {name: KIND_FAMILY.get(c.kind, c.kind) for name, c in config.channels.items()}
    if any(t.teams_webhook_env for t in config.teams.values()) and "teams" not in out.values():
        out["teams"] = "teams"
    if not config.channels:
        out[FALLBACK] = "folder"
    return out


def build_notifiers(config: Config, env: Mapping[str, str] = os.environ) -> dict[str, Notifier]:
    """One notifier per channel of `channel_set(config)`, keyed by channel name."""
    out: dict[str, Notifier] = {}
    for name in channel_set(config):
        channel = config.channels.get(name)
        if channel is not None:
            out[name] = _build(_Settings(config, channel, env), config)
        elif name == FALLBACK:
            out[name] = FolderNotifier(name, Path(DEFAULT_FOLDER))
        else:
            from ptrack.notifiers.teams import TeamsWorkflowNotifier

            out[name] = TeamsWorkflowNotifier(name, team_webhooks=_team_webhooks(config, env))
    return out


def choose_channel(preference: str, team_has_webhook: bool, available: Mapping[str, str]) -> str:
    """The channel for a person whose people.csv `channel` is `preference`."""
    if preference in available:
        return preference
    for family in (preference, "teams" if team_has_webhook else "", "folder", "email", "slack", "teams"):
        for name, fam in available.items():
            if family and fam == family:
                return name
    return FALLBACK


def family_of(notifier: Notifier) -> str:
    return KIND_FAMILY.get(str(getattr(notifier, "kind", "")), str(getattr(notifier, "kind", "")))


def with_fallback(notifiers: Mapping[str, Notifier], path: Path = Path(DEFAULT_FOLDER)) -> Mapping[str, Notifier]:
    """`notifiers`, plus the folder channel at `path` when none is configured."""
    if FALLBACK in notifiers or any(isinstance(n, FolderNotifier) for n in notifiers.values()):
        return notifiers
    return {**notifiers, FALLBACK: FolderNotifier(FALLBACK, path)}


def fallback_for(failed: str, notifiers: Mapping[str, Notifier], unusable: Collection[str]) -> str | None:
    """The person's next reachable channel after `failed` refused their message: email, then the folder
    (never back to the failed channel's family, never a broken channel); None when there is none left."""
    families = {name: family_of(n) for name, n in notifiers.items()}
    order = list(FALLBACK_FAMILIES)
    failed_family = families.get(failed, "")
    later = order[order.index(failed_family) + 1:] if failed_family in order else order
    for family in later:
        for name, fam in families.items():
            if fam == family and name != failed and name not in unusable:
                return name
    return None


def alert_via(broken: str, notifiers: Mapping[str, Notifier], unusable: Collection[str]) -> str:
    """A working channel other than `broken` for an admin alert: a folder channel first, then email."""
    working = [name for name in notifiers if name != broken and name not in unusable]
    for family in ("folder", "email"):
        for name in working:
            if family_of(notifiers[name]) == family:
                return name
    return working[0] if working else FALLBACK


def _build(s: _Settings, config: Config) -> Notifier:
    # Each channel's module (and its client library: slack_sdk, msal, smtplib) is imported when a channel of its
    # kind is built, so commands that send nothing start without them.
    kind = s.channel.kind
    if kind == "folder":
        return FolderNotifier(s.name, Path(s.text("path", DEFAULT_FOLDER)))
    if kind in TEAMS_KINDS:
        from ptrack.notifiers.teams import TeamsWorkflowNotifier

        return TeamsWorkflowNotifier(
            s.name, webhook_url=s.secret("webhook_env", required=False),
            team_webhooks=_team_webhooks(config, s.env), timeout=s.number("timeout", 10),
            mention=s.flag("mention", True),
        )
    if kind == "slack":
        from ptrack.notifiers.slack import SlackNotifier

        return SlackNotifier(s.name, token=s.secret("token_env"), base_url=s.text("base_url", ""),
                             timeout=s.number("timeout", 10))
    if kind == "smtp":
        from ptrack.notifiers.email_smtp import SmtpNotifier

        return SmtpNotifier(
            s.name, host=s.text("host"), port=int(s.number("port", 587)), sender=s.text("sender"),
            starttls=s.flag("starttls", True), username=s.secret("username_env", required=False),
            password=s.secret("password_env", required=False), timeout=s.number("timeout", 30),
            ca_bundle=s.text("ca_bundle", ""),
        )
    if kind == "graph":
        from ptrack.notifiers.email_graph import GraphMailNotifier

        return GraphMailNotifier(
            s.name, tenant_id=s.text("tenant_id"), client_id=s.text("client_id"),
            client_secret=s.secret("client_secret_env"), sender=s.text("sender"),
            authority_base_url=s.text("authority_base_url", ""), graph_base_url=s.text("base_url", ""),
            timeout=s.number("timeout", 30), ca_bundle=s.text("ca_bundle", ""),
        )
    raise ConfigError(f"{s.where}: channels.{s.name}.kind: {kind!r} has no notifier")


def _team_webhooks(config: Config, env: Mapping[str, str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for name, team in config.teams.items():
        if team.teams_webhook_env:
            urls[name] = _env_value(env, team.teams_webhook_env, f"teams.{name}.teams_webhook_env",
                                    _where(config))
    return urls


def _env_value(env: Mapping[str, str], variable: str, key: str, where: str) -> str:
    value = env.get(variable, "")
    if not value:
        raise ConfigError(f"{where}: {key}: environment variable {variable} is not set")
    return value


def _where(config: Config) -> str:
    return f"config {config.source}" if config.source is not None else "config"


class _Settings:
    """Typed access to one channel's settings; a wrong type is a `ConfigError` naming the key."""

    def __init__(self, config: Config, channel: ChannelConfig, env: Mapping[str, str]) -> None:
        self.channel = channel
        self.name = channel.name
        self.env = env
        self.where = _where(config)

    def _fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.where}: channels.{self.name}.{key}: {reason}")

    def _get(self, key: str, default: Any) -> Any:
        if key not in self.channel.settings:
            if default is None:
                raise self._fail(key, f"is required for a {self.channel.kind} channel")
            return default
        return self.channel.settings[key]

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise self._fail(key, "must be a string")
        if not value and default is None:
            raise self._fail(key, "must not be empty")
        return value

    def number(self, key: str, default: float) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self._fail(key, "must be a positive number")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "must be true or false")
        return value

    def secret(self, key: str, *, required: bool = True) -> str:
        """The value of the environment variable named by `key`; '' when optional and not configured."""
        variable = self._get(key, None if required else "")
        if not isinstance(variable, str):
            raise self._fail(key, "must be the name of an environment variable")
        if not variable:
            return ""
        return _env_value(self.env, variable, f"channels.{self.name}.{key}", self.where)
