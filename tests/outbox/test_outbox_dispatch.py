"""Dispatching over a real store (SQLite and PostgreSQL): each message claimed once by concurrent dispatchers,
retries with backoff and Retry-After, a permanent failure breaking only its channel, and no message lost."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

from outbox_helpers import Recorder, at, queue_plain, seed

from ptrack.notifiers.base import DeliveryError, Message
from ptrack.tracker.outbox.retry import RetryPolicy
from ptrack.tracker.outbox.service import dispatch, list_outbox, retry_outbox
from ptrack.tracker.store import Store
from ptrack.tracker.store import outbox_queries as q

NOW = at("2026-11-25", "09:00")


def test_two_dispatchers_send_each_of_200_messages_exactly_once(store: Store) -> None:
    queue_plain(store, 200, "folder", NOW)
    folder = Recorder("folder")
    barrier = threading.Barrier(2)

    def work(worker: str) -> None:
        barrier.wait()
        dispatch(store, {"folder": folder}, NOW, worker, batch=7)

    threads = [threading.Thread(target=work, args=(f"d{i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    keys = Counter(m.key for m in folder.sent)
    assert len(keys) == 200 and set(keys.values()) == {1}
    assert {r.status for r in list_outbox(store)} == {"sent"}


def test_a_429_waits_for_retry_after_then_sends(store: Store) -> None:
    queue_plain(store, 1, "slack", NOW)
    replies: list[DeliveryError | None] = [DeliveryError("rate limited", retryable=True, retry_after=120, status=429)]
    slack = Recorder("slack", lambda m: replies.pop(0) if replies else None)
    report = dispatch(store, {"slack": slack}, NOW, "d")
    assert report.retrying == 1 and slack.sent == []
    [row] = list_outbox(store)
    assert row.next_attempt_at == NOW + timedelta(seconds=120) and row.attempts == 1
    assert "rate limited" in row.last_error
    dispatch(store, {"slack": slack}, NOW + timedelta(seconds=119), "d")
    assert slack.sent == []
    dispatch(store, {"slack": slack}, NOW + timedelta(seconds=120), "d")
    assert len(slack.sent) == 1


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy, rng = RetryPolicy(base_seconds=60, cap_seconds=600, jitter=0.25), random.Random(1)
    delays = [policy.delay(n, None, rng).total_seconds() for n in range(1, 8)]
    assert 45 <= delays[0] <= 60 and 90 <= delays[1] <= 120 and 180 <= delays[2] <= 240
    assert all(450 <= d <= 600 for d in delays[4:])


def test_after_max_attempts_a_message_is_dead_with_its_reason(store: Store) -> None:
    queue_plain(store, 1, "email", NOW)
    email = Recorder("email", lambda m: DeliveryError("connection refused", retryable=True))
    policy = RetryPolicy(max_attempts=3)
    now = NOW
    for _ in range(3):
        dispatch(store, {"email": email}, now, "d", policy=policy)
        now += timedelta(hours=2)
    [row] = list_outbox(store)
    assert row.status == "dead" and row.last_error == "gave up after 3 attempts: connection refused"


def test_a_permanent_failure_breaks_the_channel_alerts_the_admin_and_keeps_the_messages(store: Store) -> None:
    seed(store, [])
    queue_plain(store, 3, "teams", NOW)
    broken = True
    teams = Recorder("teams", lambda m: DeliveryError("403 Forbidden", retryable=False, status=403) if broken else None)
    folder = Recorder("folder")
    report = dispatch(store, {"teams": teams, "folder": folder}, NOW, "d")
    assert report.failed == 1 and report.broken == {"teams": "403 Forbidden"} and report.alerts == 1
    [alert] = folder.sent
    assert alert.kind == "alert" and alert.recipient_email == "admin@example.org"
    assert "ptrack outbox retry --channel teams" in alert.text
    statuses = Counter(r.status for r in list_outbox(store) if r.channel == "teams")
    assert statuses == {"failed": 1, "pending": 2}  # kept, waiting, visible
    dispatch(store, {"teams": teams, "folder": folder}, NOW + timedelta(hours=1), "d")
    assert len(folder.sent) == 1  # alerted once, and nothing sent on the broken channel
    broken = False
    assert retry_outbox(store, NOW + timedelta(hours=2), "teams") == 1
    dispatch(store, {"teams": teams, "folder": folder}, NOW + timedelta(hours=2), "d")
    assert len(teams.sent) == 3


def test_slack_down_delays_slack_only(store: Store) -> None:
    queue_plain(store, 5, "slack", NOW)
    queue_plain(store, 5, "email", NOW)
    slack = Recorder("slack", lambda m: DeliveryError("timed out", retryable=True))
    email = Recorder("email")
    report = dispatch(store, {"slack": slack, "email": email}, NOW, "d")
    assert len(email.sent) == 5 and report.retrying == 1 and report.released >= 0
    assert Counter(r.status for r in list_outbox(store) if r.channel == "slack") == {"pending": 5}


def test_a_stale_claim_of_a_crashed_dispatcher_is_sent_after_the_lease(store: Store) -> None:
    queue_plain(store, 1, "folder", NOW)
    with store.transaction() as conn:
        assert len(q.claim(conn, "crashed", NOW, 10, ["folder"])) == 1  # claimed, then the process died
    folder = Recorder("folder")
    dispatch(store, {"folder": folder}, NOW + timedelta(seconds=60), "d")
    assert folder.sent == []
    report = dispatch(store, {"folder": folder}, NOW + timedelta(minutes=6), "d")
    assert report.reclaimed == 1 and len(folder.sent) == 1


def test_after_any_sequence_of_failures_every_message_is_delivered_or_dead_with_its_reason(store: Store) -> None:
    seed(store, [])
    rng = random.Random(20261125)
    for channel in ("slack", "email", "teams"):
        queue_plain(store, 20, channel, NOW)
    outcomes = [None, None, DeliveryError("503", retryable=True),
                DeliveryError("429", retryable=True, retry_after=30), DeliveryError("timeout", retryable=True)]

    def flaky(m: Message) -> DeliveryError | None:
        if rng.random() < 0.02:
            return DeliveryError("401 Unauthorized", retryable=False)
        return rng.choice(outcomes)

    notifiers = {c: Recorder(c, flaky) for c in ("slack", "email", "teams")} | {"folder": Recorder("folder")}
    now, policy = NOW, RetryPolicy(max_attempts=5)
    for step in range(200):
        dispatch(store, notifiers, now, f"d{step % 3}", policy=policy, rng=rng)
        if step % 40 == 39:
            retry_outbox(store, now)  # an admin fixes the broken channels now and then
        now += timedelta(minutes=30)
    rows = [r for r in list_outbox(store) if r.kind != "alert"]
    assert len(rows) == 60
    sent = Counter(m.key for n in notifiers.values() for m in n.sent if m.kind != "alert")
    for row in rows:
        assert row.status in {"sent", "dead", "failed"}
        assert row.status != "sent" or row.last_error == ""
        assert row.status == "sent" or row.last_error  # anything not delivered says why
    assert all(v == 1 for v in sent.values())


def test_an_alert_is_delivered_to_the_folder_when_no_other_channel_is_configured(store: Store, tmp_path: Path) -> None:
    seed(store, [])
    queue_plain(store, 2, "slack", NOW)
    slack = Recorder("slack", lambda m: DeliveryError("401 Unauthorized", retryable=False, status=401))
    report = dispatch(store, {"slack": slack}, NOW, "d", fallback_path=tmp_path / "outbox")
    assert report.broken == {"slack": "401 Unauthorized"} and report.alerts == 1 and report.sent == 1
    [alert] = [r for r in list_outbox(store) if r.kind == "alert"]
    assert (alert.channel, alert.status, alert.recipient_email) == ("folder", "sent", "admin@example.org")
    [text] = [p.read_text() for p in (tmp_path / "outbox").glob("*.txt")]
    assert "ptrack outbox retry --channel slack" in text
    assert Counter(r.status for r in list_outbox(store) if r.channel == "slack") == {"failed": 1, "pending": 1}
