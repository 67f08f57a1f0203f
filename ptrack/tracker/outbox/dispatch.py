"""Sending what is due in the outbox: claim, send, record (docs/delivery.md states the guarantee).

Each message is claimed by one dispatcher (a conditional update, see `ptrack.tracker.store.outbox_queries`), sent
through its channel, and its outcome recorded in its own transaction straight after the send. Every send has a
total deadline (the channel's `timeout`), so a stuck peer costs one timeout, never the pass; and the channels of
a batch send side by side (one thread per channel, each channel's messages in order), so a stuck channel never
holds up another channel's messages. Recording an outcome is serialised (one lock per pass).

- A retryable failure moves `next_attempt_at` (backoff, or the 429's Retry-After) and rests that channel for
  the rest of the pass, so Slack being down delays Slack only; after `max_attempts` the message is `dead`.
- A fault of the recipient or of that one message (an unknown Slack user, an SMTP 550, a card the webhook
  refuses: `DeliveryError.recipient`) fails that message only: it goes on, in the same pass, through the
  person's next reachable channel (email, then the folder: `ptrack.notifiers.registry.fallback_for`), and the
  admins are told who and why (once a day per person and channel). The channel stays healthy.
- Any other permanent failure (bad token, 401/403/404) marks the message `failed`, the channel broken, and
  alerts the admins through another channel; the channel's messages wait, visible, until `ptrack outbox retry`.
- A pass that stops on an unexpected error hands its untouched claims back; a claim older than the lease (a
  dispatcher killed mid-send) is put back at the start of the next pass."""

from __future__ import annotations

import contextlib
import random
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, select

from ptrack.calendars import WorkingDayCalendar
from ptrack.notifiers.base import DeliveryError, Notifier, redact
from ptrack.notifiers.registry import DEFAULT_FOLDER, alert_via, fallback_for, with_fallback
from ptrack.tracker.outbox.messages import message_for, outbox_row, text_payload
from ptrack.tracker.outbox.retry import RetryPolicy
from ptrack.tracker.policy.types import digest
from ptrack.tracker.policy.window import local_day
from ptrack.tracker.store import Store
from ptrack.tracker.store import message_queries as mq
from ptrack.tracker.store import outbox_queries as q
from ptrack.tracker.store import schema as t

BATCH = 50
FALLBACK_PATH = Path(DEFAULT_FOLDER)


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0  # failed, will be tried again later
    failed: int = 0  # permanent failure: kept, waiting for `ptrack outbox retry`
    dead: int = 0  # gave up after max attempts
    released: int = 0  # handed back untouched: their channel rests or broke during this pass
    reclaimed: int = 0  # stale claims of a stopped dispatcher put back
    lost_claims: int = 0
    alerts: int = 0  # admin alerts queued (broken channels, refused recipients)
    rerouted: int = 0  # refused for their recipient: sent on through the person's next channel
    broken: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # person -> why their message was refused


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
    calendar: WorkingDayCalendar | None = None,
) -> DispatchReport:
    """Send every message due at `now` on a working channel; return what happened. The folder channel is always
    there, as `fallback_path` when no folder channel is configured, so an admin alert is delivered even when
    every configured channel is broken. `calendar` gives reminders their working days left."""
    policy = policy or RetryPolicy()
    notifiers = with_fallback(notifiers, fallback_path)
    run = _Pass(store, notifiers, now.astimezone(UTC), worker_id, policy, rng or random.Random(), calendar)
    with store.transaction("releasing stale outbox claims") as conn:
        run.report.reclaimed = q.release_stale(conn, run.now, policy.lease)
        run.report.broken = q.broken_channels(conn)
    while True:
        usable = [c for c in notifiers if c not in run.report.broken and c not in run.resting]
        with store.transaction("claiming outbox messages") as conn:
            claimed = q.claim(conn, worker_id, run.now, batch, usable)
        if not claimed:
            return run.report
        run.handle_all(claimed)


