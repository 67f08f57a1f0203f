"""Issue 10, item 9: each send has a total deadline, and a stuck channel never holds up another channel.

A peer that drips its answer one byte every DRIP_SECONDS (less than any read timeout) is cut off at the channel's
`timeout` for the whole send, including a send made of two calls (Slack's user lookup then its post, Graph's token
then its sendMail: a slow first answer leaves the second only what is left). Through the installed `ptrack
remind`, a dripping Teams webhook and a dripping Slack API do not delay the email channel's message: it is
delivered as soon as the pass starts, and the pass ends after about one timeout, not the sum of them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ptrack.notifiers.base import DeliveryError, Message
from ptrack.notifiers.email_graph import GraphMailNotifier
from ptrack.notifiers.slack import SlackNotifier
from tests.cli.test_cli_commands import TRAVEL, Ptrack
from tests.hostile.hostile_out import CLOCK, load, write_config
from tests.notifiers.notifier_peers import (
    GRAPH_SECRET,
    GRAPH_TENANT,
    SLACK_TOKEN,
    HttpPeer,
    Reply,
    SmtpPeer,
    graph_route,
    make_certificate,
    server_context,
    slack_route,
)

TIMEOUT = 1.0
FIRST_CALL = 0.8  # the first call of a two-call send answers in time, but leaves little for the second
MARGIN = 0.4  # scheduling, a thread's start, the error's recording


class Timed:
    """Wraps a peer route: after a request for `slow_path` (answered FIRST_CALL late), the peer drips every later
    answer."""

    def __init__(self, route: Callable[..., Reply], slow_path: str) -> None:
        self.route = route
        self.slow_path = slow_path

    def __call__(self, peer: HttpPeer, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        answer = self.route(peer, method, path, headers, body)
        if self.slow_path in path:
            time.sleep(FIRST_CALL)
            peer.mode = "drip"
        return answer


class TimedSmtp(SmtpPeer):
    """The healthy channel: aiosmtpd, recording when each message arrived."""

    def __init__(self) -> None:
        super().__init__(None)
        self.arrived: list[float] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.arrived.append(time.monotonic())
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture()
def peers() -> Iterator[list[HttpPeer]]:
    started: list[HttpPeer] = []
    yield started
    for peer in started:
        peer.close()


def message() -> Message:
    return Message(key="k1", kind="test", recipient_email="worker42@council.example", subject="ptrack: test",
                   text="A test message.")


def test_a_slack_send_whose_post_drips_after_a_slow_lookup_ends_at_the_timeout(peers: list[HttpPeer]) -> None:
    route = Timed(slack_route, slow_path="users.lookupByEmail")
    peers.append(HttpPeer(route))
    notifier = SlackNotifier("chat", token=SLACK_TOKEN, base_url=f"{peers[0].base}/api/", timeout=TIMEOUT)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as info:
        notifier.send(message())
    took = time.monotonic() - started
    assert [p.rsplit("/", 1)[-1].split("?")[0] for _, p, _, _ in peers[0].requests] == [
        "users.lookupByEmail", "chat.postMessage"]
    assert info.value.retryable and "timed out" in info.value.reason
    assert took < TIMEOUT + MARGIN, f"the send took {took:.2f} s with a {TIMEOUT} s timeout"


def test_a_graph_send_whose_sendmail_drips_after_a_slow_token_ends_at_the_timeout(
    peers: list[HttpPeer], tmp_path: Path,
) -> None:
    cert = make_certificate(tmp_path)
    route = Timed(graph_route, slow_path="/oauth2/v2.0/token")
    peers.append(HttpPeer(route, server_context(cert)))
    base = peers[0].base
    notifier = GraphMailNotifier("email", tenant_id=GRAPH_TENANT, client_id="c", client_secret=GRAPH_SECRET,
                                 sender="ptrack@council.example", authority_base_url=base, graph_base_url=base,
                                 timeout=TIMEOUT, ca_bundle=str(cert[0]))
    started = time.monotonic()
    with pytest.raises(DeliveryError) as info:
        notifier.send(message())
    took = time.monotonic() - started
    assert any("/sendMail" in p for _, p, _, _ in peers[0].requests), "the token came too late to try sendMail"
    assert info.value.retryable and "timed out" in info.value.reason
    assert took < TIMEOUT + MARGIN, f"the send took {took:.2f} s with a {TIMEOUT} s timeout"


def remind_timed(ptrack: Ptrack) -> tuple[str, float]:
    """`ptrack remind` under the test clock; its output and when it printed the dispatch line (the end of the
    pass; the interpreter's own shutdown, a second or so, is not the pass's)."""
    command = [sys.executable, "-c", TRAVEL, CLOCK, "remind"]
    with subprocess.Popen(command, cwd=ptrack.cwd, env={**ptrack.env, "PYTHONUNBUFFERED": "1"}, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        assert process.stdout is not None
        lines, ended = [], 0.0
        for line in process.stdout:
            lines.append(line)
            if line.startswith("sent "):
                ended = time.monotonic()
        assert process.wait(timeout=60) == 0, "".join(lines)
    assert ended, "".join(lines)
    return "".join(lines), ended


def test_remind_delivers_the_healthy_channel_at_once_and_ends_after_about_one_timeout(
    tmp_path: Path, peers: list[HttpPeer],
) -> None:
    peers.extend([HttpPeer(slack_route), HttpPeer(Timed(slack_route, slow_path="users.lookupByEmail"))])
    teams, slack = peers
    teams.mode = "drip"  # the Teams webhook drips its headers from the start
    smtp = TimedSmtp()
    try:
        ptrack = Ptrack(tmp_path, clock=CLOCK)
        load(ptrack, [("C1", "AB", "Team A", "a-teams@example.org"), ("C2", "CD", "Team A", "b-slack@example.org"),
                      ("C3", "EF", "Team A", "c-mail@example.org")], people=False)
        (tmp_path / "people.csv").write_text(
            "email,name,role,team,slack_user_id,channel\n"
            "a-teams@example.org,A Teams,worker,Team A,,teams\n"
            "b-slack@example.org,B Slack,worker,Team A,,slack\n"
            "c-mail@example.org,C Mail,worker,Team A,,email\n"
            "admin@example.org,Ada Admin,admin,,,\n")
        write_config(tmp_path, (
            f'[channels.teams]\nkind = "teams_workflow"\nwebhook_env = "PTRACK_TEST_HOOK"\ntimeout = {TIMEOUT}\n'
            f'[channels.slack]\nkind = "slack"\ntoken_env = "PTRACK_TEST_SLACK"\nbase_url = "{slack.base}/api/"\n'
            f'timeout = {TIMEOUT}\n'
            f'[channels.email]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {smtp.port}\nstarttls = false\n'
            f'sender = "ptrack@example.org"\ntimeout = {TIMEOUT}\n'))
        ptrack.env |= {"PTRACK_TEST_HOOK": f"{teams.base}/workflows/abc/invoke", "PTRACK_TEST_SLACK": SLACK_TOKEN}
        ptrack("import", "people.csv")
        said, ended = remind_timed(ptrack)
    finally:
        smtp.close()
    assert "retrying 2, failed 0" in said, said  # the two stuck channels timed out, to be retried
    assert "c-mail@example.org" in [str(m["To"]) for m in smtp.messages]  # (and the manager's escalation)
    started = min(teams.arrived[0], slack.arrived[0], smtp.arrived[0])  # the first send of the pass
    assert smtp.arrived[0] - started < MARGIN, "the email waited behind a stuck channel"
    assert ended - started < TIMEOUT + 2 * MARGIN, f"the pass took {ended - started:.2f} s after its first send"
