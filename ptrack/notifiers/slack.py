"""The Slack channel: slack-sdk `WebClient`, a direct message to the worker with Block Kit and a text fallback.

The user is the person's `slack_user_id` when people.csv has one, else `users.lookupByEmail` (answers cached for
the life of the process). slack-sdk's retry handlers are switched off: a 429 becomes a retryable `DeliveryError`
carrying Retry-After for the outbox to honour, never a sleep in the dispatcher. The bot token never appears in
an error or a log line (slack-sdk's own log records go through the same redaction). An unknown or disabled
user (`users_not_found`, ...) or a refused message fails that message only (`recipient=True`); a bad token or
missing scope is the channel's fault. A send (the user lookup and the post together) has a total deadline of
`timeout`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from ptrack.notifiers._deadline import Deadline, run_within
from ptrack.notifiers._http import retry_after, transport_error
from ptrack.notifiers.base import DeliveryError, Message, redact
from ptrack.notifiers.render import plain_text, slack_blocks, slack_escape

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = WebClient.BASE_URL
PERMANENT_ERRORS = frozenset({  # the channel's own faults: the token, the app's scopes
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission",
    "missing_scope", "team_access_not_granted", "ekm_access_denied",
})
RECIPIENT_ERRORS = frozenset({  # this recipient or this message only: the channel works for everyone else
    "users_not_found", "user_not_found", "user_disabled", "channel_not_found", "not_in_channel", "is_archived",
    "cannot_dm_bot", "messages_tab_disabled", "restricted_action", "invalid_arguments", "invalid_blocks",
    "msg_too_long", "no_text",
})
RETRYABLE_ERRORS = frozenset({
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
})

_user_ids: dict[tuple[str, str, str], str] = {}  # (base_url, token digest, email) -> user id, per process
_user_ids_lock = threading.Lock()


class _RedactFilter(logging.Filter):
    """Redacts every known token from slack-sdk's own log records (it logs request and error details)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        return True


_sdk_filter = _RedactFilter()
_sdk_log = logging.getLogger(f"{__name__}.sdk")
_sdk_log.addFilter(_sdk_filter)


class SlackNotifier:
    kind = "slack"

    def __init__(self, name: str, *, token: str, base_url: str = "", timeout: float = 10.0) -> None:
        self.name = name
        self.secrets = [token]
        self.base_url = base_url or DEFAULT_BASE_URL
        _sdk_filter.secrets.add(token)
        self.client = WebClient(token=token, base_url=self.base_url, timeout=max(1, round(timeout)),
                                retry_handlers=[], logger=_sdk_log)
        # WebClient takes whole seconds; tests and slow links want the exact figure.
        self.client.timeout = timeout  # type: ignore[assignment]
        self.timeout = timeout  # also the whole call's deadline: slack-sdk only bounds each read
        self._token_digest = hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]

    def send(self, message: Message) -> str:
        deadline = Deadline(self.timeout)  # the lookup and the post together
        user_id = message.recipient_slack_id or self.user_id(message.recipient_email, deadline)
        response = self._call("chat.postMessage", self.client.chat_postMessage, deadline, channel=user_id,
                              text=slack_escape(plain_text(message)), blocks=slack_blocks(message),
                              unfurl_links=False)  # the fallback text is mrkdwn too: data escaped
        return f"slack:{response.get('channel', user_id)}:{response.get('ts', '')}"

    def user_id(self, email: str, deadline: Deadline | None = None) -> str:
        """The Slack user id for `email`, looked up once per process."""
        cache_key = (self.base_url, self._token_digest, email.lower())
        with _user_ids_lock:
            cached = _user_ids.get(cache_key)
        if cached:
            return cached
        response = self._call("users.lookupByEmail", self.client.users_lookupByEmail,
                              deadline or Deadline(self.timeout), email=email)
        user_id = str((response.get("user") or {}).get("id") or "")
        if not user_id:
            raise DeliveryError(f"slack {self.name}: users.lookupByEmail gave no user id", retryable=False,
                                recipient=True)
        with _user_ids_lock:
            _user_ids[cache_key] = user_id
        return user_id

    def _call(self, method: str, call: Callable[..., SlackResponse], deadline: Deadline,
              **kwargs: Any) -> SlackResponse:
        what = f"slack {self.name}: {method}"
        try:
            return run_within(deadline.left(what), lambda: call(**kwargs), what)
        except SlackApiError as exc:
            raise api_error(exc, what, self.secrets) from None
        except SlackClientError as exc:
            raise DeliveryError(redact(f"{what}: {exc}", self.secrets), retryable=False) from None
        except OSError as exc:  # urllib's URLError, timeouts, refused and reset connections
            raise transport_error(exc, self.secrets, what) from None


def api_error(exc: SlackApiError, what: str, secrets: list[str]) -> DeliveryError:
    """Map a Slack Web API error answer to a `DeliveryError`."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or "")
    reason = redact(f"{what}: HTTP {status}" + (f": {code}" if code else ""), secrets)[:300]  # redacted, then cut
    if status == 429 or code == "ratelimited":
        return DeliveryError(reason, retryable=True, retry_after=retry_after(response.headers or {}),
                             status=status)
    if code in RECIPIENT_ERRORS:
        return DeliveryError(reason, retryable=False, status=status, recipient=True)
    if code in PERMANENT_ERRORS or status in (401, 403):
        return DeliveryError(reason, retryable=False, status=status)
    retryable = status >= 500 or status == 408 or code in RETRYABLE_ERRORS
    return DeliveryError(reason, retryable=retryable, status=status)
