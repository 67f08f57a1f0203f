"""Issue 10, item 8: a peer that echoes the request back gets no secret, and no part of one, into anything ptrack
keeps or shows: `remind`'s output, channel_state, the outbox rows, the admin alert files, `outbox list`, `doctor`.

Through the installed `ptrack remind` against a real local Teams Workflows webhook and Slack Web API that refuse
with the request quoted back as careless gateways do: JSON-escaped (`\\/workflows\\/<id>\\/…`), URL-decoded, or
long enough that the stored reason is cut inside the secret. The secrets are the Teams workflow URL's signature
and workflow id (a path segment) and the Slack bot token; not even ten consecutive characters of one may show."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.cli.test_cli_commands import Ptrack
from tests.hostile.hostile_out import CLOCK, load, write_config
from tests.notifiers.notifier_peers import HttpPeer

WORKFLOW_ID = "7c2e9b41d05a4f3e8a61b2c7d9e0f314"
SIGNATURE = "qT3vX8mK2pL9sW4zB7nC1dF6gH0jR5yA2eU8iO3wQ4k"
WEBHOOK_PATH = (f"/workflows/{WORKFLOW_ID}/triggers/manual/paths/invoke?api-version=2016-06-01"
                f"&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIGNATURE}")
SLACK_TOKEN = "xoxb-4815162342-1087-Zq8RtW3yUv6PsN0aKdLm"
WINDOW = 10


def fragments(secret: str) -> set[str]:
    """Every run of WINDOW characters of `secret`: a cut secret leaks one of these."""
    return {secret[i:i + WINDOW] for i in range(len(secret) - WINDOW + 1)}


def quoted(method: str, path: str, headers: dict[str, str]) -> str:
    return f"Cannot {method} {path}\n" + "\n".join(f"{k}: {v}" for k, v in headers.items())


def teams_echo(shape: str) -> Callable[..., tuple[int, dict[str, str], bytes]]:
    def route(peer: HttpPeer, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[
            int, dict[str, str], bytes]:
        text = quoted(method, path, headers)
        if shape == "json":
            text = json.dumps({"error": {"code": "Forbidden", "message": text}}).replace("/", "\\/")
        elif shape == "decoded":
            text = unquote(text)
        elif shape == "cut":  # the workflow id straddles the 300th character, where the reason was cut
            text = "Forbidden: " + "." * (288 - len("Forbidden: ") - text.index(WORKFLOW_ID)) + " " + text
        return 403, {"Content-Type": "text/plain"}, text.encode()

    return route


def slack_echo(peer: HttpPeer, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[
        int, dict[str, str], bytes]:
    """`invalid_auth` quoting the Authorization header, the token straddling the 200th character."""
    said = f"Authorization: {headers.get('Authorization')}"
    lead = "invalid_auth: "
    pad = 200 - len(SLACK_TOKEN) // 2 - len(lead) - said.index(SLACK_TOKEN)
    error = lead + "." * pad + said + "\n" + quoted(method, path, headers)
    return 200, {"Content-Type": "application/json"}, json.dumps({"ok": False, "error": error}).encode()


@pytest.fixture()
def peers() -> Iterator[list[HttpPeer]]:
    started: list[HttpPeer] = []
    yield started
    for peer in started:
        peer.close()


def everything_kept_and_shown(ptrack: Ptrack, printed: list[str]) -> dict[str, str]:
    """The database dumped whole, every file ptrack wrote (admin alerts, the folder channel) and what the
    commands printed."""
    with sqlite3.connect(ptrack.cwd / "ptrack.db") as db:
        kept = {"database": "\n".join(db.iterdump())}
    for path in sorted(ptrack.cwd.rglob("*")):
        if path.is_file() and path.name != "ptrack.db":
            kept[str(path.relative_to(ptrack.cwd))] = path.read_text(errors="replace")
    kept |= {f"output {n}": text for n, text in enumerate(printed)}
    return kept


def assert_no_part_of(secrets: list[str], kept: dict[str, str]) -> None:
    for secret in secrets:
        for fragment in fragments(secret):
            for where, text in kept.items():
                assert fragment not in text, f"{fragment!r} of a secret leaked into {where}"


def run_remind(ptrack: Ptrack) -> list[str]:
    remind = ptrack("remind")
    assert "is broken" in remind.stdout  # the channel's credentials were refused: the admins are told
    printed = [remind.stdout + remind.stderr]
    for command in (("outbox", "list"), ("doctor",)):
        r = ptrack(*command, ok=False)
        assert "unexpected" not in r.stderr
        printed.append(r.stdout + r.stderr)
    alerts = list((ptrack.cwd / "outbox").glob("*alert*.txt")) or [
        p for p in (ptrack.cwd / "outbox").glob("*.txt") if "Kind: alert" in p.read_text()]
    assert alerts, "no admin alert was written"
    return printed


@pytest.mark.parametrize("shape", ["json", "decoded", "cut"])
def test_a_teams_webhook_echoing_the_request_leaks_no_part_of_its_url(
    tmp_path: Path, peers: list[HttpPeer], shape: str,
) -> None:
    peers.append(HttpPeer(teams_echo(shape)))
    ptrack = Ptrack(tmp_path, clock=CLOCK)
    ptrack.env["COLUMNS"] = "400"
    load(ptrack, [("C1", "AB", "Team A")])
    write_config(tmp_path, '[channels.teams]\nkind = "teams_workflow"\nwebhook_env = "PTRACK_TEST_HOOK"\n'
                           'timeout = 2\n')
    ptrack.env["PTRACK_TEST_HOOK"] = f"{peers[0].base}{WEBHOOK_PATH}"
    printed = run_remind(ptrack)
    assert peers[0].requests, "the webhook was never called"
    assert_no_part_of([WORKFLOW_ID, SIGNATURE], everything_kept_and_shown(ptrack, printed))


def test_a_slack_api_echoing_the_authorization_header_leaks_no_part_of_the_token(
    tmp_path: Path, peers: list[HttpPeer],
) -> None:
    peers.append(HttpPeer(slack_echo))
    ptrack = Ptrack(tmp_path, clock=CLOCK)
    ptrack.env["COLUMNS"] = "400"
    load(ptrack, [("C1", "AB", "Team A")], people=False)
    (tmp_path / "people.csv").write_text("email,name,role,team,slack_user_id,channel\n"
                                         "sw@example.org,Sam Worker,worker,Team A,U0SW,slack\n"
                                         "admin@example.org,Ada Admin,admin,,,\n")
    ptrack("import", "people.csv")
    write_config(tmp_path, f'[channels.slack]\nkind = "slack"\ntoken_env = "PTRACK_TEST_SLACK"\n'
                           f'base_url = "{peers[0].base}/api/"\ntimeout = 2\n')
    ptrack.env["PTRACK_TEST_SLACK"] = SLACK_TOKEN
    printed = run_remind(ptrack)
    assert any(p.endswith("chat.postMessage") for _, p, _, _ in peers[0].requests)
    assert_no_part_of([SLACK_TOKEN], everything_kept_and_shown(ptrack, printed))
