"""Build every configured channel from the config and the environment (docs/delivery.md, docs/configuration.md).

`build_notifiers(config, env)` returns one notifier per `[channels.NAME]`, keyed by NAME. Secrets are read from
the environment variables the config names (`*_env` keys); a missing or empty variable is a `ConfigError` that
names the variable, never a value. Teams with `teams_webhook_env` are served by the `teams_workflow` channel, and
get one named "teams" when the config has none. With no channel configured at all, the folder channel
(`outbox/`) is the embedded default, so the product works out of the box.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ptrack.notifiers.base import Notifier
from ptrack.notifiers.email_graph import GraphMailNotifier
from ptrack.notifiers.email_smtp import SmtpNotifier
from ptrack.notifiers.folder import FolderNotifier
from ptrack.notifiers.slack import SlackNotifier
from ptrack.notifiers.teams import TeamsWorkflowNotifier
from ptrack.tracker.config import ChannelConfig, Config
from ptrack.tracker.errors import ConfigError

DEFAULT_FOLDER = "outbox"
TEAMS_KINDS = ("teams_workflow", "teams")


def build_notifiers(config: Config, env: Mapping[str, str] = os.environ) -> dict[str, Notifier]:
    """One notifier per configured channel (plus the implicit ones above), keyed by channel name."""
    out: dict[str, Notifier] = {}
    for name, channel in config.channels.items():
        out[name] = _build(_Settings(config, channel, env), config)
    team_webhooks = _team_webhooks(config, env)
    if team_webhooks and not any(c.kind in TEAMS_KINDS for c in config.channels.values()):
        out.setdefault("teams", TeamsWorkflowNotifier("teams", team_webhooks=team_webhooks))
    if not config.channels:
        out["folder"] = FolderNotifier("folder", Path(DEFAULT_FOLDER))
    return out


def _build(s: _Settings, config: Config) -> Notifier:
    kind = s.channel.kind
    if kind == "folder":
        return FolderNotifier(s.name, Path(s.text("path", DEFAULT_FOLDER)))
    if kind in TEAMS_KINDS:
        return TeamsWorkflowNotifier(
            s.name, webhook_url=s.secret("webhook_env", required=False),
            team_webhooks=_team_webhooks(config, s.env), timeout=s.number("timeout", 10),
            mention=s.flag("mention", True),
        )
    if kind == "slack":
        return SlackNotifier(s.name, token=s.secret("token_env"), base_url=s.text("base_url", ""),
                             timeout=s.number("timeout", 10))
    if kind == "smtp":
        return SmtpNotifier(
            s.name, host=s.text("host"), port=int(s.number("port", 587)), sender=s.text("sender"),
            starttls=s.flag("starttls", True), username=s.secret("username_env", required=False),
            password=s.secret("password_env", required=False), timeout=s.number("timeout", 30),
            ca_bundle=s.text("ca_bundle", ""),
        )
    if kind == "graph":
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
