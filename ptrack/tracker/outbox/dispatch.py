"""Sending what is due in the outbox: claim, send, record (docs/delivery.md states the guarantee).

Each message is claimed by one dispatcher (a conditional update, see `ptrack.tracker.store.outbox_queries`), sent
through its channel, and its outcome recorded in its own transaction straight after the send. A retryable
failure moves `next_attempt_at` (backoff, or the 429's Retry-After) and rests that channel for the rest of the
pass, so Slack being down delays Slack only; after `max_attempts` the message is `dead` with its last error.
A permanent failure marks the message `failed`, the channel broken, and alerts the admins through another
channel; the channel's messages wait, visible, until `ptrack outbox retry`."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from ptrack.notifiers.base import DeliveryError, Message, Notifier, redact
from ptrack.notifiers.folder import FolderNotifier
from ptrack.tracker.outbox.retry import RetryPolicy
from ptrack.tracker.policy.content import render
from ptrack.tracker.policy.types import digest
from ptrack.tracker.policy.window import local_day
from ptrack.tracker.store import Store
from ptrack.tracker.store import outbox_queries as q
from ptrack.tracker.store import schema as t

BATCH = 50
FALLBACK = "folder"
FALLBACK_PATH = Path("outbox")  # the folder channel's default (ptrack.notifiers.registry.DEFAULT_FOLDER)


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0  # failed, will be tried again later
    failed: int = 0  # permanent failure: kept, waiting for `ptrack outbox retry`
    dead: int = 0  # gave up after max attempts
    released: int = 0  # handed back untouched: their channel rests or broke during this pass
    reclaimed: int = 0  # stale claims of a stopped dispatcher put back
    lost_claims: int = 0
    alerts: int = 0  # admin alerts queued about broken channels
    broken: dict[str, str] = field(default_factory=dict)


def dispatch(
    store: Store,
    notifiers: Mapping[str, Notifier],
    now: datetime,
    worker_id: str,
    *,
    policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
    batch: int = BATCH,
    fallback_path: Path = FALLBACK_PATH,
) -> DispatchReport:
    """Send every message due at `now` on a working channel; return what happened. The folder channel is always
    there, as `fallback_path` when no folder channel is configured, so an admin alert about a broken channel is
    delivered even when every configured channel is broken (or it is the only one)."""
    policy = policy or RetryPolicy()
    notifiers = with_fallback(notifiers, fallback_path)
    run = _Pass(store, notifiers, now.astimezone(UTC), worker_id, policy, rng or random.Random())
    with store.transaction("releasing stale outbox claims") as conn:
        run.report.reclaimed = q.release_stale(conn, run.now, policy.lease)
        run.report.broken = q.broken_channels(conn)
    while True:
        usable = [c for c in notifiers if c not in run.report.broken and c not in run.resting]
        with store.transaction("claiming outbox messages") as conn:
            claimed = q.claim(conn, worker_id, run.now, batch, usable)
        if not claimed:
            return run.report
        for message in claimed:
            run.handle(message)


@dataclass
class _Pass:
    store: Store
    notifiers: Mapping[str, Notifier]
    now: datetime
    worker_id: str
    policy: RetryPolicy
    rng: random.Random
    report: DispatchReport = field(default_factory=DispatchReport)
    resting: set[str] = field(default_factory=set)

    def handle(self, claimed: q.Claimed) -> None:
        if claimed.channel in self.report.broken or claimed.channel in self.resting:
            self._finish(claimed, status="pending", claimed_by="")
            self.report.released += 1
            return
        try:
            receipt = self.notifiers[claimed.channel].send(self.message(claimed))
        except DeliveryError as exc:
            self._failed(claimed, exc)
        except Exception as exc:  # noqa: BLE001 - a notifier bug must not stop the pass; retried like a 5xx
            self._failed(claimed, DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True))
        else:
            if self._finish(claimed, status="sent", sent_at=self.now, receipt=str(receipt)[:1000], last_error=""):
                self.report.sent += 1

    def message(self, claimed: q.Claimed) -> Message:
        payload = claimed.payload
        if claimed.kind in ("alert", "test") or "text" in payload:  # written in full when queued (digest, ...)
            return Message(key=claimed.dedup_key, kind=claimed.kind, recipient_email=claimed.recipient_email,
                           subject=payload.get("subject", "ptrack"), text=payload.get("text", ""),
                           recipient_slack_id=claimed.slack_user_id, html=payload.get("html", ""),
                           team=payload.get("team", ""))
        return render(claimed.dedup_key, claimed.kind, claimed.recipient_email, claimed.cover_for,
                      payload.get("items", []), local_day(self.now), claimed.slack_user_id, payload.get("team", ""))

    def _failed(self, claimed: q.Claimed, exc: DeliveryError) -> None:
        error = redact(exc.reason, ())[:500]
        attempts = claimed.attempts + 1
        if not exc.retryable:
            self._finish(claimed, status="failed", attempts=attempts, last_error=f"permanent: {error}")
            self.report.failed += 1
            self._broken(claimed.channel, error)
        elif attempts >= self.policy.max_attempts:
            self._finish(claimed, status="dead", attempts=attempts,
                         last_error=f"gave up after {attempts} attempts: {error}")
            self.report.dead += 1
        else:
            wait = self.policy.delay(attempts, exc.retry_after, self.rng)
            self._finish(claimed, status="pending", attempts=attempts, next_attempt_at=self.now + wait,
                         claimed_by="", last_error=error)
            self.report.retrying += 1
            self.resting.add(claimed.channel)

    def _finish(self, claimed: q.Claimed, **values: object) -> bool:
        with self.store.transaction("recording a delivery") as conn:
            done = q.finish(conn, claimed, self.now, **values)
        if not done:
            self.report.lost_claims += 1
        return done

    def _broken(self, channel: str, reason: str) -> None:
        self.report.broken[channel] = reason
        with self.store.transaction("marking a channel broken") as conn:
            since = q.mark_broken(conn, channel, reason, self.now)
            if since is None:
                return
            admins = [e.lower() for e in conn.execute(select(t.people.c.email).where(t.people.c.role == "admin"))
                      .scalars()]
            via = alert_via(channel, self.notifiers, self.report.broken)
            rows = [_alert_row(admin, channel, reason, since, via) for admin in admins]
            q.queue(conn, rows, [[] for _ in rows])
        self.report.alerts += len(rows)


def with_fallback(notifiers: Mapping[str, Notifier], path: Path = FALLBACK_PATH) -> Mapping[str, Notifier]:
    """`notifiers`, plus the folder channel at `path` when none is configured."""
    if FALLBACK in notifiers or any(isinstance(n, FolderNotifier) for n in notifiers.values()):
        return notifiers
    return {**notifiers, FALLBACK: FolderNotifier(FALLBACK, path)}


def alert_via(broken: str, notifiers: Mapping[str, Notifier], broken_now: Mapping[str, str]) -> str:
    """A working channel other than `broken` for the admin alert: a folder channel first, then email."""
    working = [name for name in notifiers if name != broken and name not in broken_now]
    folders = [name for name in working if name == FALLBACK or isinstance(notifiers[name], FolderNotifier)]
    if folders:
        return folders[0]
    if "email" in working:
        return "email"
    return working[0] if working else FALLBACK


def _alert_row(admin: str, channel: str, reason: str, since: datetime, via: str) -> dict[str, object]:
    text = (f"ptrack channel {channel!r} failed permanently and is marked broken: {reason}. Its messages are "
            f"kept and wait. Fix the channel (credentials, webhook, address), then run "
            f"`ptrack outbox retry --channel {channel}`.")
    payload = {"subject": f"ptrack: channel {channel} is broken", "text": text}
    return {
        "dedup_key": digest("alert", admin, channel, since.isoformat()), "kind": "alert",
        "recipient_email": admin, "cover_for": "", "channel": via, "owed_on": local_day(since),
        "payload": json.dumps(payload), "reason": "queued", "status": "pending", "attempts": 0,
        "not_before": since, "next_attempt_at": since, "created_at": since, "updated_at": since,
    }
