"""What each case's stored deadlines were computed from (`case_inputs`): a digest of the engine's inputs and the
number of deadlines they gave. A recompute skips a case whose digest has not changed; the digest is made by the
caller (services: events, date of birth, rule set, calendar and engine code), so the store never imports the rules.
Whatever replaces a case's deadlines other than a recompute must forget the case here (`forget_inputs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, delete, func, select

from ptrack.tracker.store import schema as t
from ptrack.tracker.store.bulk import bulk_insert

_CHUNK = 900  # ids per IN (...), under SQLite's bound-parameter limit


def stored_inputs(conn: Connection, case_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    """case id -> (inputs digest, deadlines) for the cases that have one."""
    c = t.case_inputs.c
    out: dict[str, tuple[str, int]] = {}
    for i in range(0, len(case_ids), _CHUNK):
        query = select(c.case_id, c.inputs_hash, c.deadlines).where(c.case_id.in_(case_ids[i:i + _CHUNK]))
        for case_id, digest, count in conn.execute(query):
            out[case_id] = (digest, count)
    return out


def deadline_counts(conn: Connection, case_ids: Sequence[str]) -> dict[str, int]:
    """case id -> how many deadlines are stored for it now (cases with none are absent)."""
    c = t.deadlines.c
    out: dict[str, int] = {}
    for i in range(0, len(case_ids), _CHUNK):
        query = select(c.case_id, func.count()).where(c.case_id.in_(case_ids[i:i + _CHUNK])).group_by(c.case_id)
        out.update({case_id: int(n) for case_id, n in conn.execute(query)})
    return out


def record_inputs(conn: Connection, digests: Mapping[str, str], deadlines: Mapping[str, int]) -> None:
    """Record (replace) the digest and deadline count of each case in `digests`, in the caller's transaction."""
    ids = list(digests)
    forget_inputs(conn, ids)
    bulk_insert(conn, t.case_inputs, [
        {"case_id": case_id, "inputs_hash": digests[case_id], "deadlines": deadlines.get(case_id, 0)}
        for case_id in ids
    ])


def forget_inputs(conn: Connection, case_ids: Sequence[str] | None = None) -> None:
    """Forget the digests of `case_ids` (None: every case): their next recompute computes them in full."""
    if case_ids is None:
        conn.execute(delete(t.case_inputs))
        return
    for i in range(0, len(case_ids), _CHUNK):
        conn.execute(delete(t.case_inputs).where(t.case_inputs.c.case_id.in_(case_ids[i:i + _CHUNK])))
