"""Delivery as a user runs it, through the installed `ptrack` in a scratch directory on SQLite, against the real
local peers: a Teams webhook that echoes the request back (`403 Cannot POST /workflows/…&sig=SECRET`) leaks its
signature nowhere (stdout, channel_state, the outbox, the admin alert files); a dispatcher killed (SIGKILL)
between claiming and sending leaves its messages `sending` until the lease passes, then they are delivered,
each once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli_commands import TRAVEL, Ptrack, write_examples

from tests.notifiers.notifier_peers import SLACK_TOKEN, DripServer, HttpPeer, SmtpPeer, slack_route, teams_route

WHEN = "2026-11-25T09:00:00+00:00"  # a Wednesday, inside the delivery window (London is on UTC in November)
AFTER_LEASE = "2026-11-25T09:06:00+00:00"  # the claim lease is 5 minutes
PEOPLE = [("sw@example.org", "Sam Worker", "worker", "Team A"), ("tm@example.org", "Tia Manager", "manager", "Team A"),
          ("iro@example.org", "Ivy Reviewer", "iro", ""), ("admin@example.org", "Ada Admin", "admin", "")]
SIG = "SIGNATURESECRET0123456789"


def setup(p: Ptrack, channel: str) -> None:
    write_examples(p.cwd)
    with (p.cwd / "people.csv").open("w") as f:
        f.write("email,name,role,team,slack_user_id,channel\n")
        f.writelines(f"{e},{n},{r},{t},,{channel}\n" for e, n, r, t in PEOPLE)
    p("init")
    p("--as-of", "2026-11-25", "import", "cases.csv", "people.csv", "events.csv")


def remind_at(p: Ptrack, when: str) -> subprocess.CompletedProcess[str]:
    """`ptrack remind` at the instant `when`: sending is real-time, so the clock travels there (not `--now`)."""
    p.clock = when
    return p("remind")


def sql(p: Ptrack, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(p.cwd / "ptrack.db") as db:
        return list(db.execute(query))


@pytest.fixture()
def echoing_teams() -> Iterator[HttpPeer]:
    peer = HttpPeer(teams_route)
    peer.mode = "echo"
    yield peer
    peer.close()


def test_a_webhook_signature_echoed_back_is_stored_printed_and_alerted_nowhere(
    tmp_path: Path, echoing_teams: HttpPeer
) -> None:
    p = Ptrack(tmp_path)
    setup(p, "teams")
    (tmp_path / "ptrack.toml").write_text('[teams."Team A"]\nteams_webhook_env = "HOOK"\n'
                                          '[channels.teams]\nkind = "teams_workflow"\ntimeout = 5\n'
                                          '[channels.folder]\nkind = "folder"\npath = "outbox"\n')
    p.env["HOOK"] = f"{echoing_teams.base}/workflows/0a1b/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers" \
                    f"&sv=1.0&sig={SIG}"
    out = remind_at(p, WHEN)
    assert echoing_teams.requests, "the peer was never asked"
    assert "channel teams is broken" in out.stdout
    assert f"sig={SIG}" in echoing_teams.requests[0][1]  # the peer did see it, and quoted it back
    texts = {"remind": out.stdout + out.stderr, "outbox list": p("outbox", "list").stdout,
             "doctor": p("doctor", ok=False).stdout,
             "channel_state": repr(sql(p, "SELECT * FROM channel_state")),
             "outbox rows": repr(sql(p, "SELECT last_error, payload FROM outbox_messages")),
             "alert files": "".join(f.read_text() for f in (tmp_path / "outbox").glob("*"))}
    assert "broken" in texts["channel_state"] and texts["alert files"]
    for where, text in texts.items():
        for secret in (SIG, "sp=%2Ftriggers", p.env["HOOK"]):
            assert secret not in text, f"the webhook's {secret!r} leaked into {where}"


def test_a_dispatcher_killed_between_claim_and_send_delivers_after_the_lease_once(tmp_path: Path) -> None:
    p = Ptrack(tmp_path)
    setup(p, "email")
    drip, smtp = DripServer(), SmtpPeer(None)
    config = ('[channels.email]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n'
              'sender = "ptrack@council.example"\ntimeout = {timeout}\n')
    try:
        # The first dispatcher claims its batch and hangs in the SMTP banner; it is killed there.
        (tmp_path / "ptrack.toml").write_text(config.format(port=drip.port, timeout=60))
        first = subprocess.Popen([sys.executable, "-c", TRAVEL, WHEN, "remind"], cwd=tmp_path, env=p.env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not drip.connections:
            time.sleep(0.1)
        assert drip.connections, "the dispatcher never reached the send"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        claimed = sql(p, "SELECT dedup_key FROM outbox_messages WHERE status = 'sending'")
        assert claimed, "nothing was left claimed"
        total = sql(p, "SELECT count(*) FROM outbox_messages")[0][0]
        assert "claimed longer than the lease" in p("doctor", ok=False).stdout  # never shown as healthy
        # The mail server is fixed; a pass within the lease leaves the claims alone (they may still be sending).
        (tmp_path / "ptrack.toml").write_text(config.format(port=smtp.port, timeout=5))
        remind_at(p, "2026-11-25T09:02:00+00:00")
        assert sql(p, "SELECT count(*) FROM outbox_messages WHERE status = 'sending'")[0][0] == len(claimed)
        assert len(smtp.messages) == total - len(claimed)
        # After the lease the claims are reclaimed and sent: every message exactly once.
        out = remind_at(p, AFTER_LEASE).stdout
        assert f"reclaimed {len(claimed)}," in out
        assert sql(p, "SELECT DISTINCT status FROM outbox_messages") == [("sent",)]
        ids = Counter(str(m["Message-ID"]) for m in smtp.messages)
        assert len(ids) == total and set(ids.values()) == {1}
    finally:
        drip.close()
        smtp.close()


def test_outbox_retry_after_fixing_slack_then_remind_again_never_crashes(tmp_path: Path) -> None:
    """Issue 12's reproduction: Slack refused (bad token), the admin fixed it and ran the documented
    `ptrack outbox retry --channel slack`; the next `remind` failed with `UNIQUE constraint failed:
    outbox_messages.dedup_key` and left messages `sending`. Run twice at the same instant to make keys collide."""
    p = Ptrack(tmp_path)
    setup(p, "slack")
    slack = HttpPeer(slack_route)
    try:
        (tmp_path / "ptrack.toml").write_text(f'[channels.slack]\nkind = "slack"\ntoken_env = "TOKEN"\n'
                                              f'base_url = "{slack.base}/api/"\ntimeout = 5\n')
        p.env["TOKEN"] = SLACK_TOKEN
        slack.mode = "rejected"
        for _ in range(2):
            assert "channel slack is broken" in remind_at(p, WHEN).stdout
            assert "back in the queue on slack" in p("outbox", "retry", "--channel", "slack").stdout
        slack.mode = "ok"
        out = remind_at(p, WHEN)
        assert "Traceback" not in out.stderr and "UNIQUE" not in out.stdout + out.stderr
        statuses = dict(sql(p, "SELECT status, count(*) FROM outbox_messages WHERE kind != 'alert' GROUP BY status"))
        assert set(statuses) == {"sent"} and slack.bodies("chat.postMessage")
        assert "channel slack" in p("doctor", ok=False).stdout and "working" in p("doctor", ok=False).stdout
    finally:
        slack.close()


def test_remind_against_a_mail_server_that_drips_its_banner_ends_at_the_timeout(tmp_path: Path) -> None:
    """Issue 10: a peer dripping one byte every few seconds kept `remind` running far past `timeout`."""
    p = Ptrack(tmp_path)
    setup(p, "email")
    drip = DripServer()
    try:
        (tmp_path / "ptrack.toml").write_text(
            f'[channels.email]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {drip.port}\nstarttls = false\n'
            'sender = "ptrack@council.example"\ntimeout = 1\n')
        started = time.monotonic()
        out = remind_at(p, WHEN).stdout
        assert time.monotonic() - started < 15, "remind was held by the dripping server"
        assert "sent 0, retrying 1," in out and drip.connections == 1  # one timeout, then the channel rests
        errors = [e for (e,) in sql(p, "SELECT last_error FROM outbox_messages") if e]
        assert errors and all("timed out" in e for e in errors)
    finally:
        drip.close()
