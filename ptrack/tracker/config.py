"""The ptrack config file (docs/configuration.md): one TOML file parsed into typed, frozen values.

Which file: `--config PATH` > env `PTRACK_CONFIG` > `./ptrack.toml` if present > built-in defaults.
Every key is checked at start; an unknown key or a wrong type raises `ConfigError` naming the file, the key
and the reason, e.g. `config ptrack.toml: calendar.closure_days[1]: '2026-13-01' is not a date`. The keys are
documented in docs/configuration.md and shown, with their defaults, in config/ptrack.toml.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ptrack.calendars import WorkingDayCalendar, england_and_wales
from ptrack.tracker.daemon.settings import DaemonConfig, parse_daemon
from ptrack.tracker.errors import ConfigError
from ptrack.tracker.importing.formats import HEALTH_CHECK_CLASSES, ExtractOptions

if TYPE_CHECKING:
    from ptrack.tracker.rules import RuleSet

CONFIG_ENV = "PTRACK_CONFIG"
DEFAULT_FILE = "ptrack.toml"
CHANNEL_KINDS: dict[str, frozenset[str]] = {
    "folder": frozenset({"path"}),
    "smtp": frozenset({"host", "port", "starttls", "sender", "username_env", "password_env", "timeout",
                       "ca_bundle"}),
    "graph": frozenset({"tenant_id", "client_id", "client_secret_env", "sender", "base_url", "timeout",
                        "authority_base_url", "ca_bundle"}),
    "slack": frozenset({"token_env", "base_url", "timeout"}),
    "teams": frozenset({"webhook_env", "timeout", "mention"}),  # the older name of teams_workflow
    "teams_workflow": frozenset({"webhook_env", "timeout", "mention"}),
}
_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class CalendarConfig:
    region: str = "ENG"
    closure_days: tuple[date, ...] = ()
    first_year: int = 2000
    last_year: int = 2040
    extra_holidays: Mapping[date, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifyConfig:
    remind_working_days_before: tuple[int, ...] = (10, 3, 0)
    overdue_nudge_every_working_days: int = 1
    escalate_to_manager_after_working_days: int = 3
    window: str = "08:00-18:00"


@dataclass(frozen=True)
class ChannelConfig:
    """One delivery channel; `settings` holds its kind-specific keys (secrets only as env-var names)."""

    name: str
    kind: str
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TeamConfig:
    name: str
    teams_webhook_env: str = ""
    manager_email: str = ""


@dataclass(frozen=True)
class ImportConfig:
    drop_folder: Path | None = None
    # SSDA903 PLACE codes the council uses for connected-person (Reg 24) placements (docs/importing.md).
    connected_person_place_codes: tuple[str, ...] = ()
    # Sources declared complete (`ptrack coverage`): every event kind they can carry is judged even before one
    # arrives, since its absence means it did not happen.
    complete_sources: tuple[str, ...] = ()
    # Formats (e.g. "events", "ssd_cla_visits") or drop-folder subfolders ("nightly/") that are full extracts:
    # an event of theirs absent from the next file is voided (docs/importing.md).
    full_extract: tuple[str, ...] = ()
    max_void_share: float = 0.10  # the safety valve: a full extract may void at most this share of its events
    # SSDA903 PlacedAdoption DATE_PLACED read as `authority_to_place` (docs/importing.md); off by default.
    placed_adoption_is_authority_to_place: bool = False
    # SSD clah_health_check_type values (lower case) -> initial | review | dental | other.
    health_check_types: tuple[tuple[str, str], ...] = ()

    def extract_options(self) -> ExtractOptions:
        return ExtractOptions(self.placed_adoption_is_authority_to_place, dict(self.health_check_types))


@dataclass(frozen=True)
class DisputeStage:
    """One rung of the IRO dispute ladder (docs/digest-and-disputes.md): who answers it and in how many working days."""

    name: str
    sla_working_days: int = 5


DEFAULT_DISPUTE_STAGES = (
    DisputeStage("Team manager"), DisputeStage("Service manager"), DisputeStage("Head of service"),
    DisputeStage("Director"),
)


@dataclass(frozen=True)
class DisputeConfig:
    stages: tuple[DisputeStage, ...] = DEFAULT_DISPUTE_STAGES
    total_working_days: int = 20  # IRO Handbook para 6.2
    # Where an IRO sends their decision on an overdue stage (someone with ptrack access records it); the
    # prompt also links to the case when `deep_link` is set.
    reply_to: str = ""


@dataclass(frozen=True)
class Config:
    """The whole config. `source` is the file it came from, None for the built-in defaults."""

    source: Path | None = None
    local_authority: str = ""
    rule_packs: tuple[str, ...] = ("england",)
    deep_link: str = ""
    calendar_settings: CalendarConfig = field(default_factory=CalendarConfig)
    rules_settings: Mapping[str, Any] = field(default_factory=dict)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    channels: Mapping[str, ChannelConfig] = field(default_factory=dict)
    teams: Mapping[str, TeamConfig] = field(default_factory=dict)
    import_settings: ImportConfig = field(default_factory=ImportConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    disputes: DisputeConfig = field(default_factory=DisputeConfig)

    def calendar(self) -> WorkingDayCalendar:
        c = self.calendar_settings
        return england_and_wales(c.first_year, c.last_year, c.closure_days, dict(c.extra_holidays))

    def ruleset(self) -> RuleSet:
        from ptrack.tracker.rules import load_ruleset

        return load_ruleset(list(self.rule_packs), {**self.dispute_rule_settings(), **self.rules_settings})

    def dispute_rule_settings(self) -> dict[str, int]:
        """The engine's iro_dispute_* settings that follow from [disputes] (explicit [rules.settings] win): the
        total always, the stage SLA when every stage has the same one (the engine counts one SLA per stage)."""
        out = {"iro_dispute_total": self.disputes.total_working_days}
        slas = {s.sla_working_days for s in self.disputes.stages}
        if len(slas) == 1:
            out["iro_dispute_stage_sla"] = slas.pop()
        return out


    def link_for(self, case_id: str) -> str:
        """The deep link to a case, its id URL-encoded (a case id is data: `/`, `?`, `#`, spaces and brackets
        must not change where the link goes)."""
        return self.deep_link.format(case_id=quote(case_id, safe="")) if self.deep_link else ""


def resolve_config_path(
    path: Path | None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Path | None:
    """The file to read: explicit path, then $PTRACK_CONFIG, then ./ptrack.toml if it exists, else None."""
    if path is not None:
        return path
    env = os.environ if environ is None else environ
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    local = (cwd or Path()) / DEFAULT_FILE  # relative when in the cwd, so messages say "ptrack.toml"
    return local if local.is_file() else None


MAX_CONFIG_BYTES = 1 << 20


def load_config(
    path: Path | None = None, *, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Config:
    """Read and check the config chosen by `resolve_config_path`; built-in defaults when there is none."""
    chosen = resolve_config_path(path, environ, cwd)
    if chosen is None:
        return Config()
    try:
        with chosen.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"config {chosen}: file not found; pass an existing file with --config or unset {CONFIG_ENV}"
        ) from None
    except OSError as exc:
        raise ConfigError(f"config {chosen}: cannot be read: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config {chosen}: larger than {MAX_CONFIG_BYTES // 1024} KiB; not a ptrack config file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config {chosen}: not a text file (byte {exc.start} is not UTF-8); a config is TOML "
                          "text saved as UTF-8") from None
    return parse_config(text, chosen)


def parse_config(text: str, source: Path | None = None) -> Config:
    where = f"config {source}" if source is not None else "config"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    return _Parser(where).config(data, source)


class _Parser:
    """Turns the TOML tree into `Config`, failing on the first bad key with its dotted name."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key}: {reason}")

    def config(self, data: dict[str, Any], source: Path | None) -> Config:
        self.only(data, "", {"local_authority", "rule_packs", "deep_link", "calendar", "rules", "notify",
                             "channels", "teams", "import", "disputes", "daemon"})
        rules = self.table(data, "rules")
        self.only(rules, "rules.", {"settings"})
        return Config(
            source=source,
            local_authority=self.get_str(data, "local_authority", ""),
            rule_packs=self.rule_packs(data),
            deep_link=self.deep_link(data),
            calendar_settings=self.calendar(self.table(data, "calendar")),
            rules_settings=dict(self.table(rules, "settings", "rules.")),
            notify=self.notify(self.table(data, "notify")),
            channels=self.channels(self.table(data, "channels")),
            teams=self.teams(self.table(data, "teams")),
            import_settings=self.import_(self.table(data, "import")),
            daemon=parse_daemon(self, self.table(data, "daemon")),
            disputes=self.disputes(self.table(data, "disputes")),
        )

    # -- generic checks -------------------------------------------------------------------------------------

    def only(self, table: Mapping[str, Any], prefix: str, allowed: set[str] | frozenset[str]) -> None:
        for key in table:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                raise self.fail(f"{prefix}{key}", f"unknown key; expected one of {expected}")

    def table(self, data: Mapping[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{prefix}{key}", f"must be a table, not {_type(value)}")
        return value

    def get_str(self, data: Mapping[str, Any], key: str, default: str, prefix: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"{prefix}{key}", f"must be a string, not {_type(value)}")
        return value

    def get_int(
        self, data: Mapping[str, Any], key: str, default: int, prefix: str = "", minimum: int = 0
    ) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{prefix}{key}", f"must be an integer, not {_type(value)}")
        if value < minimum:
            raise self.fail(f"{prefix}{key}", f"must be at least {minimum}, not {value}")
        return value

    def get_list(self, data: Mapping[str, Any], key: str, prefix: str = "") -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{prefix}{key}", f"must be a list, not {_type(value)}")
        return value

    def as_date(self, value: Any, key: str) -> date:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(key, f"{value!r} is not a date (use YYYY-MM-DD)")

    # -- sections -------------------------------------------------------------------------------------------

    def rule_packs(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        packs = self.get_list(data, "rule_packs") if "rule_packs" in data else ["england"]
        for i, pack in enumerate(packs):
            if not isinstance(pack, str) or not re.fullmatch(r"[a-z0-9_]+", pack):
                raise self.fail(f"rule_packs[{i}]", f"{pack!r} is not a pack name (lower-case letters, _)")
        if not packs:
            raise self.fail("rule_packs", "must name at least one pack, e.g. [\"england\"]")
        return tuple(packs)

    def deep_link(self, data: Mapping[str, Any]) -> str:
        link = self.get_str(data, "deep_link", "")
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(link) if f is not None}
        except ValueError as exc:
            raise self.fail("deep_link", f"not a valid template: {exc}") from None
        if fields - {"case_id"}:
            raise self.fail("deep_link", f"only {{case_id}} may be used, not {sorted(fields - {'case_id'})}")
        return link

    def calendar(self, data: Mapping[str, Any]) -> CalendarConfig:
        p = "calendar."
        self.only(data, p, {"region", "closure_days", "first_year", "last_year", "extra_holidays"})
        region = self.get_str(data, "region", "ENG", p)
        if region != "ENG":
            raise self.fail(f"{p}region", f"{region!r} is not supported; use \"ENG\" (England and Wales)")
        closure_list = self.get_list(data, "closure_days", p)
        closures = tuple(self.as_date(v, f"{p}closure_days[{i}]") for i, v in enumerate(closure_list))
        extra_table = self.table(data, "extra_holidays", p)
        extra = {
            self.as_date(k, f"{p}extra_holidays.{k}"): self.get_str(extra_table, k, "", f"{p}extra_holidays.")
            for k in extra_table
        }
        first = self.get_int(data, "first_year", 2000, p, minimum=1900)
        last = self.get_int(data, "last_year", 2040, p, minimum=1900)
        if last < first:
            raise self.fail("calendar.last_year", f"{last} is before first_year {first}")
        return CalendarConfig(region, closures, first, last, extra)

    def notify(self, data: Mapping[str, Any]) -> NotifyConfig:
        p = "notify."
        self.only(data, p, {"remind_working_days_before", "overdue_nudge_every_working_days",
                            "escalate_to_manager_after_working_days", "window"})
        key = "remind_working_days_before"
        offsets = self.get_list(data, key, p) if key in data else [10, 3, 0]
        for i, v in enumerate(offsets):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise self.fail(f"{p}{key}[{i}]", f"{v!r} is not a whole number >= 0")
        window = self.get_str(data, "window", "08:00-18:00", p)
        m = _WINDOW.match(window)
        if not m or (m.group(1), m.group(2)) >= (m.group(3), m.group(4)):
            raise self.fail("notify.window", f"{window!r} is not a window like \"08:00-18:00\"")
        return NotifyConfig(
            remind_working_days_before=tuple(sorted(set(offsets), reverse=True)),
            overdue_nudge_every_working_days=self.get_int(data, "overdue_nudge_every_working_days", 1, p, 1),
            escalate_to_manager_after_working_days=self.get_int(
                data, "escalate_to_manager_after_working_days", 3, p
            ),
            window=window,
        )

    def channels(self, data: Mapping[str, Any]) -> dict[str, ChannelConfig]:
        out: dict[str, ChannelConfig] = {}
        for name in data:
            p = f"channels.{name}."
            table = self.table(data, name, "channels.")
            kind = self.get_str(table, "kind", "", p)
            if kind not in CHANNEL_KINDS:
                raise self.fail(f"{p}kind", f"{kind!r} is not a channel kind; use one of "
                                            f"{', '.join(sorted(CHANNEL_KINDS))}")
            self.only(table, p, CHANNEL_KINDS[kind] | {"kind"})
            out[name] = ChannelConfig(name, kind, {k: v for k, v in table.items() if k != "kind"})
        return out

    def teams(self, data: Mapping[str, Any]) -> dict[str, TeamConfig]:
        out: dict[str, TeamConfig] = {}
        for name in data:
            p = f"teams.{name}."
            table = self.table(data, name, "teams.")
            self.only(table, p, {"teams_webhook_env", "manager_email"})
            out[name] = TeamConfig(name, self.get_str(table, "teams_webhook_env", "", p),
                                   self.get_str(table, "manager_email", "", p))
        return out

    def import_(self, data: Mapping[str, Any]) -> ImportConfig:
        p = "import."
        self.only(data, p, {"drop_folder", "connected_person_place_codes", "complete_sources", "full_extract",
                            "max_void_share", "placed_adoption_is_authority_to_place", "health_check_types"})
        folder = self.get_str(data, "drop_folder", "", p)
        codes = self.get_list(data, "connected_person_place_codes", p)
        for i, code in enumerate(codes):
            if not isinstance(code, str):
                raise self.fail(f"import.connected_person_place_codes[{i}]", f"{code!r} is not a PLACE code")
        lists = {key: self.get_list(data, key, p) for key in ("complete_sources", "full_extract")}
        for key, items in lists.items():
            for i, item in enumerate(items):
                if not isinstance(item, str) or not item:
                    raise self.fail(f"import.{key}[{i}]", f"{item!r} must be a non-empty name")
        share = data.get("max_void_share", 0.10)
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise self.fail("import.max_void_share", f"{share!r} must be a share between 0 and 1, e.g. 0.1")
        authority = data.get("placed_adoption_is_authority_to_place", False)
        if not isinstance(authority, bool):
            raise self.fail("import.placed_adoption_is_authority_to_place", f"{authority!r} must be true or false")
        types = data.get("health_check_types", {})
        if not isinstance(types, Mapping):
            raise self.fail("import.health_check_types", "must be a table of check type = class")
        for text, klass in types.items():
            if klass not in HEALTH_CHECK_CLASSES:
                raise self.fail(f"import.health_check_types.{text!r}",
                                f"{klass!r} must be one of {', '.join(sorted(HEALTH_CHECK_CLASSES))}")
        return ImportConfig(Path(folder) if folder else None, tuple(codes), tuple(lists["complete_sources"]),
                            tuple(lists["full_extract"]), float(share), authority,
                            tuple(sorted((" ".join(str(k).split()).lower(), str(v)) for k, v in types.items())))

    def disputes(self, data: Mapping[str, Any]) -> DisputeConfig:
        p = "disputes."
        self.only(data, p, {"stages", "total_working_days", "reply_to"})
        total = self.get_int(data, "total_working_days", 20, p, minimum=1)
        reply_to = self.get_str(data, "reply_to", "", p)
        if "stages" not in data:
            return DisputeConfig(total_working_days=total, reply_to=reply_to)
        stages = []
        for i, item in enumerate(self.get_list(data, "stages", p)):
            key = f"{p}stages[{i}]"
            if not isinstance(item, dict):
                raise self.fail(key, f"must be a table like {{name = \"Team manager\", sla_working_days = 5}}, "
                                     f"not {_type(item)}")
            self.only(item, f"{key}.", {"name", "sla_working_days"})
            name = self.get_str(item, "name", "", f"{key}.")
            if not name.strip():
                raise self.fail(f"{key}.name", "must not be empty")
            stages.append(DisputeStage(name, self.get_int(item, "sla_working_days", 5, f"{key}.", minimum=1)))
        if not stages:
            raise self.fail(f"{p}stages", "must list at least one stage")
        return DisputeConfig(tuple(stages), total, reply_to)


def _type(value: object) -> str:
    names = {dict: "a table", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
             float: "a number"}
    return names.get(type(value), type(value).__name__)


STARTER_CONFIG = """\
# ptrack config. Every key is optional; see docs/configuration.md for all of them.
local_authority = "Example Council"
rule_packs = ["england"]                  # add local packs, e.g. "tameside", "somerset"
deep_link = ""                            # e.g. "https://case-system.example/child/{case_id}"

[calendar]
region = "ENG"
closure_days = []                         # council closures: delivery only, never statutory dates

[rules.settings]
anchor_day_counts = false

[notify]
remind_working_days_before = [10, 3, 0]
escalate_to_manager_after_working_days = 3
window = "08:00-18:00"

[channels.folder]                         # the embedded default: one file per message
kind = "folder"
path = "outbox"

[import]
drop_folder = "incoming"
complete_sources = []                     # e.g. ["csv"]: judge every rule events.csv could evidence (ptrack coverage)
"""
