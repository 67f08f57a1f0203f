"""`ptrack doctor`: is this installation able to do its job? Config, database, calendar coverage, every
channel's state, stale data, and optionally a test message through every channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ptrack.calendars import WorkingDayCalendar
from ptrack.notifiers.base import DeliveryError, Message, Notifier, redact
from ptrack.tracker.coverage import RuleCoverage
from ptrack.tracker.errors import PtrackError
from ptrack.tracker.outbox.retry import RetryPolicy
from ptrack.tracker.policy.window import local_day
from ptrack.tracker.store import Store
from ptrack.tracker.store import outbox_queries as q
from ptrack.tracker.store.writes import get_meta

STALE_AFTER = timedelta(hours=36)
COVERAGE_AHEAD = timedelta(days=730)
LAST_IMPORT = "last_successful_import_at"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def calendar_check(calendar: WorkingDayCalendar, now: datetime) -> Check:
    until = local_day(now) + COVERAGE_AHEAD
    ok = calendar.covers(local_day(now)) and calendar.covers(until)
    detail = f"covers {calendar.first_year}-{calendar.last_year}"
    return Check("calendar", ok, detail if ok else f"{detail}; must cover {until.isoformat()}: raise "
                 "[calendar] last_year")


def store_checks(store: Store, notifiers: Mapping[str, Notifier], now: datetime) -> list[Check]:
    with store.reading("checking the outbox") as conn:
        states = q.channel_states(conn)
        last = get_meta(conn, LAST_IMPORT)
        counts = q.counts_by_status(conn)
        stuck = q.stale_claims(conn, now, RetryPolicy().lease)
    out = [Check("database", True, f"{store.url} at the newest schema")]
    for name in sorted(set(notifiers) | set(states)):
        state, reason, since = states.get(name, ("ok", "", now))
        configured = name in notifiers
        ok = state == "ok" and configured
        detail = "working" if ok else (f"broken since {since:%Y-%m-%d %H:%M}Z: {reason}; fix it, then run "
                                       f"`ptrack outbox retry --channel {name}`" if state != "ok" else
                                       "has messages but is not configured")
        out.append(Check(f"channel {name}", ok, detail))
    waiting = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"
    out.append(Check("outbox", not counts.get("dead") and not counts.get("failed"), waiting))
    if stuck:
        out.append(Check("outbox claims", False, f"{stuck} message(s) claimed longer than the lease (a dispatcher "
                                                 "stopped mid-send): the next `ptrack remind` or daemon pass sends "
                                                 "them again"))
    out.append(_stale(last, now))
    return out


def _stale(last: str | None, now: datetime) -> Check:
    if last is None:
        return Check("data", False, "no import has succeeded yet: run `ptrack import`")
    when = datetime.fromisoformat(last)
    age = now - when
    ok = age <= STALE_AFTER
    hours = age.total_seconds() / 3600
    return Check("data", ok, f"last successful import {when:%Y-%m-%d %H:%M}Z ({hours:.0f} h ago)"
                 + ("" if ok else "; older than 36 hours: check the nightly import"))


def send_tests(notifiers: Mapping[str, Notifier], recipient: str, now: datetime) -> list[Check]:
    """A test message through every channel, straight to the notifier (not through the outbox)."""
    out = []
    for name, notifier in sorted(notifiers.items()):
        message = Message(key=f"ptrack-doctor-{name}-{now:%Y%m%dT%H%M%S}", kind="test", recipient_email=recipient,
                          subject="ptrack: test message", text="A test message from `ptrack doctor --send-test`.")
        try:
            receipt = notifier.send(message)
        except DeliveryError as exc:
            out.append(Check(f"send-test {name}", False, redact(exc.reason, ())))
        except PtrackError as exc:
            out.append(Check(f"send-test {name}", False, str(exc)))
        else:
            out.append(Check(f"send-test {name}", True, f"delivered ({receipt})"))
    return out


def coverage_check(coverage: Sequence[RuleCoverage]) -> Check:
    """Rules no source supplies evidence for (`ptrack coverage`): their deadlines cannot be judged."""
    untracked = [c for c in coverage if not c.tracked]
    if not untracked:
        return Check("coverage", True, f"all {len(coverage)} active rules have evidence arriving")
    names = ", ".join(f"{c.rule_id} (needs {' or '.join(c.needs)})" for c in untracked)
    return Check("coverage", False, f"{len(untracked)} of {len(coverage)} rules untracked, never reminded or "
                                    f"counted: {names}; import those events, or declare a complete source in "
                                    f"import.complete_sources; see `ptrack coverage`")
