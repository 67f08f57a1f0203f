"""What each channel does beyond the shared contract: card and block shapes, routing, caching, files, the
registry's config errors. Against the same real local peers as the contract suite."""

from __future__ import annotations

import json
import logging
from email import message_from_string, policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from notifier_harness import PERSON_NAME, Harness, sample_message
from notifier_peers import (
    SLACK_TOKEN,
    SLACK_USER,
    HttpPeer,
    SmtpPeer,
    make_certificate,
    slack_route,
    teams_route,
)

from ptrack.notifiers._http import retry_after
from ptrack.notifiers.base import DeliveryError
from ptrack.notifiers.email_smtp import SmtpNotifier, message_id
from ptrack.notifiers.folder import FolderNotifier
from ptrack.notifiers.registry import build_notifiers
from ptrack.notifiers.slack import SlackNotifier
from ptrack.notifiers.teams import TeamsWorkflowNotifier
from ptrack.tracker.config import parse_config
from ptrack.tracker.errors import ConfigError


def slack_params(body: str) -> dict[str, Any]:
    """A Web API call's arguments, sent as JSON or as a form."""
    if body.startswith("{"):
        return dict(json.loads(body))
    return {k: v[0] for k, v in parse_qs(body).items()}


def one(channel: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("harness", [channel], indirect=True)


# -- registry ----------------------------------------------------------------------------------------------------

def test_no_channel_configured_means_the_folder_default() -> None:
    notifiers = build_notifiers(parse_config(""), {})
    assert list(notifiers) == ["folder"]
    assert isinstance(notifiers["folder"], FolderNotifier) and notifiers["folder"].path == Path("outbox")


def test_a_missing_secret_names_the_variable_never_a_value() -> None:
    toml = '[channels.slack]\nkind = "slack"\ntoken_env = "PTRACK_SLACK_TOKEN"\n'
    with pytest.raises(ConfigError, match=r"channels\.slack\.token_env: environment variable PTRACK_SLACK_TOKEN "
                                          r"is not set"):
        build_notifiers(parse_config(toml), {"OTHER": "xoxb-not-this"})


def test_a_missing_team_webhook_names_the_variable() -> None:
    toml = '[teams."CiC 1"]\nteams_webhook_env = "PTRACK_TEAMS_CIC1"\n'
    with pytest.raises(ConfigError, match=r'teams\.CiC 1\.teams_webhook_env: .*PTRACK_TEAMS_CIC1 is not set'):
        build_notifiers(parse_config(toml), {})


@pytest.mark.parametrize(("toml", "message"), [
    ('[channels.e]\nkind = "smtp"\nsender = "a@b"\n', "channels.e.host: is required"),
    ('[channels.e]\nkind = "smtp"\nhost = "h"\nsender = "a@b"\nport = "25"\n', "channels.e.port: must be a positive"),
    ('[channels.t]\nkind = "teams_workflow"\nmention = "yes"\n', "channels.t.mention: must be true or false"),
    ('[channels.g]\nkind = "graph"\ntenant_id = "t"\nclient_id = "c"\nsender = "s@x"\n',
     "channels.g.client_secret_env: is required"),
])
def test_bad_channel_settings_name_the_key(toml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        build_notifiers(parse_config(toml), {})


def test_team_webhooks_without_a_teams_channel_get_one() -> None:
    toml = '[channels.email]\nkind = "folder"\n[teams.A]\nteams_webhook_env = "W"\n'
    notifiers = build_notifiers(parse_config(toml), {"W": "https://example.invalid/hook?sig=x"})
    teams = notifiers["teams"]
    assert isinstance(teams, TeamsWorkflowNotifier) and teams.team_webhooks == {"A": "https://example.invalid/hook?sig=x"}
    assert set(notifiers) == {"email", "teams"}


# -- folder ------------------------------------------------------------------------------------------------------

def test_folder_writes_one_json_and_one_text_file_named_from_the_key(tmp_path: Path) -> None:
    notifier = FolderNotifier("folder", tmp_path / "out")
    receipt = notifier.send(sample_message())
    notifier.send(sample_message())  # the same key rewrites the same files
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".txt")
    assert all(set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") for name in files)
    record = json.loads(Path(receipt).read_text())
    assert record["items"][0]["case_id"] == "CASE-1042"
    assert record["items"][1]["days_phrase"] == "3 calendar days overdue"
    assert PERSON_NAME not in Path(receipt).read_text()


def test_folder_that_is_a_file_is_a_permanent_failure(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(DeliveryError) as info:
        FolderNotifier("folder", tmp_path / "out").send(sample_message())
    assert not info.value.retryable


# -- Teams -------------------------------------------------------------------------------------------------------

@one("teams")
def test_teams_posts_an_adaptive_card_1_4_with_facts_link_and_mention(harness: Harness) -> None:
    harness.build().send(sample_message())
    body = json.loads(harness.delivered()[0])
    assert body["type"] == "message"
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert "CASE-1042" in card["fallbackText"]
    fact_sets = [b for b in card["body"] if b["type"] == "FactSet"]
    assert [f["title"] for f in fact_sets[0]["facts"]] == ["Case", "Initials", "Rule", "Due", "Last working day",
                                                           "Days", "Worker"]
    assert [f["value"] for f in fact_sets[1]["facts"]][:2] == ["CASE-2077", "A.K."]
    actions = [a for b in card["body"] if b["type"] == "ActionSet" for a in b["actions"]]
    assert actions == [{"type": "Action.OpenUrl", "title": "Open case CASE-1042",
                        "url": "https://case-system.example/child/CASE-1042"}]
    mention = card["msteams"]["entities"][0]
    assert mention["text"] == "<at>worker42@council.example</at>" and mention["text"] in json.dumps(card["body"])


def test_teams_picks_the_team_webhook_and_refuses_a_team_without_one(http_peer: type[HttpPeer]) -> None:
    team_peer, default_peer = http_peer(teams_route), http_peer(teams_route)
    notifier = TeamsWorkflowNotifier("teams", team_webhooks={"Children in Care 1": f"{team_peer.base}/t?sig=1"},
                                     timeout=2)
    notifier.send(sample_message())
    notifier.send(sample_message().__class__(**{**sample_message().__dict__, "team": "",
                                                "extra": {"team": "Children in Care 1"}}))
    assert len(team_peer.requests) == 2
    with pytest.raises(DeliveryError, match="no Workflows webhook") as info:
        notifier.send(sample_message().__class__(**{**sample_message().__dict__, "team": "Leaving Care"}))
    assert not info.value.retryable and info.value.recipient  # that team's messages go by email instead
    fallback = TeamsWorkflowNotifier("teams", webhook_url=f"{default_peer.base}/d?sig=2", timeout=2, mention=False)
    fallback.send(sample_message())
    assert "msteams" in json.loads(default_peer.bodies("/d")[0])["attachments"][0]["content"]
    assert "entities" not in json.loads(default_peer.bodies("/d")[0])["attachments"][0]["content"]["msteams"]


@one("teams")
def test_teams_accepts_any_2xx(harness: Harness) -> None:
    harness.set_mode("ok200")
    assert harness.build().send(sample_message()).startswith("teams:200:")


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after({"Retry-After": "7"}) == 7
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert retry_after({}) is None and retry_after({"Retry-After": "soon"}) is None


# -- Slack -------------------------------------------------------------------------------------------------------

def test_slack_looks_a_user_up_once_then_posts_blocks_and_fallback(http_peer: type[HttpPeer]) -> None:
    peer = http_peer(slack_route)
    first = SlackNotifier("slack", token=SLACK_TOKEN, base_url=f"{peer.base}/api/", timeout=2)
    receipt = first.send(sample_message())
    SlackNotifier("slack", token=SLACK_TOKEN, base_url=f"{peer.base}/api/", timeout=2).send(sample_message())
    assert receipt.startswith("slack:")
    assert len([r for r in peer.requests if "users.lookupByEmail" in r[1]]) == 1
    posted = [slack_params(b) for b in peer.bodies("chat.postMessage")]
    assert posted[0]["channel"] == SLACK_USER
    blocks = posted[0]["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert blocks[0]["type"] == "header"
    fields = [f for b in blocks for f in b.get("fields", [])]
    assert {"type": "mrkdwn", "text": "*Case*\nCASE-1042"} in fields and len(fields) == 13  # 7 and 6 facts
    assert "CASE-2077" in posted[0]["text"]


def test_slack_uses_a_known_user_id_and_an_unknown_email_is_permanent(http_peer: type[HttpPeer]) -> None:
    peer = http_peer(slack_route)
    notifier = SlackNotifier("slack", token=SLACK_TOKEN, base_url=f"{peer.base}/api/", timeout=2)
    message = sample_message("nobody@council.example")
    notifier.send(message.__class__(**{**message.__dict__, "recipient_slack_id": "U0KNOWN"}))
    assert not [r for r in peer.requests if "users.lookupByEmail" in r[1]]
    with pytest.raises(DeliveryError, match="users_not_found") as info:
        notifier.send(message)
    assert not info.value.retryable and info.value.recipient  # this person only: Slack works for the others


# -- SMTP --------------------------------------------------------------------------------------------------------

@one("smtp")
def test_smtp_sends_plain_and_html_with_a_message_id_from_the_key(harness: Harness) -> None:
    receipt = harness.build().send(sample_message())
    assert receipt == message_id(sample_message().key, "ptrack@council.example")
    assert "worker42" not in receipt
    assert harness.peer is not None
    sent = harness.peer.messages[0]  # type: ignore[union-attr]
    assert sent.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in sent.iter_parts()] == ["text/plain", "text/html"]
    assert "<td>CASE-1042</td>" in sent.get_body(("html",)).get_content()  # type: ignore[union-attr]


@one("smtp")
def test_smtp_login_failure_is_permanent_and_hides_the_password(harness: Harness,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeliveryError, match="login failed") as info:
        harness.build(password="wrong-PASSWORD-value").send(sample_message())
    assert not info.value.retryable and "wrong-PASSWORD-value" not in repr(info.value) + caplog.text


@one("smtp")
def test_smtp_untrusted_certificate_is_permanent(harness: Harness, tmp_path: Path) -> None:
    other_ca, _ = make_certificate(tmp_path)
    notifier = harness.build()
    notifier.ca_bundle = str(other_ca)  # type: ignore[attr-defined]
    with pytest.raises(DeliveryError, match="not trusted") as info:
        notifier.send(sample_message())
    assert not info.value.retryable


def test_smtp_without_tls_or_login_to_a_local_relay() -> None:
    peer = SmtpPeer(None)
    try:
        notifier = SmtpNotifier("relay", host="127.0.0.1", port=peer.port, sender="ptrack@council.example",
                                starttls=False, timeout=2)
        notifier.send(sample_message())
        assert "CASE-1042" in peer.delivered()[0]
        with pytest.raises(DeliveryError, match="does not offer STARTTLS") as info:
            SmtpNotifier("relay", host="127.0.0.1", port=peer.port, sender="ptrack@council.example",
                         starttls=True, timeout=2).send(sample_message())
        assert not info.value.retryable
    finally:
        peer.close()


# -- Graph -------------------------------------------------------------------------------------------------------

@one("graph")
def test_graph_caches_its_token_and_posts_the_mail(harness: Harness) -> None:
    notifier = harness.build()
    notifier.send(sample_message())
    notifier.send(sample_message())
    assert harness.peer is not None and isinstance(harness.peer, HttpPeer)
    assert len([r for r in harness.peer.requests if "/oauth2/v2.0/token" in r[1]]) == 1
    mail = json.loads(harness.delivered()[0])["message"]
    assert mail["subject"] == "ptrack · Example Council: Escalation: overdue in your team (2 items)"
    assert mail["body"]["contentType"] == "HTML"
    assert mail["toRecipients"] == [{"emailAddress": {"address": "worker42@council.example"}}]
    assert "/v1.0/users/ptrack@council.example/sendMail" in [r[1] for r in harness.peer.requests][-1]


@one("graph")
def test_graph_wrong_client_secret_is_permanent_and_hidden(harness: Harness,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeliveryError, match="invalid_client") as info:
        harness.build(secret="wrong~SECRET~value").send(sample_message())
    assert not info.value.retryable and "wrong~SECRET~value" not in repr(info.value) + caplog.text


@one("graph")
@pytest.mark.parametrize("auth_mode", ["discovery_down", "token_down", "odd_discovery"])
def test_graph_authority_down_or_odd_is_retryable_and_no_foreign_error_leaks(harness: Harness, auth_mode: str) -> None:
    assert isinstance(harness.peer, HttpPeer)
    harness.peer.auth_mode = auth_mode
    with pytest.raises(DeliveryError) as info:
        harness.build().send(sample_message())
    assert info.value.retryable


@one("graph")
def test_graph_untrusted_certificate_is_permanent(harness: Harness, tmp_path: Path) -> None:
    other_ca, _ = make_certificate(tmp_path)
    with pytest.raises(DeliveryError, match="not trusted") as info:
        harness.build(ca_bundle=str(other_ca)).send(sample_message())
    assert not info.value.retryable


def test_email_parts_render_without_names() -> None:
    from ptrack.notifiers.email_smtp import build_email

    text = build_email(sample_message(), "ptrack@council.example").as_string()
    parsed = message_from_string(text, policy=policy.default)
    assert PERSON_NAME not in text and parsed["Auto-Submitted"] == "auto-generated"
