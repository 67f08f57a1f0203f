"""The one interface every channel implements, the message it carries, and the one error type it raises.

A notifier sends one already-decided message and either returns a receipt or raises `DeliveryError`, which
says whether retrying can help (`retryable`) and, for a 429, how long to wait (`retry_after`). A permanent
failure (401/403/404, an invalid address) is `retryable=False`: the outbox marks the channel broken and keeps
the message. Errors never carry secrets (webhook URLs, tokens, passwords): use `redact()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class MessageItem:
    """One deadline in a message: a case reference and initials, never a name or narrative."""

    case_id: str
    initials: str
    rule_id: str
    rule_title: str
    due: date
    days: int  # days left (positive), 0 on the due day, negative when overdue
    link: str = ""  # deep link built from the configured template


@dataclass(frozen=True)
class Message:
    """What a notifier sends. `key` is the outbox dedup key (also the idempotency key where a channel has one)."""

    key: str
    kind: str  # reminder | due_today | overdue | escalation_manager | escalation_iro | digest | alert | test
    recipient_email: str
    subject: str
    text: str  # the plain-text body and fallback
    items: tuple[MessageItem, ...] = ()
    recipient_slack_id: str = ""
    cover_for: str = ""  # set when delivered to a cover person for an absent colleague
    html: str = ""  # optional rich body (digest)
    team: str = ""  # the case's team: picks the team's Teams webhook ([teams."NAME"] teams_webhook_env)
    extra: dict[str, str] = field(default_factory=dict)


class DeliveryError(Exception):
    """A send failed. `retryable` says whether trying again can help; `retry_after` is seconds from a 429."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class Notifier(Protocol):
    """A channel. `name` is the config name of the channel (e.g. "email", "slack")."""

    name: str

    def send(self, message: Message) -> str:
        """Deliver `message`; return a receipt (provider message id, file path, ...) or raise DeliveryError."""
        ...


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (and any URL query string, which may hold a signature) replaced."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "[REDACTED]")
    return re.sub(r"(https?://[^\s?]+)\?\S+", r"\1?[REDACTED]", text)
