"""Issue 10, item 12: text from data is escaped in every channel's format, through `ptrack remind` and real
local peers (Teams Workflows, the Slack Web API, SMTP): a case id `[click](http://…)` never becomes a Markdown
link in a Teams card, `<http://…|…>` never a link in Slack (blocks or the mrkdwn fallback text), `<b>` never a tag
in the email's HTML; and the deep link carries the case id URL-encoded, so it cannot change where it points."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.cli.test_cli_commands import Ptrack
from tests.hostile.hostile_out import CLOCK, load, write_config
from tests.notifiers.notifier_peers import SLACK_TOKEN, HttpPeer, SmtpPeer, slack_route, teams_route

DEEP_LINK = "https://case-system.example/child/{case_id}"


def hostile_id(tag: str) -> str:
    return f"[{tag}](http://evil.example/?a=1&b=<x>)"


CASES = {"teams": hostile_id("T"), "slack": hostile_id("S"), "email": hostile_id("M")}
INITIALS = "<b>*A*</b>"


def link(case_id: str) -> str:
    return DEEP_LINK.format(case_id=quote(case_id, safe=""))


@pytest.fixture()
def peers() -> Iterator[tuple[HttpPeer, HttpPeer, SmtpPeer]]:
    teams, slack, smtp = HttpPeer(teams_route), HttpPeer(slack_route), SmtpPeer(None)
    yield teams, slack, smtp
    for peer in (teams, slack, smtp):
        peer.close()


def texts(card: Any) -> list[str]:
    """Every text an Adaptive Card renders as Markdown: TextBlock texts and FactSet values."""
    found: list[str] = []
    if isinstance(card, dict):
        if card.get("type") == "TextBlock":
            found.append(card["text"])
        found.extend(f["value"] for f in card.get("facts", []))
        for value in card.values():
            found.extend(texts(value))
    elif isinstance(card, list):
        for value in card:
            found.extend(texts(value))
    return found


@pytest.fixture()
def delivered(tmp_path: Path, peers: tuple[HttpPeer, HttpPeer, SmtpPeer]) -> tuple[Any, Any, EmailMessage]:
    teams, slack, smtp = peers
    ptrack = Ptrack(tmp_path, clock=CLOCK)
    load(ptrack, [(CASES["teams"], INITIALS, "Team A", "a-teams@example.org"),
                  (CASES["slack"], INITIALS, "Team A", "b-slack@example.org"),
                  (CASES["email"], INITIALS, "Team A", "c-mail@example.org")], people=False)
    (tmp_path / "people.csv").write_text(
        "email,name,role,team,slack_user_id,channel\n"
        "a-teams@example.org,A Teams,worker,Team A,,teams\n"
        "b-slack@example.org,B Slack,worker,Team A,,slack\n"
        "c-mail@example.org,C Mail,worker,Team A,,email\n")
    write_config(tmp_path, (
        f'deep_link = "{DEEP_LINK}"\n'
        '[channels.teams]\nkind = "teams_workflow"\nwebhook_env = "PTRACK_TEST_HOOK"\ntimeout = 5\n'
        f'[channels.slack]\nkind = "slack"\ntoken_env = "PTRACK_TEST_SLACK"\nbase_url = "{slack.base}/api/"\n'
        f'timeout = 5\n[channels.email]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {smtp.port}\nstarttls = false\n'
        'sender = "ptrack@example.org"\ntimeout = 5\n'))
    ptrack.env |= {"PTRACK_TEST_HOOK": f"{teams.base}/workflows/abc/invoke", "PTRACK_TEST_SLACK": SLACK_TOKEN}
    ptrack("import", "people.csv")
    r = ptrack("remind")
    assert "failed 0" in r.stdout, r.stdout
    cards = [json.loads(b)["attachments"][0]["content"] for b in teams.bodies("/workflows/")]
    posts = [json.loads(b) for b in slack.bodies("chat.postMessage")]
    mails = [m for m in smtp.messages if m["To"] == "c-mail@example.org"]
    assert len(cards) == 1 and len(posts) == 1 and len(mails) == 1
    return cards[0], posts[0], mails[0]


def test_a_teams_card_shows_markdown_in_case_data_as_typed(delivered: tuple[Any, Any, EmailMessage]) -> None:
    card = delivered[0]
    shown = texts(card)
    assert "\\[T\\](http://evil.example/?a=1&b=\\<x\\>)" in shown  # the case fact, every control escaped
    assert "\\<b\\>\\*A\\*\\</b\\>" in shown
    assert not any("[T](" in text or "<b>" in text or "*A*" in text for text in shown)
    urls = [a["url"] for block in card["body"] if block["type"] == "ActionSet" for a in block["actions"]]
    assert urls == [link(CASES["teams"])]
    assert urls[0] == ("https://case-system.example/child/"
                       "%5BT%5D%28http%3A%2F%2Fevil.example%2F%3Fa%3D1%26b%3D%3Cx%3E%29")


def test_slack_blocks_and_the_fallback_text_escape_slacks_control_characters(
    delivered: tuple[Any, Any, EmailMessage],
) -> None:
    post = delivered[1]
    fields = [f["text"] for block in post["blocks"] for f in block.get("fields", [])]
    assert "*Case*\n[S](http://evil.example/?a=1&amp;b=&lt;x&gt;)" in fields
    assert "*Initials*\n&lt;b&gt;*A*&lt;/b&gt;" in fields
    assert "[S](http://evil.example/?a=1&amp;b=&lt;x&gt;) (&lt;b&gt;*A*&lt;/b&gt;)" in post["text"]
    for text in [post["text"], *fields]:
        assert "<x>" not in text and "<b>" not in text  # `<…>` is Slack's link and mention syntax
    buttons = [block["accessory"]["url"] for block in post["blocks"] if "accessory" in block]
    assert buttons == [link(CASES["slack"])]


def test_the_emails_html_escapes_case_data_and_links_to_the_encoded_url(
    delivered: tuple[Any, Any, EmailMessage],
) -> None:
    mail = delivered[2]
    html_part = mail.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "<td>[M](http://evil.example/?a=1&amp;b=&lt;x&gt;)</td>" in html
    assert "<td>&lt;b&gt;*A*&lt;/b&gt;</td>" in html
    assert "<x>" not in html and "<b>*A*" not in html
    assert f'href="{link(CASES["email"])}"' in html