@dataclass
class _Pass:
    store: Store
    notifiers: Mapping[str, Notifier]
    now: datetime
    worker_id: str
    policy: RetryPolicy
    rng: random.Random
    calendar: WorkingDayCalendar | None
    report: DispatchReport = field(default_factory=DispatchReport)
    resting: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)  # held while an outcome is recorded

    def handle_all(self, claimed: list[q.Claimed]) -> None:
        """Handle the claimed messages, each channel's in order in its own thread, the channels side by side."""
        by_channel: dict[str, list[q.Claimed]] = {}
        for message in claimed:
            by_channel.setdefault(message.channel, []).append(message)
        if len(by_channel) == 1:
            self.handle_channel(claimed)
            return
        with ThreadPoolExecutor(max_workers=len(by_channel), thread_name_prefix="ptrack-dispatch") as pool:
            running = [pool.submit(self.handle_channel, messages) for messages in by_channel.values()]
        for done in running:
            done.result()  # an unexpected error of any channel stops the pass, after the others finished

    def handle_channel(self, claimed: list[q.Claimed]) -> None:
        """Handle each claimed message; if the pass stops on an unexpected error, hand the rest back."""
        for n, message in enumerate(claimed):
            try:
                self.handle(message)
            except BaseException:
                with contextlib.suppress(Exception), self.lock:  # the database may be what failed: the lease
                    for rest in claimed[n:]:  # covers it
                        self._finish(rest, status="pending", claimed_by="")
                raise

    def handle(self, claimed: q.Claimed) -> None:
        with self.lock:
            if claimed.channel in self.report.broken or claimed.channel in self.resting:
                self._finish(claimed, status="pending", claimed_by="")
                self.report.released += 1
                return
        notifier = self.notifiers[claimed.channel]
        try:
            receipt = notifier.send(message_for(claimed, local_day(self.now), self.calendar))
        except DeliveryError as exc:
            with self.lock:
                self._failed(claimed, exc, notifier)
        except Exception as exc:  # noqa: BLE001 - a notifier bug must not stop the pass; retried like a 5xx
            with self.lock:
                self._failed(claimed, DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True), notifier)
        else:
            with self.lock:
                if self._finish(claimed, status="sent", sent_at=self.now, receipt=str(receipt)[:1000],
                                last_error=""):
                    self.report.sent += 1

    def _failed(self, claimed: q.Claimed, exc: DeliveryError, notifier: Notifier) -> None:
        error = redact(exc.reason, getattr(notifier, "secrets", ()))[:500]
        attempts = claimed.attempts + 1
        if not exc.retryable and exc.recipient:
            self._refused(claimed, error, attempts)
        elif not exc.retryable:
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

    def _refused(self, claimed: q.Claimed, error: str, attempts: int) -> None:
        """This recipient (or this message) was refused: on to the person's next channel, the admins told."""
        person, channel = claimed.recipient_email, claimed.channel
        to = fallback_for(channel, self.notifiers, {*self.report.broken, *self.resting})
        if to is None:
            self._finish(claimed, status="failed", attempts=attempts,
                         last_error=f"refused for {person} on {channel}: {error}; no other channel reaches them")
            self.report.failed += 1
        else:
            self._finish(claimed, status="pending", channel=to, reason="rerouted", claimed_by="",
                         next_attempt_at=self.now, attempts=attempts,
                         last_error=f"refused for {person} on {channel}: {error}; sent on through {to}")
            self.report.rerouted += 1
        self.report.refused[person] = f"{channel}: {error}"
        text = (f"ptrack could not deliver a {claimed.kind} message to {person} through {channel}: {error}. "
                + (f"It was sent through {to} instead. " if to else
                   "No other channel reaches them: the message is kept as failed. ")
                + f"The {channel} channel works and stays in use for everyone else. Check this person's "
                  f"details in people.csv (email, slack_user_id, channel) and import it again"
                + ("" if to else f"; then run `ptrack outbox retry --channel {channel}`") + ".")
        key = digest("recipient_alert", person, channel, local_day(self.now).isoformat())
        self._alert(channel, f"ptrack: could not reach {person} on {channel}", text, key)

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
        text = (f"ptrack channel {channel!r} failed permanently and is marked broken: {reason}. Its messages are "
                f"kept and wait. Fix the channel (credentials, webhook, address), then run "
                f"`ptrack outbox retry --channel {channel}`.")
        # One alert per breakage: a channel retried and broken again at the same instant is a new breakage.
        self._alert(channel, f"ptrack: channel {channel} is broken", text, uuid.uuid4().hex)

    def _alert(self, about: str, subject: str, text: str, key: str) -> None:
        """Queue `text` to every admin through a working channel other than `about` (once per key and admin)."""
        via = alert_via(about, self.notifiers, {*self.report.broken, *self.resting})
        with self.store.transaction("queueing an admin alert") as conn:
            rows = [outbox_row(dedup_key=digest("alert", admin, key), kind="alert", recipient=admin, channel=via,
                               owed_on=local_day(self.now), payload=text_payload(subject, text), reason="queued",
                               not_before=self.now, now=self.now) for admin in _admins(conn)]
            told = mq.existing_message_keys(conn, [r["dedup_key"] for r in rows])
            rows = [r for r in rows if r["dedup_key"] not in told]
            q.queue(conn, rows, [[] for _ in rows])
        self.report.alerts += len(rows)


def _admins(conn: Connection) -> list[str]:
    return sorted({e.lower() for e in conn.execute(select(t.people.c.email).where(t.people.c.role == "admin"))
                   .scalars()})
