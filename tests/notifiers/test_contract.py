"""The one contract every notifier keeps (STYLE.md 5, 6, 12, 13), run against real local peers.

Success delivers the facts a reader acts on (case reference, initials, rule, due date and last working day,
working or calendar days, the worker, the link, the council) and never a person's name; sending the same message
again is accepted and delivers it again (the same Message-ID, the same files); 429 is retryable with its
Retry-After; 5xx, a timeout, a peer that drips its answer (cut off at the total deadline) and a refused
connection are retryable; the channel's permanent refusal is not. In every case, even when the peer echoes the
request back, no secret (webhook URL or its `sig=`, token, password, client secret) appears in the error, its
repr, its traceback or any log record.
"""

from __future__ import annotations

import logging
import time
import traceback

import pytest
from notifier_harness import PERSON_NAME, SAMPLE_FACTS, Harness, sample_message
from notifier_peers import CLIENT_TIMEOUT, SLOW_SECONDS, HttpPeer

from ptrack.notifiers.base import DeliveryError

FRAGMENT = 10  # no run of this many characters of a secret may show (a secret cut short still leaks)
PEER_LOGGERS = ("mail.log",)  # aiosmtpd, the SMTP peer: it logs what it receives, AUTH included


def assert_no_secret(harness: Harness, error: DeliveryError | None, caplog: pytest.LogCaptureFixture) -> None:
    ours = [r for r in caplog.records if not r.name.startswith(PEER_LOGGERS)]  # not the test peers' own logs
    texts = {"records": "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in ours)}
    if error is not None:
        texts |= {"str": str(error), "repr": repr(error), "reason": error.reason,
                  "traceback": "".join(traceback.format_exception(error))}
    for secret in harness.secrets:
        for where, text in texts.items():
            assert secret not in text, f"{harness.channel}: a secret leaked into the {where}"
    for part in harness.parts:
        for fragment in {part[i:i + FRAGMENT] for i in range(len(part) - FRAGMENT + 1)}:
            for where, text in texts.items():
                assert fragment not in text, f"{harness.channel}: {fragment!r} of a secret leaked into the {where}"


def send_failing(harness: Harness, caplog: pytest.LogCaptureFixture, broken: bool = False) -> DeliveryError:
    caplog.set_level(logging.DEBUG)
    notifier = harness.build(broken=broken)
    with pytest.raises(DeliveryError) as info:
        notifier.send(sample_message())
    assert_no_secret(harness, info.value, caplog)
    return info.value


def needs_peer(harness: Harness) -> None:
    if harness.peer is None:
        pytest.skip(f"{harness.channel} has no network peer")


def test_success_delivers_case_and_initials_never_a_name(harness: Harness,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    receipt = harness.build().send(sample_message())
    assert receipt
    delivered = harness.delivered()
    assert delivered, f"{harness.channel}: the peer received nothing"
    content = "\n".join(delivered)
    for fact in SAMPLE_FACTS:
        assert fact in content, f"{harness.channel}: {fact!r} missing from what was delivered"
    assert PERSON_NAME not in content
    assert PERSON_NAME not in caplog.text
    assert_no_secret(harness, None, caplog)


def test_sending_again_is_accepted(harness: Harness) -> None:
    """The at-least-once outbox may send a message twice: the channel accepts the repeat and delivers the same
    content under the same identity (SMTP's Message-ID, the folder's file names), so clients can fold it."""
    notifier = harness.build()
    first = notifier.send(sample_message())
    second = notifier.send(sample_message())
    assert first and second
    delivered = harness.delivered()
    if harness.channel == "folder":
        assert first == second and len(delivered) == 2  # one .json and one .txt, rewritten in place
    else:
        assert len(delivered) == 2 and delivered[0] == delivered[1], f"{harness.channel}: the repeat differs"
    if harness.channel == "smtp":
        assert first == second  # the Message-ID comes from the message key


def test_throttled_is_retryable_with_retry_after(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    needs_peer(harness)
    harness.set_mode("throttled")
    error = send_failing(harness, caplog)
    assert error.retryable
    assert error.retry_after == (7 if harness.retry_after_supported else None)


def test_server_error_is_retryable(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    needs_peer(harness)
    harness.set_mode("unavailable")
    error = send_failing(harness, caplog)
    assert error.retryable and error.retry_after is None


def test_timeout_is_retryable(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    needs_peer(harness)
    harness.set_mode("slow")
    started = time.monotonic()
    error = send_failing(harness, caplog)
    assert error.retryable
    assert time.monotonic() - started < SLOW_SECONDS, "the client did not give up at its timeout"


def test_a_peer_that_drips_its_answer_is_cut_off_at_the_total_deadline(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """One byte every DRIP_SECONDS (less than the read timeout) in the HTTP headers or the SMTP banner: only a
    deadline on the whole send stops it, at the configured timeout."""
    if harness.dripping is None:
        pytest.skip(f"{harness.channel} has no network peer")
    caplog.set_level(logging.DEBUG)
    notifier = harness.dripping()
    started = time.monotonic()
    with pytest.raises(DeliveryError) as info:
        notifier.send(sample_message())
    elapsed = time.monotonic() - started
    assert info.value.retryable and "timed out" in info.value.reason
    assert elapsed < CLIENT_TIMEOUT + 0.75, f"{harness.channel}: cut off after {elapsed:.1f} s"
    assert_no_secret(harness, info.value, caplog)


def test_a_peer_that_echoes_the_request_leaks_no_secret(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """`403 Cannot POST /workflows/…&sig=SECRET`, an `invalid_auth` quoting the Authorization header, a token
    endpoint quoting the form with the client secret, an SMTP server quoting AUTH: the error names the failure,
    never the secret or a part of it (the signature, the query string, the base64 forms)."""
    needs_peer(harness)
    harness.set_mode("echo")
    if harness.channel == "graph":
        assert isinstance(harness.peer, HttpPeer)
        harness.peer.auth_mode = "echo"  # the token endpoint quotes the client secret back
        error = send_failing(harness, caplog)
        assert not error.retryable
        harness.peer.auth_mode = "ok"
    error = send_failing(harness, caplog)
    assert not error.retryable and not error.recipient  # a fault of the channel's credentials


@pytest.mark.parametrize("shape", ["json", "decoded", "cut"])
def test_a_peer_that_echoes_the_request_in_another_shape_leaks_no_part_of_a_secret(
    harness: Harness, caplog: pytest.LogCaptureFixture, shape: str
) -> None:
    """The echo JSON-escaped (`\\/workflows\\/<id>\\/…`), URL-decoded, or long enough that the error text is cut
    inside the secret: no ten consecutive characters of the workflow id, signature, token or password show."""
    needs_peer(harness)
    if not isinstance(harness.peer, HttpPeer):
        pytest.skip(f"{harness.channel}: its echo (an SMTP reply quoting AUTH) has one shape")
    harness.set_mode("echo")
    harness.peer.echo_shape = shape
    error = send_failing(harness, caplog)
    assert not error.retryable and not error.recipient


def test_connection_refused_is_retryable(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    needs_peer(harness)
    error = send_failing(harness, caplog, broken=True)
    assert error.retryable


def test_permanent_refusal_is_not_retryable(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    needs_peer(harness)
    harness.set_mode("rejected")
    error = send_failing(harness, caplog)
    assert not error.retryable
    assert error.status in {401, 403, 404, 200, 550}
