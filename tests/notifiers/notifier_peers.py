"""Real local peers for the notifier contract suite: HTTP(S) servers speaking Teams Workflows, the Slack Web API
and Microsoft Graph (with its OpenID discovery and token endpoints), an aiosmtpd SMTP server with STARTTLS and
AUTH, and a throw-away TLS certificate for 127.0.0.1.

Every peer has a `mode` the tests switch: "ok", "throttled" (429 + Retry-After: 7, or SMTP 452), "unavailable"
(503, or SMTP 451), "slow" (answers after SLOW_SECONDS, longer than the clients' timeout), "rejected" (the
channel's permanent refusal: 404, invalid_auth, 403, SMTP 550), "echo" (a refusal that quotes the request back,
headers and body, as some gateways do: `403 Cannot POST /workflows/…&sig=…`; its `echo_shape` quotes it
JSON-escaped, URL-decoded, or padded so that `cut_secret` straddles the `cut_at`-th character) and "drip" (the
answer one byte every DRIP_SECONDS, so no single read ever times out). `DripServer` does the same to an SMTP banner.
Each records what it received. The Slack peer knows some users (`users_not_found` for `UNKNOWN_EMAILS`) and the SMTP
peer refuses `REFUSED_RCPTS` with 550, so one recipient can fail while the channel works.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SLOW_SECONDS = 1.5
CLIENT_TIMEOUT = 0.5
DRIP_SECONDS = 0.2  # below CLIENT_TIMEOUT: every read gets a byte in time, only a total deadline stops it
DRIP_BYTES = 60  # 12 s of dripping, far past any deadline
UNKNOWN_EMAILS = {"nobody@council.example", "gone@council.example"}
REFUSED_RCPTS = {"nobody@council.example"}
Reply = tuple[int, dict[str, str], bytes]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed CA certificate for 127.0.0.1 and localhost; returns (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ptrack test peer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert[0]), str(cert[1]))
    return context


def closed_port() -> int:
    """A port nothing listens on: bound to 0 to get a free one, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HttpPeer:
    """A threaded HTTP(S) server on 127.0.0.1:<free port> that asks `route` for each answer."""

    def __init__(self, route: Callable[[HttpPeer, str, str, dict[str, str], bytes], Reply],
                 tls: ssl.SSLContext | None = None) -> None:
        self.mode = "ok"
        self.auth_mode = "ok"  # Graph only: "discovery_down", "token_down" (503), "odd_discovery" (no endpoints)
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.arrived: list[float] = []  # time.monotonic() of each request, in the order of `requests`
        self.echo_shape = "plain"  # "json" (escaped, `\\/` for `/`), "decoded" (URL-decoded) or "cut"
        self.cut_secret = ""  # "cut": this secret straddles the `cut_at`-th character of the error text
        self.cut_at = 300
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                peer.requests.append((self.command, self.path, headers, body))
                peer.arrived.append(time.monotonic())
                if peer.mode == "drip":
                    drip(self.wfile.write, self.wfile.flush)
                    return
                status, reply_headers, reply = route(peer, self.command, self.path, headers, body)
                try:
                    self.send_response(status)
                    for k, v in reply_headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self, path_part: str) -> list[str]:
        return [b.decode("utf-8") for _, p, _, b in self.requests if path_part in p]


HTTP_START = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Drip: "


def drip(write: Callable[[bytes], Any], flush: Callable[[], Any], start: bytes = HTTP_START) -> None:
    """Write a well-formed start of an answer one byte per DRIP_SECONDS until the client hangs up."""
    for byte in (start + b"x" * DRIP_BYTES)[:DRIP_BYTES]:
        try:
            write(bytes([byte]))
            flush()
        except OSError:
            return
        time.sleep(DRIP_SECONDS)


