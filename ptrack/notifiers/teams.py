"""The Teams channel: an Adaptive Card (1.4) posted to a Power Automate Workflows webhook.

The webhook is the team's (`[teams."NAME"] teams_webhook_env`, picked by `Message.team` or
`Message.extra["team"]`), else the channel's own (`webhook_env`). The body is the Workflows envelope
`{"type": "message", "attachments": [card]}`; any 2xx is success (Workflows answer 202 Accepted and run the
flow later). The worker is mentioned with an `msteams.entities` mention of their email, which Teams resolves
to the person in the channel. Webhook URLs are secrets (the signature is in the query string): they appear in
no error or log line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ptrack.notifiers._http import post_json
from ptrack.notifiers.base import DeliveryError, Message, redact
from ptrack.notifiers.content import facts, plain_text

log = logging.getLogger(__name__)
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_ITEMS = 25  # Teams caps a card near 28 KB; a longer digest says how many more there are


class TeamsWorkflowNotifier:
    kind = "teams_workflow"

    def __init__(self, name: str, *, webhook_url: str = "", team_webhooks: Mapping[str, str] | None = None,
                 timeout: float = 10.0, mention: bool = True) -> None:
        self.name = name
        self.webhook_url = webhook_url
        self.team_webhooks = dict(team_webhooks or {})
        self.timeout = timeout
        self.mention = mention
        self.secrets = [u for u in (webhook_url, *self.team_webhooks.values()) if u]

    def send(self, message: Message) -> str:
        team = message.team or message.extra.get("team", "")
        url = self.team_webhooks.get(team) or self.webhook_url
        if not url:
            where = f"team {team!r}" if team else "messages without a team"
            raise DeliveryError(f"teams {self.name}: no Workflows webhook is configured for {where}",
                                retryable=False)
        what = f"teams {self.name}" + (f" (team {team})" if team else "")
        response = post_json(url, envelope(message, mention=self.mention), timeout=self.timeout,
                             secrets=self.secrets, what=what)
        log.debug(redact(f"{what}: {message.key} accepted with HTTP {response.status}", self.secrets))
        return f"teams:{response.status}:{message.key}"


def envelope(message: Message, *, mention: bool = True) -> dict[str, Any]:
    """The Workflows webhook body carrying the message's Adaptive Card."""
    return {"type": "message",
            "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None,
                             "content": card(message, mention=mention)}]}


def card(message: Message, *, mention: bool = True) -> dict[str, Any]:
    """An Adaptive Card 1.4: title, text, one FactSet (Case, Initials, Rule, Due, Days) and link per item."""
    who = message.recipient_email if mention else ""
    intro = f"<at>{who}</at> " if who else ""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True},
    ]
    if message.text.strip() or intro:
        body.append({"type": "TextBlock", "text": intro + message.text.strip(), "wrap": True})
    if message.cover_for:
        body.append({"type": "TextBlock", "text": f"Covering for {message.cover_for}.", "wrap": True,
                     "isSubtle": True})
    for item in message.items[:MAX_ITEMS]:
        body.append({"type": "FactSet", "separator": True,
                     "facts": [{"title": label, "value": value} for label, value in facts(item)]})
        if item.link:
            body.append({"type": "ActionSet", "actions": [
                {"type": "Action.OpenUrl", "title": f"Open case {item.case_id}", "url": item.link}]})
    if len(message.items) > MAX_ITEMS:
        body.append({"type": "TextBlock", "wrap": True,
                     "text": f"… and {len(message.items) - MAX_ITEMS} more; see the email or the ptrack list."})
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "fallbackText": plain_text(message),
        "body": body,
        "msteams": {"width": "Full"},
    }
    if who:
        content["msteams"]["entities"] = [
            {"type": "mention", "text": f"<at>{who}</at>", "mentioned": {"id": who, "name": who}}]
    return content
