"""Shared pieces of the outbox tests: a seeded store, a recording notifier, messages queued directly."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from ptrack.notifiers.base import DeliveryError, Message
from ptrack.tracker.model import Case, Deadline, Person, Status
from ptrack.tracker.store import Store
from ptrack.tracker.store import outbox_queries as q
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.rows import deadline_row
from ptrack.tracker.store.writes import upsert_cases, upsert_people

LONDON = ZoneInfo("Europe/London")
FULL_NAMES = ("Jane Worker", "Mark Manager", "Iris Reviewer", "Cora Cover", "Ada Admin")


def at(day: str, clock: str = "08:00") -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=LONDON)


class Recorder:
    """A test double of the Notifier interface: records what it is given, or fails as told."""

    def __init__(self, name: str, fail: Callable[[Message], DeliveryError | None] | None = None) -> None:
        self.name = name
        self.fail = fail
        self.sent: list[Message] = []
        self._lock = threading.Lock()

    def send(self, message: Message) -> str:
        error = self.fail(message) if self.fail else None
        if error is not None:
            raise error
        with self._lock:
            self.sent.append(message)
        return f"{self.name}:{len(self.sent)}"


def deadline(case_id: str, rule_id: str, due: str, **kw: object) -> Deadline:
    d = date.fromisoformat(due)
    values: dict[str, object] = dict(
        key=f"{rule_id}#1", case_id=case_id, rule_id=rule_id, obligation=rule_id, due=d, last_working_day=d,
        status=Status.UPCOMING, anchor_event="looked_after_start", anchor_event_id=f"E-{case_id}",
        anchor_date=date(2026, 1, 5), source="test", counting="test", due_soon_from=d)
    values.update(kw)
    return Deadline(**values)  # type: ignore[arg-type]


def seed(store: Store, deadlines: list[Deadline], cases: int = 3) -> None:
    people = [
        Person("worker@example.org", FULL_NAMES[0], "worker", "CiC 1", channel=""),
        Person("manager@example.org", FULL_NAMES[1], "manager", "CiC 1"),
        Person("iro@example.org", FULL_NAMES[2], "iro", ""),
        Person("cover@example.org", FULL_NAMES[3], "worker", "CiC 1"),
        Person("admin@example.org", FULL_NAMES[4], "admin", ""),
    ]
    with store.transaction() as conn:
        upsert_cases(conn, [Case(f"C{i}", "AB", date(2015, 1, 1), "CiC 1", "worker@example.org",
                                 "manager@example.org", "iro@example.org") for i in range(1, cases + 1)])
        upsert_people(conn, people)
        put_deadlines(conn, deadlines)
        supply_every_kind(conn)


def supply_every_kind(conn: object) -> None:
    """Deadlines seeded without their events: record that the canonical feed supplies every event kind, so no
    rule is untracked (`ptrack coverage`) and the policy judges them all."""
    from sqlalchemy import Connection

    from ptrack.tracker.model import EVENT_KINDS
    from ptrack.tracker.store.coverage_queries import record_supply

    assert isinstance(conn, Connection)
    record_supply(conn, "csv", dict.fromkeys(EVENT_KINDS, date(2026, 1, 5)), datetime(2026, 1, 5, tzinfo=UTC))


def put_deadlines(conn: object, deadlines: list[Deadline]) -> None:
    from sqlalchemy import Connection, delete

    from ptrack.tracker.store.deadlines import insert_deadlines

    assert isinstance(conn, Connection)
    now = datetime.now(UTC)
    for d in deadlines:
        conn.execute(delete(t.deadlines).where(t.deadlines.c.case_id == d.case_id, t.deadlines.c.key == d.key))
        insert_deadlines(conn, [deadline_row(d)], {"ruleset_version": "t", "calendar_version": "t"}, now)


def queue_plain(store: Store, count: int, channel: str, now: datetime, kind: str = "overdue") -> None:
    """`count` one-item messages on `channel`, due now (for the claiming and retry tests)."""
    rows = []
    for i in range(count):
        payload = {"items": [{"case_id": f"C{i}", "key": "k", "initials": "AB", "rule_id": "r",
                              "rule_title": "Rule", "due": "2026-11-20", "link": ""}]}
        rows.append({"dedup_key": f"{channel}-{i}", "kind": kind, "recipient_email": f"w{i}@example.org",
                     "cover_for": "", "channel": channel, "owed_on": now.date(), "payload": json.dumps(payload),
                     "reason": "queued", "status": "pending", "attempts": 0, "not_before": now,
                     "next_attempt_at": now, "created_at": now, "updated_at": now})
    with store.transaction() as conn:
        q.queue(conn, rows, [[] for _ in rows])
