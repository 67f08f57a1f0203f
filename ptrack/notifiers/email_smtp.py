"""The SMTP email channel: STARTTLS, optional login, a multipart/alternative plain-text and HTML message.

The `Message-ID` is derived from the message key, so a message re-sent after a crash carries the same id and
mail clients show it once. Failures map to `DeliveryError` by SMTP reply class: 5xx (recipient refused, sender
refused, data rejected) and a failed login are permanent; 4xx, refused or dropped connections and timeouts are
retryable. A recipient refused with 5xx (`550 mailbox unavailable`) or a message refused at DATA fails that
message only (`recipient=True`); a failed login, a refused sender or a missing STARTTLS is the channel's fault.
The whole exchange, from the banner to the end of DATA, must finish within `timeout`: a server that drips its
banner one byte at a time is cut off (`Watchdog`). The password (and its base64 forms, as AUTH sends it)
never appears in an error or a log line.
"""

from __future__ import annotations

import base64
import hashlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from ptrack.notifiers._deadline import Watchdog, timed_out
from ptrack.notifiers._http import ssl_context
from ptrack.notifiers.base import DeliveryError, Message, redact
from ptrack.notifiers.render import html_body, plain_text, subject


class SmtpNotifier:
    kind = "smtp"

    def __init__(self, name: str, *, host: str, port: int = 587, sender: str, starttls: bool = True,
                 username: str = "", password: str = "", timeout: float = 30.0, ca_bundle: str = "") -> None:
        self.name = name
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ca_bundle = ca_bundle
        plain = base64.b64encode(f"\0{username}\0{password}".encode()).decode()  # AUTH PLAIN's argument
        self.secrets = [password, plain] if password else []

    def send(self, message: Message) -> str:
        email = build_email(message, self.sender)
        what = f"smtp {self.name} ({self.host}:{self.port})"
        with Watchdog(self.timeout) as watchdog:
            try:
                self._deliver(email, watchdog)
            except DeliveryError:
                raise
            except (smtplib.SMTPException, OSError) as exc:
                if watchdog.expired:
                    raise timed_out(what, self.timeout) from None
                raise self._error(what, exc) from None
        return str(email["Message-ID"])

    def _deliver(self, email: EmailMessage, watchdog: Watchdog) -> None:
        with _WatchedSMTP(watchdog, self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl_context(self.ca_bundle))
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)

    def _error(self, what: str, exc: BaseException) -> DeliveryError:
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            return _reply_error(what, "recipient refused", code, reply, self.secrets, recipient=code >= 500)
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return _reply_error(what, "login failed", exc.smtp_code, exc.smtp_error, self.secrets, permanent=True)
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return DeliveryError(f"{what}: the server does not offer STARTTLS or AUTH", retryable=False)
        if isinstance(exc, smtplib.SMTPDataError):
            return _reply_error(what, "message refused", exc.smtp_code, exc.smtp_error, self.secrets,
                                recipient=exc.smtp_code >= 500)
        if isinstance(exc, smtplib.SMTPResponseException):
            return _reply_error(what, "refused", exc.smtp_code, exc.smtp_error, self.secrets)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return DeliveryError(f"{what}: the server's TLS certificate is not trusted ({exc.verify_message})",
                                 retryable=False)
        if isinstance(exc, TimeoutError):
            return DeliveryError(f"{what}: timed out", retryable=True)
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return DeliveryError(redact(f"{what}: cannot deliver: {detail}", self.secrets), retryable=True)


class _WatchedSMTP(smtplib.SMTP):
    """smtplib's client with its socket (the plain one, then the TLS one) shut by the watchdog at the deadline,
    from the banner on."""

    def __init__(self, watchdog: Watchdog, host: str, port: int, timeout: float) -> None:
        self._watchdog = watchdog
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self._watchdog.track(lambda: getattr(self, "sock", None) or sock)
        return sock


def build_email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient_email
    email["Subject"] = subject(message)
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = message_id(message.key, sender)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a robot
    email.set_content(plain_text(message))
    email.add_alternative(html_body(message), subtype="html")
    return email


def message_id(key: str, sender: str) -> str:
    """`<digest@domain>`: the same key always gives the same id; the key itself (it may hold an email) is hidden."""
    domain = sender.rpartition("@")[2] or "ptrack.invalid"
    return f"<ptrack.{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def _reply_error(what: str, event: str, code: int, reply: bytes | str, secrets: list[str],
                 permanent: bool = False, recipient: bool = False) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = redact(f"{what}: {event}: {code} {text}".strip(), secrets)
    return DeliveryError(reason, retryable=not permanent and 400 <= code < 500, status=code,
                         recipient=recipient)
