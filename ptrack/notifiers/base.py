"""The one interface every channel implements, the message it carries, and the one error type it raises.

A notifier sends one already-decided message and either returns a receipt or raises `DeliveryError`, which
says whether retrying can help (`retryable`), for a 429 how long to wait (`retry_after`), and whose fault it is
(`recipient`): a fault of this recipient or this message (an unknown Slack user, an SMTP 550 for one address, a
card the webhook refuses) fails that message only; any other permanent failure (401/403/404, a bad token) is the
channel's, and the outbox marks the channel broken. Errors never carry secrets (webhook URLs and their parts,
tokens, passwords): use `redact()`.

`Message` is the one message type from policy to channel: structured facts (items with due date, last working
day, working days, worker and link; the council; links), rendered for each channel in `ptrack.notifiers.render`.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

from ptrack.errors import PtrackError


@dataclass(frozen=True)
class MessageItem:
    """One deadline in a message: a case reference and initials, never a name or narrative."""

    case_id: str
    initials: str
    rule_id: str
    rule_title: str
    due: date  # the legal due date
    days: int  # calendar days left (positive), 0 on the due day, negative when overdue
    link: str = ""  # deep link built from the configured template (the case id URL-encoded)
    last_working_day: date | None = None  # set when it differs from `due` (a weekend or holiday due date)
    working_days: int | None = None  # working days left (negative: overdue) when the rule counts working days
    worker: str = ""  # the allocated worker, shown in escalations to the manager and the IRO


@dataclass(frozen=True)
class Message:
    """What a notifier sends. `key` is the outbox dedup key (also the idempotency key where a channel has one).
    Reminders carry `items` and no `text` (the renderer writes it); pre-rendered kinds (digest, dispute prompt,
    alert, test) carry `subject` and `text` (and the digest `html`)."""

    key: str
    kind: str  # reminder | due_today | overdue | escalation_manager | escalation_iro | digest | alert | test | ...
    recipient_email: str
    subject: str = ""
    text: str = ""  # pre-rendered body; empty for reminders
    items: tuple[MessageItem, ...] = ()
    recipient_slack_id: str = ""
    cover_for: str = ""  # set when delivered to a cover person for an absent colleague
    html: str = ""  # optional rich body (digest)
    team: str = ""  # the case's team: picks the team's Teams webhook ([teams."NAME"] teams_webhook_env)
    council: str = ""  # config `local_authority`, named in every message
    links: tuple[tuple[str, str], ...] = ()  # (label, URL) actions beside the items (e.g. the dispute's case)
    extra: dict[str, str] = field(default_factory=dict)


class DeliveryError(PtrackError):
    """A send failed. `retryable` says whether trying again can help; `retry_after` is seconds from a 429;
    `recipient` says the fault is this recipient's or this message's, not the channel's."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None, recipient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.recipient = recipient


class Notifier(Protocol):
    """A channel. `name` is the config name of the channel (e.g. "email", "slack")."""

    name: str

    def send(self, message: Message) -> str:
        """Deliver `message`; return a receipt (provider message id, file path, ...) or raise DeliveryError."""
        ...


MIN_PART = 6  # a form shorter than this would redact ordinary words
SECRET_PARAMS = frozenset({"sig", "signature", "code", "token", "access_token", "key", "client_secret"})
LONG_VALUE = 16  # any other query value this long is treated as secret too ("2016-06-01" or "1.0" are not)
_SECRET_PARAMS = re.compile(r"(?i)\b(sig|signature|sp|sv|code|token|access_token|client_secret|password|key)"
                            r"(=|%3D)[^&\s\"'<>]+")


def secret_forms(secret: str) -> set[str]:
    """Every form in which `secret` (or a part of it) may come back in a peer's answer: the value, URL-encoded
    and base64; for a URL also its path with the query, the query, each secret query value (`sig=`, or any
    long one) and each long path segment (a Teams workflow's id), as sent and decoded: a peer may quote the
    request JSON- or HTML-escaped (`\\/workflows\\/…`), URL-decoded or split."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(secret.encode()).decode(),
             json.dumps(secret)[1:-1], json.dumps(secret)[1:-1].replace("/", "\\/"), html.escape(secret)}
    parts = urlsplit(secret)
    if parts.scheme in ("http", "https"):
        segments = [s for s in parts.path.split("/") if len(unquote(s)) >= LONG_VALUE]
        forms |= {*segments, *(unquote(s) for s in segments)}
        if parts.query:
            forms |= {f"{parts.path}?{parts.query}", parts.query, unquote(parts.query)}
            values = [v for k, v in parse_qsl(parts.query) if k.lower() in SECRET_PARAMS or len(v) >= LONG_VALUE]
            forms |= {*values, *(quote(v, safe="") for v in values)}
    return {f for f in forms if len(f) >= MIN_PART} | {secret}


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret, and every form of it (`secret_forms`), replaced; any URL query string and any
    signature-like parameter (`sig=`, `token=`, ...) too, whether or not it is a known secret. Redact a peer's
    whole answer before shortening it: a cut inside a secret would leave a part no form matches."""
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms |= secret_forms(secret)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "[REDACTED]")
    text = re.sub(r"(https?://[^\s?]+)\?\S+", r"\1?[REDACTED]", text)
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", text)
