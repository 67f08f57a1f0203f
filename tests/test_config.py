"""The config contract of SPEC §9: defaults, which file wins, and errors that name the key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ptrack.tracker.config import STARTER_CONFIG, Config, load_config, parse_config, resolve_config_path
from ptrack.tracker.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_no_file_gives_built_in_defaults(tmp_path: Path) -> None:
    config = load_config(None, environ={}, cwd=tmp_path)
    assert config == Config()
    assert config.source is None
    assert config.rule_packs == ("england",)
    assert config.calendar_settings.first_year == 2000 and config.calendar_settings.last_year == 2040
    assert config.notify.remind_working_days_before == (10, 3, 0)
    assert config.notify.escalate_to_manager_after_working_days == 3
    assert config.notify.window == "08:00-18:00"
    assert config.channels == {} and config.teams == {}


def test_precedence_flag_then_env_then_cwd(tmp_path: Path) -> None:
    flag, env, local = tmp_path / "flag.toml", tmp_path / "env.toml", tmp_path / "ptrack.toml"
    flag.write_text('local_authority = "flag"\n')
    env.write_text('local_authority = "env"\n')
    local.write_text('local_authority = "cwd"\n')
    environ = {"PTRACK_CONFIG": str(env)}
    assert load_config(flag, environ=environ, cwd=tmp_path).local_authority == "flag"
    assert load_config(None, environ=environ, cwd=tmp_path).local_authority == "env"
    assert load_config(None, environ={}, cwd=tmp_path).local_authority == "cwd"
    local.unlink()
    assert resolve_config_path(None, {}, tmp_path) is None


def test_documented_example_parses_every_section() -> None:
    config = load_config(REPO / "config" / "ptrack.toml", environ={})
    assert config.local_authority == "Example Council"
    assert config.rule_packs == ("england", "tameside")
    assert config.link_for("C1") == "https://case-system.example/child/C1"
    closures = (date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31))
    assert config.calendar_settings.closure_days == closures
    assert config.rules_settings == {"anchor_day_counts": False}
    assert config.channels["email"].kind == "smtp"
    assert config.channels["email"].settings["password_env"] == "PTRACK_SMTP_PASSWORD"
    assert config.channels["folder"].settings == {"path": "outbox"}
    assert config.teams["Children in Care 1"].teams_webhook_env == "PTRACK_TEAMS_CIC1"
    assert config.import_settings.drop_folder == Path("incoming")


def test_starter_config_parses() -> None:
    config = parse_config(STARTER_CONFIG)
    assert config.rule_packs == ("england",)
    assert config.channels["folder"].kind == "folder"


def test_calendar_is_built_from_the_config() -> None:
    config = parse_config(
        '[calendar]\nfirst_year = 2020\nlast_year = 2030\nclosure_days = [2026-12-29]\n'
        '[calendar.extra_holidays]\n"2027-06-07" = "One-off day"\n'
    )
    cal = config.calendar()
    assert (cal.first_year, cal.last_year) == (2020, 2030)
    assert cal.is_closure_day(date(2026, 12, 29)) and cal.is_working_day(date(2026, 12, 29))
    assert not cal.is_working_day(date(2027, 6, 7))
    assert cal.name_of(date(2027, 6, 7)) == "One-off day"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('colour = "red"\n', "config ptrack.toml: colour: unknown key"),
        ('[calendar]\nclosure_days = ["2026-12-01", "2026-13-01"]\n',
         "config ptrack.toml: calendar.closure_days[1]: '2026-13-01' is not a date"),
        ('rule_packs = "england"\n', "rule_packs: must be a list, not a string"),
        ('rule_packs = ["England!"]\n', "rule_packs[0]: 'England!' is not a pack name"),
        ('deep_link = "https://x/{child}"\n', "deep_link: only {case_id} may be used"),
        ('[calendar]\nregion = "SCT"\n', "calendar.region: 'SCT' is not supported"),
        ('[calendar]\nfirst_year = 2030\nlast_year = 2020\n', "calendar.last_year: 2020 is before"),
        ('[calendar]\nfirst_year = "2000"\n', "calendar.first_year: must be an integer, not a string"),
        ('[notify]\nwindow = "18:00-08:00"\n', "notify.window: '18:00-08:00' is not a window"),
        ('[notify]\nremind_working_days_before = [10, -1]\n', "notify.remind_working_days_before[1]"),
        ('[notify]\nescalate_after = 3\n', "notify.escalate_after: unknown key"),
        ('[channels.x]\nkind = "pigeon"\n', "channels.x.kind: 'pigeon' is not a channel kind"),
        ('[channels.x]\nkind = "slack"\nhost = "h"\n', "channels.x.host: unknown key"),
        ('[teams.A]\nwebhook = "x"\n', "teams.A.webhook: unknown key"),
        ('[rules]\nsetting = {}\n', "rules.setting: unknown key"),
        ('[import]\ndrop_folder = 3\n', "import.drop_folder: must be a string, not an integer"),
        ('[import]\nplaced_adoption_is_authority_to_place = "yes"\n',
         "import.placed_adoption_is_authority_to_place: 'yes' must be true or false"),
        ('[import.health_check_types]\n"Eye test" = "optician"\n',
         "import.health_check_types.'Eye test': 'optician' must be one of dental, initial, other, review"),
        ("calendar = 3\n", "calendar: must be a table, not an integer"),
        ("= broken", "config ptrack.toml: not valid TOML"),
    ],
)
def test_invalid_config_names_the_key_and_reason(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, Path("ptrack.toml"))
    assert message in str(err.value)


def test_the_extract_settings_reach_the_importer() -> None:
    config = parse_config('[import]\nplaced_adoption_is_authority_to_place = true\n[import.health_check_types]\n'
                          '"Initial  Health Assessment" = "initial"\n', Path("ptrack.toml"))
    options = config.import_settings.extract_options()
    assert options.placed_adoption_is_authority_to_place is True
    assert options.health_check_types == {"initial health assessment": "initial"}


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="file not found"):
        load_config(None, environ={"PTRACK_CONFIG": str(tmp_path / "nope.toml")})
