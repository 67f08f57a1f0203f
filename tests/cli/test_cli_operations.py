"""Operating ptrack safely, as a council's admin would, through the installed `ptrack` (issue 8): sending is
always real-time, filters that match nothing are errors, `--config` must exist, global options also work after
the command, unsupported databases fail in one line, an SSD export folder imports, and `doctor` fails when
people cannot be reached or the rule packs do not load."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import EXAMPLES_AS_OF, copy_examples
from test_cli_commands import Ptrack

from ptrack.calendars import england_and_wales
from ptrack.cli.state import today_in_london
from ptrack.tracker.synthetic import CaseloadShape
from ptrack.tracker.synthetic_ssd import write_ssd

AS_OF = ("--as-of", EXAMPLES_AS_OF.isoformat())


@pytest.fixture()
def ptrack(tmp_path: Path, examples_db: Path) -> Ptrack:
    """The SPEC §3 example cases and their people (Team A; sw@example.org, tm@..., iro@...), real clock."""
    copy_examples(examples_db, tmp_path)
    return Ptrack(tmp_path)


def another_day(days: int) -> str:
    """A day that is not today in London (the reproductions used 2027-03-01 and 2026-12-08 on 2026-12-01)."""
    return (today_in_london() + timedelta(days=days)).isoformat()


def nothing_sent(ptrack: Ptrack) -> None:
    assert not (ptrack.cwd / "outbox").exists() or not any((ptrack.cwd / "outbox").iterdir())
    assert "Outbox (0)" in ptrack("outbox", "list").stdout


def one_error_line(r: object, *needles: str) -> str:
    stderr = getattr(r, "stderr", "")
    assert getattr(r, "returncode", 0) == 1, f"{getattr(r, 'stdout', '')}{stderr}"
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return str(lines[0])


# -- sending is always real-time ------------------------------------------------------------------------------


def test_sending_commands_refuse_an_as_of_other_than_today_and_send_nothing(ptrack: Ptrack) -> None:
    ptrack(*AS_OF, "dispute", "open", "X1", "--issue", "care plan drift")  # recording a step dated --as-of is fine
    later, sooner = another_day(90), another_day(6)
    for args, command in [
        (("--as-of", later, "remind"), "remind"),  # it sent "146 days overdue" when truly 56
        (("remind", "--as-of", later), "remind"),
        (("--as-of", sooner, "dispute", "prompt"), "dispute prompt"),  # it prompted IROs for a stage not yet late
        (("--as-of", sooner, "digest", "--send"), "digest --send"),
        (("--as-of", sooner, "doctor", "--send-test"), "doctor --send-test"),
        (("--as-of", sooner, "run"), "run"),
    ]:
        day = args[args.index("--as-of") + 1]
        line = one_error_line(ptrack(*args, ok=False), command, "now, so it runs on today's date",
                              f"not --as-of {day}")
        assert ("add --dry-run to simulate" in line) == (command in ("remind", "dispute prompt", "digest --send"))
    nothing_sent(ptrack)
    steps = ptrack("dispute", "show", "1").stdout
    assert "prompted" not in steps


def test_a_dry_run_on_another_day_says_it_is_a_simulation_on_every_line(ptrack: Ptrack) -> None:
    later = another_day(90)
    ptrack(*AS_OF, "dispute", "open", "X1", "--issue", "care plan drift")
    for args in [("--as-of", later, "remind", "--dry-run"), ("--as-of", later, "dispute", "prompt", "--dry-run"),
                 ("--as-of", later, "digest", "--send", "--dry-run")]:
        out = ptrack(*args).stdout
        lines = [line for line in out.splitlines() if line.strip()]
        assert len(lines) > 1 if args[2] != "dispute" else lines, out
        assert all(line.startswith(f"[simulation as of {later}: nothing queued or sent] ") for line in lines), out
    assert "would queue 1" in ptrack("--as-of", later, "dispute", "prompt", "--dry-run").stdout
    nothing_sent(ptrack)
    assert "prompted" not in ptrack("dispute", "show", "1").stdout


def test_as_of_today_sends_in_real_time(ptrack: Ptrack) -> None:
    """--as-of naming today is today: the pass runs now (not at a simulated 08:00), and says no simulation."""
    out = ptrack("--as-of", today_in_london().isoformat(), "remind").stdout
    assert "simulation" not in out and "reminder pass" in out


# -- filters that match nothing are errors ------------------------------------------------------------------


def test_digest_team_matches_ignoring_case_and_says_so(ptrack: Ptrack) -> None:
    r = ptrack(*AS_OF, "digest", "--team", "team a")  # the team is "Team A": it used to print "Nothing overdue"
    assert "matched team 'Team A'" in r.stderr and "ignoring case" in r.stderr
    assert "Nothing overdue" not in r.stdout and "Team A" in r.stdout
    as_json = json.loads(ptrack(*AS_OF, "digest", "--team", "TEAM A", "--format", "json").stdout)
    assert as_json["overdue"] > 0


@pytest.mark.parametrize(("args", "needles"), [
    (("digest", "--team", "Taem A"), ("--team 'Taem A': no such team", "'Team A'")),
    (("deadlines", "--team", "Team Z"), ("--team 'Team Z': no such team", "'Team A'")),
    (("deadlines", "--worker", "sw@exampel.org"), ("--worker 'sw@exampel.org': no such person", "sw@example.org")),
    (("deadlines", "--case", "X9"), ("--case 'X9': no such case", "'X1'")),
    (("people", "absent", "sam@example.org", "--from", "2026-12-01", "--to", "2026-12-02"),
     ("'sam@example.org': no such person", "sw@example.org")),
    (("people", "absent", "sw@example.org", "--from", "2026-12-01", "--to", "2026-12-02", "--cover", "cy@example.org"),
     ("--cover 'cy@example.org': no such person", "cover@example.org")),
])
def test_a_filter_that_matches_nothing_is_an_error_naming_the_closest(
    ptrack: Ptrack, args: tuple[str, ...], needles: tuple[str, ...]
) -> None:
    r = ptrack(*args, ok=False)
    one_error_line(r, *needles)
    assert "Nothing overdue" not in r.stdout and "no deadlines match" not in r.stdout


# -- config, global options, database URL ---------------------------------------------------------------------


def test_a_config_path_that_does_not_exist_is_an_error_for_every_command(ptrack: Ptrack) -> None:
    for args in [("deadlines",), ("outbox", "list"), ("status",), ("--as-of", "2026-11-25", "digest")]:
        r = ptrack("--config", "/tmp/nope-ptrack.toml", *args, ok=False)  # deadlines and outbox list ignored it
        one_error_line(r, "config /tmp/nope-ptrack.toml: file not found")
    one_error_line(ptrack("outbox", "list", "--config", "/tmp/nope-ptrack.toml", ok=False), "file not found")
    ptrack.env["PTRACK_CONFIG"] = "/tmp/nope-ptrack.toml"
    one_error_line(ptrack("deadlines", ok=False), "file not found", "PTRACK_CONFIG")


def test_global_options_work_after_the_command(ptrack: Ptrack, tmp_path: Path) -> None:
    before = ptrack("--as-of", "2025-01-01", "deadlines", "--status", "all", "--format", "csv").stdout
    after = ptrack("deadlines", "--as-of", "2025-01-01", "--status", "all", "--format", "csv").stdout
    assert after == before and "X1" in after
    assert ptrack("deadlines", "--status", "all", "--as-of=2025-01-01", "--format", "csv").stdout == before
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = Ptrack(elsewhere)
    assert other("deadlines", "--status", "all", "--format", "csv", "--db", f"sqlite:///{tmp_path / 'ptrack.db'}",
                 "--as-of", "2025-01-01").stdout == before
    (tmp_path / "tameside.toml").write_text('rule_packs = ["england", "tameside"]\n')
    assert "ppm_initial" in ptrack("rules", "list", "--config", "tameside.toml").stdout
    assert "Traceback" in ptrack("explain", "NOPE", "--verbose", ok=False).stderr
    assert "Traceback" in ptrack("dispute", "show", "99", "-v", ok=False).stderr
    refused = ptrack("outbox", "list", "--as-of", "2025-01-01", ok=False)  # outbox list does not judge dates
    assert refused.returncode != 0 and "No such option: --as-of" in refused.stderr


@pytest.mark.parametrize(("url", "needle"), [
    ("mysql://x/y", "'mysql' databases are not supported"),
    ("mssql+pyodbc://x/y", "'mssql' databases are not supported"),
    ("postgresql+asyncpg://x/y", "driver 'asyncpg' is not installed with ptrack"),
])
def test_an_unsupported_database_is_one_clear_line(ptrack: Ptrack, url: str, needle: str) -> None:
    r = ptrack("--db", url, "init" if url.startswith("mysql") else "deadlines", ok=False)
    line = one_error_line(r, needle, "SQLite", "PostgreSQL")
    assert "ModuleNotFoundError" not in line and "unexpected" not in line


# -- import a folder ------------------------------------------------------------------------------------------


def test_import_of_an_ssd_export_folder_imports_every_table(tmp_path: Path) -> None:
    extract = write_ssd(tmp_path / "extract", CaseloadShape(children=12, seed=9, as_of=EXAMPLES_AS_OF),
                        england_and_wales())
    (extract.folder / "ssd_address.csv").write_text("addr_table_id,addr_person_id,addr_address_postcode\n1,P1,ZZ9\n")
    ptrack = Ptrack(tmp_path)
    ptrack("init")
    r = ptrack(*AS_OF, "import", str(extract.folder))  # it said "no such file"
    assert "ssd_person.csv" in r.stdout and "ssd_cla_episodes.csv" in r.stdout and "rejected 0" in r.stdout
    assert "ssd_address.csv: a Standard Safeguarding Dataset table ptrack does not read; skipped" in r.stderr
    rows = json.loads(ptrack(*AS_OF, "deadlines", "--status", "all", "--format", "json").stdout)
    assert len({row["case_id"] for row in rows}) > 5
    empty = tmp_path / "empty"
    empty.mkdir()
    one_error_line(ptrack("import", str(empty), ok=False), "has no .csv or .xml file")


# -- doctor is the truth ---------------------------------------------------------------------------------------


def test_doctor_fails_when_a_rule_pack_is_missing_and_init_does_not_claim_it(tmp_path: Path) -> None:
    ptrack = Ptrack(tmp_path)
    (tmp_path / "ptrack.toml").write_text('rule_packs = ["england", "kent"]\n')
    init = ptrack("init", ok=False)
    assert init.returncode == 1 and "rule packs: england" not in init.stdout
    assert "rule pack 'kent'" in init.stderr and "no such pack" in init.stderr
    doctor = ptrack("doctor", ok=False)
    assert doctor.returncode == 1
    assert any(line.startswith("│ rule packs") and "PROBLEM" in line and "'kent'" in line
               for line in doctor.stdout.splitlines()), doctor.stdout


def test_doctor_fails_on_an_unreadable_pack(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "england.toml").write_bytes(b"\xff\xfe not a pack")
    ptrack = Ptrack(tmp_path)
    ptrack.env["PTRACK_PACKS_DIR"] = str(packs)
    ptrack("--db", f"sqlite:///{tmp_path / 'x.db'}", "calendar", "holidays", "2026")  # a command without packs
    doctor = ptrack("--db", f"sqlite:///{tmp_path / 'x.db'}", "doctor", ok=False)
    assert doctor.returncode == 1 and "not valid TOML" in doctor.stdout and "PROBLEM" in doctor.stdout


def test_doctor_fails_when_people_chose_a_channel_that_is_not_configured(ptrack: Ptrack) -> None:
    (ptrack.cwd / "people.csv").write_text(
        "email,name,role,team,slack_user_id,channel\n"
        "sw@example.org,Sam Worker,worker,Team A,U123,slack\n"
        "tm@example.org,Tia Manager,manager,Team A,,teams\n"
        "iro@example.org,Ivy Reviewer,iro,,,\n")
    ptrack(*AS_OF, "import", "people.csv")
    doctor = ptrack("doctor", ok=False)
    assert doctor.returncode == 1
    out = " ".join(doctor.stdout.split())
    assert "people's channel slack │ PROBLEM" in out and "sw@example.org" in out
    assert "people's channel teams │ PROBLEM" in out and "tm@example.org" in out
    assert "their messages go to folder instead" in out
    (ptrack.cwd / "ptrack.toml").write_text(
        '[channels.folder]\nkind = "folder"\npath = "outbox"\n[channels.slack]\nkind = "slack"\n'
        'token_env = "SLACK_TOKEN"\n[channels.teams]\nkind = "teams_workflow"\nwebhook_env = "HOOK"\n')
    ptrack.env.update(SLACK_TOKEN="xoxb-test", HOOK="http://127.0.0.1:9/hook")
    fixed = " ".join(ptrack("doctor", ok=False).stdout.split())
    assert "people's channel" not in fixed and "people on Teams" not in fixed
    (ptrack.cwd / "ptrack.toml").write_text(  # Teams only through team webhooks, and Team A has none
        '[channels.folder]\nkind = "folder"\npath = "outbox"\n[channels.slack]\nkind = "slack"\n'
        'token_env = "SLACK_TOKEN"\n[channels.teams]\nkind = "teams_workflow"\n'
        '[teams."Team B"]\nteams_webhook_env = "HOOK"\n')
    stranded = " ".join(ptrack("doctor", ok=False).stdout.split())
    assert "people on Teams │ PROBLEM" in stranded and "1 people chose Teams but neither their team" in stranded
    assert "tm@example.org" in stranded


def test_doctor_fails_naming_the_cases_whose_reminders_reach_nobody(ptrack: Ptrack) -> None:
    (ptrack.cwd / "cases.csv").write_text(
        "case_id,initials,dob,team,worker_email,manager_email,iro_email\n"
        "X1,AB,2012-06-01,Team A,,tm@example.org,iro@example.org\n"
        "X2,AB,2012-06-01,Team B,,,iro@example.org\n")
    ptrack(*AS_OF, "import", "cases.csv")
    doctor = ptrack("doctor", ok=False)
    assert doctor.returncode == 1
    out = " ".join(doctor.stdout.replace("│", " ").split())
    assert "recipients PROBLEM" in out
    assert "of 2 cases have no worker to tell (X1, X2)" in out and "of 1 cases have no manager to tell (X2)" in out
    assert "reach nobody" in out
