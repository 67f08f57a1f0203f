"""One fact, one event (docs/rules.md, issue 9): the same real-world event from two sources is stored once.

Matching rule: two events are the same fact when they come from different sources and have the same case,
the same kind and the same date (903 and canonical CSV; SSD and canonical CSV). The row stored first holds
the fact; a later source's row is kept as provenance with `same_as` naming it, and timelines never read it,
so counts and `met_on` do not change because a second source arrived. Within one source, two events of one
kind on one day are two facts (two visits on one day). When the row holding a fact is voided, the oldest
remaining provenance row takes its place."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, and_, exists, func, select, update

from ptrack.tracker.store import schema as t


def _other_sources_exist(conn: Connection, source: str) -> bool:
    ev = t.events.c
    for cond in (ev.source < source, ev.source > source):  # two range scans of the (source, event_id) index
        if conn.execute(select(ev.id).where(cond).limit(1)).first() is not None:
            return True
    return False


def link_same_facts(conn: Connection, batch_id: int, source: str) -> int:
    """Point each event this batch wrote for `source` at the earlier row of another source holding the same
    fact (or clear the link when it no longer matches, after a correction). Returns the rows linked."""
    if not _other_sources_exist(conn, source):
        return 0
    ev = t.events
    other = ev.alias("other")
    holder = (
        select(func.min(other.c.id))
        .where(other.c.case_id == ev.c.case_id, other.c.date == ev.c.date, other.c.kind == ev.c.kind,
               other.c.source != ev.c.source, other.c.same_as.is_(None), other.c.voided_at.is_(None),
               other.c.id < ev.c.id)
        .scalar_subquery()
    )
    mine = and_(ev.c.batch_id == batch_id, ev.c.source == source)
    conn.execute(update(ev).where(mine, ev.c.same_as.is_not(None)).values(same_as=None))
    candidates = exists().where(
        other.c.case_id == ev.c.case_id, other.c.date == ev.c.date, other.c.kind == ev.c.kind,
        other.c.source != ev.c.source, other.c.id < ev.c.id)
    conn.execute(update(ev).where(mine, candidates).values(same_as=holder))
    return int(conn.execute(select(func.count()).select_from(ev).where(mine, ev.c.same_as.is_not(None)))
               .scalar_one())


def promote_after_void(conn: Connection, voided_pks: Sequence[int]) -> list[str]:
    """Rows that named a now-voided row as their fact: the oldest of each group holds the fact from now on,
    the others name it. Returns the cases whose timelines changed."""
    ev = t.events
    cases: set[str] = set()
    for pk in voided_pks:
        rows = conn.execute(select(ev.c.id, ev.c.case_id).where(ev.c.same_as == pk, ev.c.voided_at.is_(None))
                            .order_by(ev.c.id)).all()
        if not rows:
            continue
        new_holder = rows[0].id
        conn.execute(update(ev).where(ev.c.id == new_holder).values(same_as=None))
        conn.execute(update(ev).where(ev.c.same_as == pk).values(same_as=new_holder))
        cases.add(rows[0].case_id)
    return sorted(cases)
