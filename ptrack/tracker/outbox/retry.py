"""Retry timing: exponential backoff with jitter, capped, and a 429's Retry-After honoured (never a sleep:
the message's `next_attempt_at` moves and the dispatcher goes on with other work)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 60.0
    cap_seconds: float = 3600.0
    max_attempts: int = 8  # then the message is dead, with its last error, until `ptrack outbox retry`
    jitter: float = 0.25  # the delay is scaled by a random factor in [1 - jitter, 1]
    retry_after_cap_seconds: float = 6 * 3600.0
    lease_seconds: float = 300.0  # a claim older than this belongs to a dispatcher that died

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> timedelta:
        """How long to wait after the `attempts`-th failed attempt (1-based)."""
        if retry_after is not None and retry_after > 0:
            return timedelta(seconds=min(retry_after, self.retry_after_cap_seconds))
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=backoff * (1 - self.jitter * rng.random()))

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)
