"""Cases whose stored deadlines may be out of date (migration 0007), and the versions they were computed with.

An import (or a void) marks the cases it touched in `stale_cases` in the same transaction as their events, so
a crash, a kill or a full disk between loading and recomputing can never leave a case with new events and old
(or no) deadlines unnoticed. Each mark carries a token; a recompute reads the tokens of its cases before
their events and, in the transaction that writes their deadlines, deletes only the marks whose token it read,
so a mark an import makes meanwhile survives for the next recompute.

`meta.last_ruleset_version` / `last_calendar_version` name the rule set and calendar every case was last
computed with (a recompute of every case writes them); when the active ones differ, every case is stale."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Column, Connection, String, Table, delete, func, select

from ptrack.tracker.store.bulk import conflict_insert
from ptrack.tracker.store.schema import UTCDateTime, metadata
from ptrack.tracker.store.writes import get_meta, set_meta

stale_cases = Table(
    "stale_cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("token", String(32), nullable=False),
    Column("reason", String(200), nullable=False, server_default=""),
    Column("marked_at", UTCDateTime, nullable=False),
)

CHUNK = 1000
RULESET_KEY, CALENDAR_KEY = "last_ruleset_version", "last_calendar_version"
MIXED_KEY = "deadlines_mixed_versions"


def mark(conn: Connection, case_ids: Iterable[str], reason: str, now: datetime) -> int:
    """Mark the cases stale (a new token for each, replacing an older mark). How many were marked."""
    ids = sorted(set(case_ids))
    token = uuid.uuid4().hex
    insert = conflict_insert(conn.dialect.name)
    for start in range(0, len(ids), CHUNK):
        rows = [{"case_id": c, "token": token, "reason": reason[:200], "marked_at": now}
                for c in ids[start:start + CHUNK]]
        stmt = insert(stale_cases)
        conn.execute(stmt.on_conflict_do_update(index_elements=["case_id"], set_={
            "token": stmt.excluded.token, "reason": stmt.excluded.reason, "marked_at": stmt.excluded.marked_at}),
            rows)
    return len(ids)


def tokens(conn: Connection, case_ids: Iterable[str] | None) -> dict[str, str]:
    """The marks of these cases (None: every mark), case id -> token."""
    s = stale_cases.c
    if case_ids is None:
        return {r.case_id: r.token for r in conn.execute(select(s.case_id, s.token))}
    ids = list(case_ids)
    out: dict[str, str] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(s.case_id, s.token).where(s.case_id.in_(ids[start:start + CHUNK]))
        out.update({r.case_id: r.token for r in conn.execute(query)})
    return out


def clear(conn: Connection, read: Mapping[str, str]) -> None:
    """Delete the marks read (case id -> token) that have not been replaced since."""
    s = stale_cases.c
    ids = sorted(read)
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        conn.execute(delete(stale_cases).where(s.case_id.in_(part), s.token.in_({read[c] for c in part})))


def marked(conn: Connection) -> list[str]:
    return [str(r[0]) for r in conn.execute(select(stale_cases.c.case_id).order_by(stale_cases.c.case_id))]


def count_marked(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(stale_cases)).scalar_one())


def reasons(conn: Connection, limit: int = 3) -> list[tuple[str, int]]:
    """The commonest reasons of the marks (e.g. "import events.csv"), with their counts."""
    s = stale_cases.c
    query = (select(s.reason, func.count()).group_by(s.reason).order_by(func.count().desc(), s.reason)
             .limit(limit))
    return [(str(r[0]), int(r[1])) for r in conn.execute(query)]


def computed_with(conn: Connection) -> tuple[str, str] | None:
    """The (rule set, calendar) versions every case was last computed with, or None if never recorded."""
    ruleset, calendar = get_meta(conn, RULESET_KEY), get_meta(conn, CALENDAR_KEY)
    return (ruleset, calendar) if ruleset is not None and calendar is not None else None


def note_partial_recompute(conn: Connection, ruleset_version: str, calendar_version: str) -> None:
    """After a recompute of some cases: the first ever records its versions as every case's (the others have
    nothing to compute yet); one with other versions than every case's (a command run with another config)
    notes that the deadlines now mix versions, so that looking for them (a scan of every deadline) is needed
    until a recompute of every case."""
    found = computed_with(conn)
    if found is None:
        set_meta(conn, {RULESET_KEY: ruleset_version, CALENDAR_KEY: calendar_version})
    elif found != (ruleset_version, calendar_version):
        set_meta(conn, {MIXED_KEY: "1"})


def mixed_versions(conn: Connection) -> bool:
    return get_meta(conn, MIXED_KEY) == "1"


def clear_mixed_versions(conn: Connection) -> None:
    set_meta(conn, {MIXED_KEY: ""})
