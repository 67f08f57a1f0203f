"""One JSON POST over the standard library, with every failure mapped to `DeliveryError` (Teams, Graph).

The mapping is the one the outbox relies on: 2xx is success; 429 is retryable with its Retry-After; 408 and 5xx,
timeouts, refused or reset connections are retryable; 400, 413 and 422 refuse this one message (the channel
works: `recipient=True`); any other 4xx (401, 403, 404) and a TLS certificate the client does not trust are the
channel's permanent faults. The whole POST, headers and body, must finish within `timeout` (a `Watchdog`
closes the connection of a peer that drips). Reasons are redacted and raised `from None`, so no traceback
chain carries a URL or token.
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ptrack.notifiers._deadline import Watchdog, timed_out
from ptrack.notifiers.base import DeliveryError, redact

MESSAGE_REFUSED = frozenset({400, 413, 422})  # this request is refused, not the channel


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


def ssl_context(ca_bundle: str = "") -> ssl.SSLContext:
    """The system trust store, or only `ca_bundle` (a PEM file) when given: private CAs and tests."""
    return ssl.create_default_context(cafile=ca_bundle or None)


def post_json(url: str, payload: Any, *, timeout: float, secrets: Iterable[str], what: str,
              headers: Mapping[str, str] | None = None, context: ssl.SSLContext | None = None) -> Response:
    """POST `payload` as JSON to `url`; return the 2xx response or raise `DeliveryError` naming `what`. The
    whole exchange is bounded by `timeout` (connect, headers and body together)."""
    hidden = [url, *secrets]
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with Watchdog(timeout) as watchdog:
        opener = urllib.request.build_opener(_Tracked(watchdog), _TrackedTLS(watchdog, context))
        try:
            with opener.open(request, timeout=timeout) as response:
                return Response(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as exc:
            body = _read(exc)
            if watchdog.expired:
                raise timed_out(what, timeout) from None
            raise status_error(exc.code, dict(exc.headers.items()), body, hidden, what) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            if watchdog.expired:
                raise timed_out(what, timeout) from None
            if isinstance(exc, http.client.HTTPException):  # a malformed or cut-short answer
                raise DeliveryError(f"{what}: bad HTTP answer ({type(exc).__name__})", retryable=True) from None
            raise transport_error(exc, hidden, what) from None


class _Tracked(urllib.request.HTTPHandler):
    """Plain HTTP whose connections the watchdog can shut."""

    def __init__(self, watchdog: Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_factory(http.client.HTTPConnection, self.watchdog), req)


class _TrackedTLS(urllib.request.HTTPSHandler):
    """HTTPS whose connections the watchdog can shut."""

    def __init__(self, watchdog: Watchdog, context: ssl.SSLContext | None) -> None:
        super().__init__(context=context)
        self.watchdog = watchdog
        self.tls = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_factory(http.client.HTTPSConnection, self.watchdog), req, context=self.tls)


def _factory(cls: type[http.client.HTTPConnection], watchdog: Watchdog) -> Any:
    def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        conn = cls(host, **kwargs)
        watchdog.track(lambda: conn.sock)
        return conn

    return make


def status_error(status: int, headers: Mapping[str, str], body: bytes, secrets: Iterable[str],
                 what: str) -> DeliveryError:
    """The `DeliveryError` for a non-2xx HTTP answer."""
    detail = redact(body.decode("utf-8", "replace"), secrets).strip()[:300]  # redacted whole, then cut
    reason = f"{what}: HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429:
        return DeliveryError(reason, retryable=True, retry_after=retry_after(headers), status=status)
    return DeliveryError(reason, retryable=status == 408 or status >= 500, status=status,
                         recipient=status in MESSAGE_REFUSED)


def transport_error(exc: BaseException, secrets: Iterable[str], what: str) -> DeliveryError:
    """The `DeliveryError` for a failure below HTTP: DNS, refused, reset, timeout, TLS."""
    cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(cause, ssl.SSLCertVerificationError):
        reason = f"{what}: the server's TLS certificate is not trusted ({cause.verify_message})"
        return DeliveryError(redact(reason, secrets), retryable=False)
    if isinstance(cause, TimeoutError):
        return DeliveryError(f"{what}: timed out", retryable=True)
    text = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
    return DeliveryError(redact(f"{what}: cannot connect: {text}", secrets), retryable=True)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except OSError:
        return b""