def echo_text(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    """The request quoted back, as a careless gateway's error page does."""
    lines = [f"Cannot {method} {path}", *(f"{k}: {v}" for k, v in headers.items()), body.decode("utf-8", "replace")]
    return "\n".join(lines)


def shaped(peer: HttpPeer, text: str, lead: str = "") -> str:
    """The echo `text` in the peer's `echo_shape`; `lead` is what the channel's error text has before it."""
    if peer.echo_shape == "json":
        return json.dumps({"error": {"message": text}}).replace("/", "\\/")
    if peer.echo_shape == "decoded":
        return unquote(text)
    if peer.echo_shape == "cut" and peer.cut_secret in text:
        lines = text.split("\n")  # the line with the secret first, padded to put the secret on the cut
        lines.sort(key=lambda line: peer.cut_secret not in line)
        text = "\n".join(lines)
        return "." * (peer.cut_at - len(lead) - text.index(peer.cut_secret) - len(peer.cut_secret) // 2) + text
    return text


class DripServer:
    """A TCP server that drips its banner (`220 ...`) one byte per DRIP_SECONDS: an SMTP peer that never times
    a read out."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            drip(conn.sendall, lambda: None, b"220 ")

    def close(self) -> None:
        self.sock.close()


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(payload).encode()


def failure(mode: str) -> Reply | None:
    """The shared answers for the failure modes; None for "ok" and "rejected" (peer-specific)."""
    if mode == "throttled":
        return _json(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"})
    if mode == "unavailable":
        return 503, {"Content-Type": "text/html"}, b"<html><body>Service Unavailable</body></html>"
    if mode == "slow":
        time.sleep(SLOW_SECONDS)
    return None


def teams_route(peer: HttpPeer, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
    if (answer := failure(peer.mode)) is not None:
        return answer
    if peer.mode == "rejected":
        return _json(404, {"error": {"code": "TriggerNotFound", "message": "The workflow was not found."}})
    if peer.mode == "echo":
        return 403, {"Content-Type": "text/plain"}, shaped(peer, echo_text(method, path, headers, body)).encode()
    card = json.loads(body)
    if peer.mode == "refuse_card" or "REFUSE-CARD" in json.dumps(card):
        return _json(400, {"error": {"code": "InvalidRequestContent", "message": "The card could not be read."}})
    return (200, {}, b"1") if peer.mode == "ok200" else (202, {}, b"")


SLACK_TOKEN = "xoxb-1111-2222-SLACKSECRETTOKEN"
SLACK_USER = "U0WORKER42"


def slack_user(email: str) -> str:
    """The peer's user id for an email: SLACK_USER for the contract suite's worker, else one per address."""
    return SLACK_USER if email.startswith("worker42@") else "U" + email.split("@")[0].upper().replace(".", "")


def slack_route(peer: HttpPeer, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
    if peer.mode == "echo":
        lead = "invalid_auth: "
        return _json(200, {"ok": False, "error": lead + shaped(peer, echo_text(method, path, headers, body), lead)})
    if headers.get("Authorization") != f"Bearer {SLACK_TOKEN}" or peer.mode == "rejected":
        return _json(200, {"ok": False, "error": "invalid_auth"})
    if path.endswith("/users.lookupByEmail"):
        email = parse_qs(urlsplit(path).query).get("email") or parse_qs(body.decode()).get("email") or [""]
        if email[0] in UNKNOWN_EMAILS:
            return _json(200, {"ok": False, "error": "users_not_found"})
        return _json(200, {"ok": True, "user": {"id": slack_user(email[0]), "profile": {"email": email[0]}}})
    if (answer := failure(peer.mode)) is not None:
        return answer
    if path.endswith("/chat.postMessage"):
        return _json(200, {"ok": True, "channel": "D0DM", "ts": "1764064800.000100"})
    return _json(200, {"ok": False, "error": "unknown_method"})


GRAPH_TENANT = "contoso-tenant-id"
GRAPH_CLIENT_ID = "11111111-2222-3333-4444-555555555555"
GRAPH_SECRET = "graph~CLIENTSECRET~value"
GRAPH_TOKEN = "eyJ0eXAiOiJKV1QiGRAPHACCESSTOKEN"


def graph_route(peer: HttpPeer, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
    if peer.auth_mode == "discovery_down" and "openid-configuration" in path \
            or peer.auth_mode == "token_down" and "/oauth2/" in path:
        return 503, {"Content-Type": "text/html"}, b"<html>Service Unavailable</html>"
    if peer.auth_mode == "odd_discovery" and "openid-configuration" in path:
        return _json(200, {"issuer": "nobody"})
    if path.startswith(f"/{GRAPH_TENANT}/v2.0/.well-known/openid-configuration"):
        base = f"{peer.base}/{GRAPH_TENANT}"
        return _json(200, {"token_endpoint": f"{base}/oauth2/v2.0/token",
                           "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                           "issuer": f"{base}/v2.0", "device_authorization_endpoint": f"{base}/devicecode"})
    if path.startswith(f"/{GRAPH_TENANT}/oauth2/v2.0/token"):
        form = parse_qs(body.decode())
        if peer.auth_mode == "echo":
            return _json(401, {"error": "invalid_client",
                               "error_description": echo_text(method, path, headers, body).replace("\n", " ")})
        if form.get("client_secret") != [GRAPH_SECRET] or form.get("grant_type") != ["client_credentials"]:
            return _json(401, {"error": "invalid_client",
                               "error_description": "AADSTS7000215: Invalid client secret provided."})
        return _json(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": GRAPH_TOKEN})
    if "/sendMail" in path:
        if headers.get("Authorization") != f"Bearer {GRAPH_TOKEN}":
            return _json(401, {"error": {"code": "InvalidAuthenticationToken"}})
        if (answer := failure(peer.mode)) is not None:
            return answer
        if peer.mode == "rejected":
            return _json(403, {"error": {"code": "ErrorAccessDenied",
                                         "message": "Access is denied. Check credentials and try again."}})
        if peer.mode == "echo":
            return 403, {"Content-Type": "text/plain"}, shaped(peer, echo_text(method, path, headers, body)).encode()
        to = [r["emailAddress"]["address"] for r in json.loads(body)["message"]["toRecipients"]]
        if set(to) & REFUSED_RCPTS:
            return _json(400, {"error": {"code": "ErrorInvalidRecipients",
                                         "message": "At least one recipient is not valid."}})
        return 202, {"request-id": "req-1"}, b""
    return _json(404, {"error": {"code": "NotFound"}})


SMTP_USER = "ptrack-smtp"
SMTP_PASSWORD = "smtp-PASSWORD-secret"


class SmtpPeer:
    """aiosmtpd on a free port with STARTTLS (required) and AUTH, or plain without `tls`; `mode` as for the HTTP
    peers."""

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        self.mode = "ok"
        self.messages: list[EmailMessage] = []
        self.port = closed_port()
        if tls is None:
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        else:
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port, tls_context=tls,
                                         require_starttls=True, authenticator=self._authenticate,
                                         auth_require_tls=True)
        self.controller.start()

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login.decode() == SMTP_USER \
            and data.password.decode() == SMTP_PASSWORD
        if self.mode == "echo" and isinstance(data, LoginPassword):
            said = base64.b64encode(b"\0" + data.login + b"\0" + data.password).decode()
            return AuthResult(success=False, handled=False,
                              message=f"535 5.7.8 no: {data.login.decode()} {data.password.decode()} {said}")
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.mode == "rejected" or address in REFUSED_RCPTS:
            return "550 5.1.1 <recipient>: mailbox unavailable"
        if self.mode == "throttled":
            return "452 4.3.1 Insufficient system resources, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "unavailable":
            return "451 4.3.0 Local error in processing"
        if self.mode == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def close(self) -> None:
        self.controller.stop()

    def delivered(self) -> list[str]:
        out = []
        for m in self.messages:
            parts = [str(m["Subject"]), str(m["Message-ID"])]
            for part in m.walk():
                if part.get_content_maintype() == "text":
                    parts.append(f"[{part.get_content_type()}]\n{part.get_content()}")
            out.append("\n".join(parts))
        return out
