"""The one contract every notifier keeps (STYLE.md 5, 6, 12, 13), run against real local peers.

Success delivers the case reference and initials and never a person's name; 429 is retryable with its
Retry-After; 5xx, a timeout and a refused connection are retryable; the channel's permanent refusal is not. In
every case no secret (webhook URL, token, password, client secret) appears in the error, its repr, its
traceback or any log record.
"""

from __future__ import annotations

import logging
import time
import traceback

import pytest
from notifier_harness import PERSON_NAME, Harness, sample_message
from notifier_peers import SLOW_SECONDS

from ptrack.notifiers.base import DeliveryError


def assert_no_secret(harness: Harness, error: DeliveryError | None, caplog: pytest.LogCaptureFixture) -> None:
    texts = {"log": caplog.text, "records": "\n".join(r.getMessage() for r in caplog.records)}
    if error is not None:
        texts |= {"str": str(error), "repr": repr(error), "reason": error.reason,
                  "traceback": "".join(traceback.format_exception(error))}
    for secret in harness.secrets:
        for where, text in texts.items():
            assert secret not in text, f"{harness.channel}: a secret leaked into the {where}"


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
    for fact in ("CASE-1042", "J.B.", "CASE-2077", "A.K.", "Second CLA review", "2026-12-02", "3 days overdue"):
        assert fact in content, f"{harness.channel}: {fact!r} missing from what was delivered"
    assert PERSON_NAME not in content
    assert PERSON_NAME not in caplog.text
    assert_no_secret(harness, None, caplog)


def test_sending_again_is_accepted(harness: Harness) -> None:
    notifier = harness.build()
    notifier.send(sample_message())
    notifier.send(sample_message())


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
