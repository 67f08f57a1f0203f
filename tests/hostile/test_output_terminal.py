"""Issue 10, item 7: every user or peer string reaches the terminal as typed, through the installed `ptrack`.

Case ids, initials, team names, file names and a peer's error text are data: Rich must not read them as markup
(`[/x]` crashed `deadlines`, `digest`, `outbox list` and `doctor` with a MarkupError; `[link=file:///etc/passwd]`
became a terminal hyperlink), as emoji codes (`episodes.csv:100:` became "episodes.csv💯"), or pass their control
characters to the terminal (an escape sequence in a file name clears the screen or plants a hyperlink). The
commands run as on a terminal (FORCE_COLOR), where Rich writes styles and hyperlinks."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_cli_commands import Ptrack
from tests.hostile.hostile_out import AS_OF, CLOCK, load, write_config
from tests.notifiers.notifier_peers import HttpPeer

MARKUP_INITIALS = "[/x]"
LINK_TEAM = "[link=file:///etc/passwd]T[/link]"
EMOJI_CASE = "C:100:"
OSC8 = "\x1b]8;"  # the start of a terminal hyperlink
CLEAR_SCREEN = "\x1b[2J"
HOSTILE = [(EMOJI_CASE, MARKUP_INITIALS, LINK_TEAM), ("C2", ":smile:", "[bold red]Team B")]


def terminal(ptrack: Ptrack) -> Ptrack:
    ptrack.env["FORCE_COLOR"] = "1"  # Rich writes colours and hyperlinks as on a terminal
    return ptrack


def visible(text: str) -> str:
    """What a reader sees: the output without Rich's own SGR styling (ESC [ ... m)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def assert_plain(text: str) -> None:
    """No hyperlink, no emoji, no control sequence other than Rich's own colours."""
    assert OSC8 not in text
    assert "\U0001f4af" not in text and "\U0001f604" not in text  # :100: and :smile:
    assert "\x1b" not in visible(text)


@pytest.fixture()
def hostile(tmp_path: Path) -> Ptrack:
    ptrack = terminal(Ptrack(tmp_path))
    load(ptrack, HOSTILE)
    return ptrack


def test_markup_and_emoji_codes_in_case_data_print_as_typed_in_deadlines(hostile: Ptrack) -> None:
    r = hostile("--as-of", AS_OF, "deadlines", "--status", "overdue")
    rows = [line for line in visible(r.stdout).splitlines() if "cla_review_first" in line]
    cells = {tuple(c.strip() for c in row.strip("│ ").split("│")[:3]) for row in rows}
    assert cells == {(EMOJI_CASE, MARKUP_INITIALS, LINK_TEAM), ("C2", ":smile:", "[bold red]Team B")}
    assert_plain(r.stdout)


def test_markup_in_case_data_prints_as_typed_in_the_digest(hostile: Ptrack) -> None:
    r = hostile("--as-of", AS_OF, "digest")
    text = visible(r.stdout)
    assert f"{LINK_TEAM}: overdue, oldest first" in text  # a table title made of a team name
    assert "[bold red]Team B: by worker" in text
    oldest = [line for line in text.splitlines() if "days overdue" in line and EMOJI_CASE in line]
    assert len(oldest) == 1 and f"│ {EMOJI_CASE} │ {MARKUP_INITIALS}     │ cla_review_first │" in oldest[0]
    assert f"│ {EMOJI_CASE} cla_review_first 673 days │" in text  # the by-worker table
    assert_plain(r.stdout)


def test_a_case_filter_that_matches_nothing_is_quoted_as_typed(hostile: Ptrack) -> None:
    r = hostile("--as-of", AS_OF, "deadlines", "--case", "[/x]:100:\x1b[2J", ok=False)
    assert r.returncode == 1
    assert "error: --case '[/x]:100:\\x1b[2J': no such case" in visible(r.stderr)
    assert_plain(r.stderr)


