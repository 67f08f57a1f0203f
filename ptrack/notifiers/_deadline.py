"""A total deadline for one send, not only for each read: a peer that drips one byte every few seconds (an SMTP
banner, HTTP headers) never trips a socket's per-read timeout, so every channel bounds the whole send.

`Watchdog` is for connections ptrack opens itself (SMTP, the HTTP POSTs of Teams and Graph): when the deadline
passes it shuts the tracked sockets down, the blocked read returns at once and the send fails as timed out.
`run_within` is for a client library whose sockets ptrack cannot reach (slack-sdk, msal): the call runs in a
worker thread that the sender stops waiting for at the deadline (the thread ends at its own next read timeout
or when the peer gives up; its late outcome is ignored, the documented at-least-once window)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from ptrack.notifiers.base import DeliveryError

T = TypeVar("T")


class Watchdog:
    """`with Watchdog(seconds) as wd: wd.track(lambda: conn.sock); ...`; `wd.expired` after the block says
    whether the deadline cut the send short."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[Callable[[], socket.socket | None]] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def track(self, get_socket: Callable[[], socket.socket | None]) -> None:
        with self._lock:
            self._sockets.append(get_socket)
            expired = self.expired
        if expired:
            _shut(get_socket())

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            getters = list(self._sockets)
        for get in getters:
            _shut(get())


def _shut(sock: socket.socket | None) -> None:
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed or never connected
        sock.shutdown(socket.SHUT_RDWR)


class Deadline:
    """The total deadline of one send that takes several calls (Slack's user lookup then its post, Graph's token
    then its sendMail): each call gets only what is left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    def left(self, what: str) -> float:
        """Seconds left, or a retryable timed-out `DeliveryError` naming `what` when none are."""
        remaining = self._ends - time.monotonic()
        if remaining <= 0:
            raise timed_out(what, self.seconds)
        return remaining


def run_within(seconds: float, call: Callable[[], T], what: str) -> T:
    """`call()`'s result, or a retryable `DeliveryError` naming `what` when it has not returned in `seconds`."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="ptrack-send", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise timed_out(what, seconds)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def timed_out(what: str, seconds: float) -> DeliveryError:
    return DeliveryError(f"{what}: timed out (no complete answer within {seconds:g} s)", retryable=True)
