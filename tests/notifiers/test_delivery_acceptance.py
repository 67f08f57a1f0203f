"""Issue 12's acceptance, through the real local peers (Slack Web API, Teams Workflows, SMTP via aiosmtpd) and a
real store (SQLite and PostgreSQL): one recipient the channel refuses among five leaves the other four delivered
on the same pass, the message goes on through the person's next channel (email, then the folder), the admin
alert names the person and the reason, and the channel stays healthy; a bad token still marks the channel broken
and alerts the admins through the fallback (the folder)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as clock
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from notifier_peers import (
    GRAPH_SECRET,
    GRAPH_TENANT,
    SLACK_TOKEN,
    HttpPeer,
    SmtpPeer,
    graph_route,
    slack_route,
    teams_route,
)

from ptrack.calendars import england_and_wales
from ptrack.notifiers.registry import build_notifiers
from ptrack.tracker.config import Config, parse_config
from ptrack.tracker.model import Case, Deadline, Person, Status
from ptrack.tracker.outbox.service import list_outbox, remind
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import outbox_queries as q
from ptrack.tracker.store.coverage_queries import record_supply
from ptrack.tracker.store.deadlines import insert_deadlines
from ptrack.tracker.store.rows import deadline_row
from ptrack.tracker.store.writes import upsert_cases, upsert_people

CAL = england_and_wales(2020, 2035)
NOW = datetime.combine(date(2026, 11, 25), clock(9, 0), tzinfo=ZoneInfo("Europe/London"))
ADMIN = "admin@council.example"


def seed(store: Store, workers: list[str], channel: str, case_ids: list[str] | None = None) -> None:
    """One case per worker, each with a visit overdue since Tue 24 Nov (a nudge today, no escalation yet)."""
    case_ids = case_ids or [f"C{n}" for n in range(len(workers))]
    people = [Person(w, f"Worker Number {n}", "worker", "Children in Care 1", channel=channel)
              for n, w in enumerate(workers)] + [Person(ADMIN, "Ada Admin", "admin", "")]
    now = datetime.now(UTC)
    with store.transaction() as conn:
        upsert_cases(conn, [Case(cid, "AB", date(2015, 1, 1), "Children in Care 1", w, "tm@council.example",
                                 "iro@council.example") for cid, w in zip(case_ids, workers, strict=True)])
        upsert_people(conn, people)
        for cid in case_ids:
            d = Deadline(key="visit_year1#1", case_id=cid, rule_id="visit_year1", obligation="visit",
                         due=date(2026, 11, 24), last_working_day=date(2026, 11, 24), status=Status.OVERDUE,
                         anchor_event="placement_start", anchor_event_id=f"E-{cid}", anchor_date=date(2026, 10, 1),
                         source="test", counting="test", due_soon_from=date(2026, 11, 24))
            insert_deadlines(conn, [deadline_row(d)], {"ruleset_version": "t", "calendar_version": "t"}, now)
        # Seeded without their events: record that the feed supplies visits, so visit_year1 is not untracked
        # (`ptrack coverage`) and the policy judges it.
        record_supply(conn, "csv", {"visit": date(2026, 10, 1)}, now)


def config(folder: Path, *, slack: HttpPeer | None = None, smtp: SmtpPeer | None = None,
           teams: HttpPeer | None = None, graph: tuple[HttpPeer, Path] | None = None,
           timeout: int = 10) -> tuple[Config, dict[str, str]]:
    """The channels' config; `timeout` (Slack and SMTP) is generous, so a busy machine never turns a send into a
    timeout, except where a test is about the timeout itself."""
    toml = f'local_authority = "Example Council"\n[channels.folder]\nkind = "folder"\npath = "{folder}"\n'
    env: dict[str, str] = {}
    if slack is not None:
        toml += (f'[channels.slack]\nkind = "slack"\ntoken_env = "TOKEN"\nbase_url = "{slack.base}/api/"\n'
                 f'timeout = {timeout}\n')
        env["TOKEN"] = SLACK_TOKEN
    if smtp is not None:
        toml += (f'[channels.email]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {smtp.port}\nstarttls = false\n'
                 f'sender = "ptrack@council.example"\ntimeout = {timeout}\n')
    if graph is not None:
        peer, ca = graph
        toml += (f'[channels.email]\nkind = "graph"\ntenant_id = "{GRAPH_TENANT}"\nclient_id = "c"\n'
                 f'client_secret_env = "GRAPH"\nsender = "ptrack@council.example"\nauthority_base_url = "{peer.base}"\n'
                 f'base_url = "{peer.base}"\ntimeout = 5\nca_bundle = "{ca}"\n')
        env["GRAPH"] = GRAPH_SECRET
    if teams is not None:
        toml += '[teams."Children in Care 1"]\nteams_webhook_env = "HOOK"\n[channels.teams]\nkind = "teams_workflow"\n'
        env["HOOK"] = f"{teams.base}/workflows/1/invoke?sig=SIGNATURE123456"
    return parse_config(toml), env


def alerts(folder: Path) -> list[str]:
    return [p.read_text() for p in folder.glob("*.txt") if "Kind: alert" in p.read_text()]


def smtp_recipients(peer: SmtpPeer) -> list[str]:
    return [str(m["To"]) for m in peer.messages]


WORKERS = ["w1@council.example", "w2@council.example", "w3@council.example", "w4@council.example"]


@pytest.mark.parametrize(("channel", "refused", "goes_to"), [
    ("slack", "gone@council.example", "email"),  # Slack: users_not_found
    ("email", "nobody@council.example", "folder"),  # SMTP: 550 5.1.1 for that one address
    ("teams", "w5@council.example", "email"),  # Teams: the webhook refuses that one card (400)
    ("graph", "nobody@council.example", "folder"),  # Graph sendMail: 400 ErrorInvalidRecipients
])
def test_one_refused_recipient_among_five_leaves_the_others_delivered_on_the_same_pass(
    store: Store, ruleset: RuleSet, tmp_path: Path, http_peer: Callable[..., HttpPeer], channel: str,
    refused: str, goes_to: str, certificate: tuple[Path, Path],
) -> None:
    slack, teams, smtp = http_peer(slack_route), http_peer(teams_route), SmtpPeer(None)
    graph = http_peer(graph_route, tls=True, cert=certificate) if channel == "graph" else None
    try:
        workers = [*WORKERS, refused]
        # Teams refuses the card naming case REFUSE-CARD (the peer's 400 for that one card).
        seed(store, workers, "email" if channel == "graph" else channel,
             ["C1", "C2", "C3", "C4", "REFUSE-CARD" if channel == "teams" else "C5"])
        cfg, env = config(tmp_path / "outbox", slack=slack, teams=teams, smtp=None if graph else smtp,
                          graph=(graph, certificate[0]) if graph else None)
        report = remind(store, cfg, ruleset, CAL, NOW, build_notifiers(cfg, env))
        d = report.dispatched
        assert d is not None and d.rerouted == 1 and d.failed == 0 and d.broken == {}
        delivered = {"slack": lambda: len(slack.bodies("chat.postMessage")),
                     "teams": lambda: len(teams.bodies("/workflows/")) - 1,  # the refused card was posted too
                     "email": lambda: len([r for r in smtp_recipients(smtp) if r != refused]),
                     "graph": lambda: len(graph.bodies("/sendMail")) - 1 if graph else 0}[channel]()
        assert delivered == 4, "the other four were held up"
        rows = {r.recipient_email: r for r in list_outbox(store) if r.kind == "overdue"}
        assert {r.status for r in rows.values()} == {"sent"}
        assert (rows[refused].channel, rows[refused].reason) == (goes_to, "rerouted")
        channel = "email" if channel == "graph" else channel  # the Graph channel is named "email"
        if goes_to == "email":
            assert smtp_recipients(smtp) == [refused]
        else:
            assert any(refused in p.read_text() and "Kind: overdue" in p.read_text()
                       for p in (tmp_path / "outbox").glob("*.txt"))
        with store.reading() as conn:
            assert q.broken_channels(conn) == {}  # the channel stays healthy
        [alert] = alerts(tmp_path / "outbox")
        assert refused in alert and f"through {channel}" in alert and f"through {goes_to} instead" in alert
        assert "SIGNATURE123456" not in alert
    finally:
        smtp.close()


def test_a_bad_token_still_breaks_the_channel_and_alerts_through_the_fallback(
    store: Store, ruleset: RuleSet, tmp_path: Path, http_peer: Callable[..., HttpPeer]
) -> None:
    slack = http_peer(slack_route)
    slack.mode = "rejected"  # invalid_auth for every call: the token, not a recipient
    seed(store, [*WORKERS, "w5@council.example"], "slack")
    cfg, env = config(tmp_path / "outbox", slack=slack)
    report = remind(store, cfg, ruleset, CAL, NOW, build_notifiers(cfg, env))
    d = report.dispatched
    assert d is not None and set(d.broken) == {"slack"} and "invalid_auth" in d.broken["slack"]
    assert d.failed == 1 and d.rerouted == 0 and d.alerts == 1
    [alert] = alerts(tmp_path / "outbox")
    assert "channel 'slack' failed permanently and is marked broken" in alert and ADMIN in alert
    statuses = sorted(r.status for r in list_outbox(store) if r.kind == "overdue")
    assert statuses == ["failed", "pending", "pending", "pending", "pending"]  # kept, waiting for the fix


def test_retrying_a_fixed_channel_then_reminding_again_the_same_day_never_crashes(
    store: Store, ruleset: RuleSet, tmp_path: Path, http_peer: Callable[..., HttpPeer]
) -> None:
    """Issue 12: after `ptrack outbox retry --channel slack` the next pass failed with `UNIQUE constraint failed:
    outbox_messages.dedup_key` (the broken-channel alert's key repeated) and left four messages `sending`."""
    from ptrack.tracker.outbox.service import retry_outbox

    slack = http_peer(slack_route)
    slack.mode = "rejected"
    seed(store, [*WORKERS, "w5@council.example"], "slack")
    cfg, env = config(tmp_path / "outbox", slack=slack)
    for _ in range(2):  # broken, retried while still broken (same instant), broken again: no crash
        remind(store, cfg, ruleset, CAL, NOW, build_notifiers(cfg, env))
        retry_outbox(store, NOW, "slack")
    slack.mode = "ok"
    report = remind(store, cfg, ruleset, CAL, NOW, build_notifiers(cfg, env))
    assert report.dispatched is not None and report.dispatched.broken == {}
    statuses = [r.status for r in list_outbox(store) if r.kind == "overdue"]
    assert statuses == ["sent"] * 5 and len(slack.bodies("chat.postMessage")) == 5
    assert not [r for r in list_outbox(store) if r.status == "sending"]


def test_the_rerouted_message_keeps_its_facts(store: Store, ruleset: RuleSet, tmp_path: Path,
                                              http_peer: Callable[..., HttpPeer]) -> None:
    slack, smtp = http_peer(slack_route), SmtpPeer(None)
    try:
        seed(store, ["gone@council.example"], "slack")
        cfg, env = config(tmp_path / "outbox", slack=slack, smtp=smtp)
        remind(store, cfg, ruleset, CAL, NOW, build_notifiers(cfg, env))
        [mail] = smtp.messages
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "C0 (AB)" in text and "due Tue 24 Nov 2026" in text and "Example Council" in text
        assert json.dumps(str(message_from_bytes(mail.as_bytes(), policy=policy.default)["To"])) == \
            '"gone@council.example"'
    finally:
        smtp.close()


def test_a_stuck_channel_costs_one_timeout_and_never_holds_up_another(
    store: Store, ruleset: RuleSet, tmp_path: Path, http_peer: Callable[..., HttpPeer]
) -> None:
    """Slack drips its answer one byte at a time (no read ever times out): the send is cut off at the channel's
    timeout, Slack rests for the pass, and the email channel's messages go out on the same pass."""
    slack, smtp = http_peer(slack_route), SmtpPeer(None)
    slack.mode = "drip"
    try:
        seed(store, ["s1@council.example", "s2@council.example", "s3@council.example"], "slack", ["C1", "C2", "C3"])
        seed(store, ["e1@council.example", "e2@council.example", "e3@council.example"], "email", ["C4", "C5", "C6"])
        cfg, env = config(tmp_path / "outbox", slack=slack, smtp=smtp, timeout=2)
        started = time.monotonic()
        report = remind(store, cfg, ruleset, CAL, NOW, build_notifiers(cfg, env))
        elapsed = time.monotonic() - started
        d = report.dispatched
        assert d is not None and d.retrying == 1 and d.broken == {}
        assert sorted(smtp_recipients(smtp)) == ["e1@council.example", "e2@council.example", "e3@council.example"]
        assert elapsed < 2 + 3, f"the pass took {elapsed:.1f} s"  # one 2 s Slack timeout, not 12 s of dripping
        waiting = [r for r in list_outbox(store) if r.channel == "slack"]
        assert {r.status for r in waiting} == {"pending"} and any("timed out" in r.last_error for r in waiting)
    finally:
        smtp.close()
