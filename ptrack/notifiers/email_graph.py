"""The Microsoft Graph email channel: an msal client-credentials token, then `POST /users/{sender}/sendMail`.

The app registration needs the application permission `Mail.Send`, which an Exchange Online application access
policy restricts to the one sender mailbox (docs/channels.md). The msal `ConfidentialClientApplication` is built
on first use (it reads the tenant's OpenID configuration over the network) and kept with its token cache, so a
token is fetched once an hour, not once a message. The token request and the sendMail POST together finish
within `timeout` or fail as timed out. A 400 from sendMail (`ErrorInvalidRecipients`) fails that message only. The
authority and Graph base URLs are configurable: national clouds, proxies and the tests' local HTTPS servers.
The client secret and the access token never appear in an error or a log line.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import quote

import msal
import requests
from msal.exceptions import MsalServiceError

from ptrack.notifiers._deadline import Deadline, run_within
from ptrack.notifiers._http import post_json, ssl_context, status_error
from ptrack.notifiers.base import DeliveryError, Message, redact
from ptrack.notifiers.render import html_body, subject

log = logging.getLogger(__name__)
DEFAULT_AUTHORITY_BASE_URL = "https://login.microsoftonline.com"
DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com"
# Token endpoint errors an admin must fix (RFC 6749 §5.2 and Entra's AADSTS codes behind them).
PERMANENT_TOKEN_ERRORS = frozenset({
    "invalid_client", "unauthorized_client", "invalid_request", "invalid_scope", "invalid_grant",
    "unsupported_grant_type", "invalid_resource",
})


class GraphMailNotifier:
    kind = "graph"

    def __init__(self, name: str, *, tenant_id: str, client_id: str, client_secret: str, sender: str,
                 authority_base_url: str = "", graph_base_url: str = "", timeout: float = 30.0,
                 ca_bundle: str = "") -> None:
        self.name = name
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.sender = sender
        self.authority = f"{(authority_base_url or DEFAULT_AUTHORITY_BASE_URL).rstrip('/')}/{tenant_id}"
        self.graph_base_url = (graph_base_url or DEFAULT_GRAPH_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.ca_bundle = ca_bundle
        self._client_secret = client_secret
        self.secrets = [client_secret]
        self.token_cache = msal.TokenCache()
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def send(self, message: Message) -> str:
        deadline = Deadline(self.timeout)  # the token and the sendMail together
        token = self.access_token(deadline)
        url = f"{self.graph_base_url}/v1.0/users/{quote(self.sender, safe='@')}/sendMail"
        what = f"graph {self.name}: sendMail"
        response = post_json(url, mail(message), timeout=deadline.left(what), secrets=[*self.secrets, token],
                             what=what, headers={"Authorization": f"Bearer {token}"},
                             context=ssl_context(self.ca_bundle))
        request_id = response.headers.get("request-id") or response.headers.get("Request-Id") or ""
        log.debug("%s: %s accepted with HTTP %s", what, message.key, response.status)
        return f"graph:{response.status}:{request_id or message.key}"

    def access_token(self, deadline: Deadline | None = None) -> str:
        """A client-credentials token for Graph, from msal's cache while it is valid."""
        what = f"graph {self.name}: token"
        scope = f"{self.graph_base_url}/.default"
        left = (deadline or Deadline(self.timeout)).left(what)
        try:
            result = run_within(left, lambda: self._application().acquire_token_for_client(scopes=[scope]), what)
        except DeliveryError:
            raise
        except (requests.RequestException, OSError) as exc:
            raise self._network_error(what, exc) from None
        except MsalServiceError as exc:  # the authority answered an error status, e.g. 503 to discovery
            raise DeliveryError(redact(f"{what}: {exc}", self.secrets)[:500], retryable=True) from None
        except ValueError as exc:  # msal's answer to a 4xx OpenID discovery: wrong tenant or authority
            raise DeliveryError(redact(f"{what}: {exc}", self.secrets)[:500], retryable=False) from None
        except Exception as exc:  # msal's other failures (an odd discovery document): no foreign error leaks
            reason = redact(f"{what}: {type(exc).__name__}: {exc}", self.secrets)[:500]
            raise DeliveryError(reason, retryable=True) from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if token:
            self.secrets = [self._client_secret, str(token)]
            return str(token)
        return self._token_failure(what, result if isinstance(result, dict) else {})

    def _application(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._app is None:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id, client_credential=self._client_secret, authority=self.authority,
                    validate_authority=False, instance_discovery=False, token_cache=self.token_cache,
                    http_client=_HttpClient(self.timeout, self.ca_bundle),
                )
            return self._app

    def _network_error(self, what: str, exc: BaseException) -> DeliveryError:
        response = getattr(exc, "response", None)
        if isinstance(exc, requests.HTTPError) and response is not None:
            error = status_error(response.status_code, dict(response.headers), response.content or b"",
                                 self.secrets, what)
            error.recipient = False  # the token endpoint: the channel's fault, whatever the status
            return error
        if isinstance(exc, requests.exceptions.SSLError):
            return DeliveryError(f"{what}: the authority's TLS certificate is not trusted", retryable=False)
        if isinstance(exc, requests.Timeout):
            return DeliveryError(f"{what}: timed out", retryable=True)
        return DeliveryError(f"{what}: cannot connect to {self.authority}", retryable=True)

    def _token_failure(self, what: str, result: dict[str, Any]) -> str:
        code = str(result.get("error") or "no access_token in the answer")
        first_line = str(result.get("error_description") or "").splitlines()[:1]
        reason = redact(f"{what}: {code}" + (f": {first_line[0]}" if first_line else ""), self.secrets)
        raise DeliveryError(reason[:500], retryable=code not in PERMANENT_TOKEN_ERRORS)


class _HttpClient:
    """msal's HTTP client: requests with our timeout and, when configured, our CA bundle on every call.

    A `verify` set on a `requests.Session` loses to REQUESTS_CA_BUNDLE in the environment (requests#3829), so a
    configured `ca_bundle` is passed with each request instead.
    """

    def __init__(self, timeout: float, ca_bundle: str) -> None:
        self._session = requests.Session()
        self._timeout = timeout
        self._ca_bundle = ca_bundle

    def _options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs.setdefault("timeout", self._timeout)
        if self._ca_bundle:
            kwargs["verify"] = self._ca_bundle
        return kwargs

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._session.get(url, **self._options(kwargs))

    def post(self, url: str, **kwargs: Any) -> Any:
        return self._session.post(url, **self._options(kwargs))

    def close(self) -> None:
        self._session.close()


def mail(message: Message) -> dict[str, Any]:
    """The sendMail body: subject, HTML body, one recipient; saved to Sent Items for the audit trail."""
    return {
        "message": {
            "subject": subject(message),
            "body": {"contentType": "HTML", "content": html_body(message)},
            "toRecipients": [{"emailAddress": {"address": message.recipient_email}}],
            "internetMessageHeaders": [{"name": "X-Ptrack-Kind", "value": message.kind}],
        },
        "saveToSentItems": True,
    }
