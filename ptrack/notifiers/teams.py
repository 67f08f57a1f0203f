"""The Teams channel: an Adaptive Card (1.4) posted to a Power Automate Workflows webhook.

The webhook is the team's (`[teams."NAME"] teams_webhook_env`, picked by `Message.team` or
`Message.extra["team"]`), else the channel's own (`webhook_env`). The body is the Workflows envelope
`{"type": "message", "attachments": [card]}`; any 2xx is success (Workflows answer 202 Accepted and run the
flow later). The worker is mentioned with an `msteams.entities` mention of their email, which Teams resolves
to the person in the channel (the card itself is built in `ptrack.notifiers.render`). Webhook URLs are
secrets (the signature is in the query string): neither they nor their parts (`sig=…`, the query string)
appear in any error or log line, even when a peer echoes the request back. A 400/413/422 refuses this card only;
401/403/404 are the webhook's (the channel's) faults.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ptrack.notifiers._http import post_json
from ptrack.notifiers.base import DeliveryError, Message, redact
from ptrack.notifiers.render import envelope

log = logging.getLogger(__name__)


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
                                retryable=False, recipient=True)  # that team's messages only
        what = f"teams {self.name}" + (f" (team {team})" if team else "")
        response = post_json(url, envelope(message, mention=self.mention), timeout=self.timeout,
                             secrets=self.secrets, what=what)
        log.debug(redact(f"{what}: {message.key} accepted with HTTP {response.status}", self.secrets))
        return f"teams:{response.status}:{message.key}"