def test_escape_codes_in_a_file_name_are_shown_escaped(tmp_path: Path) -> None:
    ptrack = Ptrack(tmp_path)  # not a terminal: any ESC in the output came from the data
    ptrack("init")
    name = f"cases{CLEAR_SCREEN}\x1b]8;;https:evil.example\x07.csv"
    (tmp_path / name).write_text("case_id,initials,dob,team,worker_email,manager_email,iro_email\n"
                                 "C1,AB,2012-06-01,Team A,sw@example.org,tm@example.org,iro@example.org\n")
    r = ptrack("--as-of", AS_OF, "import", name)
    assert r.stdout.splitlines()[0].startswith(
        "cases\\x1b[2J\\x1b]8;;https:evil.example\\x07.csv (cases): 1 rows read, loaded 1")
    missing = ptrack("import", f"gone{CLEAR_SCREEN}.csv", ok=False)
    assert missing.stderr == "error: import: no such file 'gone\\x1b[2J.csv'; check the path\n"
    for text in (r.stdout, r.stderr, missing.stdout, missing.stderr):
        assert "\x1b" not in text and "\x07" not in text


def test_a_reject_at_line_100_is_not_an_emoji(tmp_path: Path) -> None:
    ptrack = terminal(Ptrack(tmp_path))
    load(ptrack, [("C1", "AB", "Team A")])
    with (tmp_path / "episodes.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["event_id", "case_id", "event", "date"])
        w.writerows([f"V{n}", "C1", "visit", f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}"] for n in range(98))
        w.writerow(["V98", "C1", "visit", "31/02/2025"])  # line 100
    r = ptrack("--as-of", AS_OF, "import", "episodes.csv", ok=False)
    assert r.returncode == 1
    assert "  rejected episodes.csv:100: date: " in visible(r.stdout)
    assert_plain(r.stdout)


def forbidden_route(peer: HttpPeer, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[
        int, dict[str, str], bytes]:
    """A webhook that refuses with text full of markup: a closing tag, a hyperlink, an emoji code, an ESC."""
    return 403, {"Content-Type": "text/plain"}, f"[/x] [link=file:///etc/passwd]x[/link] :100: {CLEAR_SCREEN}".encode()


@pytest.fixture()
def markup_peer() -> Iterator[HttpPeer]:
    peer = HttpPeer(forbidden_route)
    yield peer
    peer.close()


def test_a_peers_markup_error_text_prints_as_typed_in_remind_outbox_list_and_doctor(
    tmp_path: Path, markup_peer: HttpPeer,
) -> None:
    ptrack = terminal(Ptrack(tmp_path, clock=CLOCK))
    load(ptrack, [("C1", "AB", "Team A")])
    write_config(tmp_path, '[channels.teams]\nkind = "teams_workflow"\nwebhook_env = "PTRACK_TEST_HOOK"\n'
                           'timeout = 2\n')
    ptrack.env["PTRACK_TEST_HOOK"] = f"{markup_peer.base}/workflows/abc/invoke"
    ptrack.env["COLUMNS"] = "400"  # every error on one line of its table
    said = "HTTP 403: [/x] [link=file:///etc/passwd]x[/link] :100: \\x1b[2J"

    remind = ptrack("remind")
    assert f"channel teams is broken: teams teams (team Team A): {said}" in visible(remind.stdout)

    listed = ptrack("outbox", "list")
    failed = [line for line in visible(listed.stdout).splitlines() if "│ failed" in line]
    assert len(failed) == 1 and f"permanent: teams teams (team Team A): {said}" in failed[0]

    doctor = ptrack("doctor", ok=False)
    assert doctor.returncode == 1 and "unexpected" not in doctor.stderr
    broken = [line for line in visible(doctor.stdout).splitlines() if "channel teams" in line]
    assert len(broken) == 1 and "PROBLEM" in broken[0] and f"teams teams (team Team A): {said}" in broken[0]
    for r in (remind, listed, doctor):
        assert_plain(r.stdout + r.stderr)
    alert = [json.loads(p.read_text()) for p in (tmp_path / "outbox").glob("*.json")]
    assert alert, "the admin alert went through the folder"
