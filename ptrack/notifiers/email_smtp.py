"""The SMTP email channel: STARTTLS, optional login, a multipart/alternative plain-text and HTML message.

The `Message-ID` is derived from the message key, so a message re-sent after a crash carries the same id and
mail clients show it once. Failures map to `DeliveryError` by SMTP reply class: 5xx (recipient refused, sender
refused, data rejected) and a failed login are permanent; 4xx, refused or dropped connections and timeouts are
retryable. The password never appears in an error or a log line.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from ptrack.notifiers._http import ssl_context
from ptrack.notifiers.base import DeliveryError, Message, redact
from ptrack.notifiers.content import html_body, plain_text


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
        self.secrets = [password]

    def send(self, message: Message) -> str:
        email = build_email(message, self.sender)
        what = f"smtp {self.name} ({self.host}:{self.port})"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl_context(self.ca_bundle))
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            raise _reply_error(what, "recipient refused", code, reply, self.secrets) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise _reply_error(what, "login failed", exc.smtp_code, exc.smtp_error, self.secrets,
                               permanent=True) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(f"{what}: the server does not offer STARTTLS or AUTH", retryable=False) from None
        except smtplib.SMTPResponseException as exc:
            raise _reply_error(what, "refused", exc.smtp_code, exc.smtp_error, self.secrets) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(f"{what}: the server's TLS certificate is not trusted ({exc.verify_message})",
                                retryable=False) from None
        except TimeoutError:
            raise DeliveryError(f"{what}: timed out", retryable=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise DeliveryError(redact(f"{what}: cannot deliver: {detail}", self.secrets), retryable=True) from None
        return str(email["Message-ID"])


def build_email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient_email
    email["Subject"] = message.subject
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
                 permanent: bool = False) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = redact(f"{what}: {event}: {code} {text}".strip(), secrets)
    return DeliveryError(reason, retryable=not permanent and 400 <= code < 500, status=code)
