"""Deciding and queueing the morning's reminders and escalations for 100,000 children on SQLite (issue 4:
<= 30 s).

Setup (not timed): a fresh SQLite file with 100,000 cases (400 workers, 50 teams) and 8 deadlines each from
the england pack's rules, due dates spread evenly from 120 days before to 120 days after the as-of date, 5 %
of them met: 800,000 deadlines, of which those overdue or due within 10 working days are what the pass works on.
Timed: `tracker.outbox.service.remind(..., notifiers=None)` at 08:00 London on the as-of date: withdraw, read
the open deadlines, decide, deduplicate against the outbox, queue (no sending). Then the same pass again (the
daemon's second run of the day: everything deduplicated, nothing queued).
Baseline, same run: the naive way on a sample of cases: per case, read its deadlines and the case, decide, look
up each dedup key with its own SELECT, insert each message and item with its own statement, commit per case;
extrapolated to all cases and labelled so.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, select

from benchmarks.report import Figure, log, time_figure, timed
from benchmarks.workload import AS_OF, default_setup, extrapolate, sqlite_url
from tracker.config import Config
from tracker.outbox.service import policy_settings, remind, rule_notices
from tracker.policy import decide
from tracker.policy.content import payload_items
from tracker.policy.window import LONDON
from tracker.store import init_database, open_store
from tracker.store import notify_schema as n
from tracker.store import schema as t

TARGET_SECONDS = 30.0
RULES = ("cla_review_subsequent", "visit_year1", "visit_after_year1", "placement_plan", "care_plan",
         "permanence_plan_by_second_review", "reg24_expiry", "needs_assessment_16")


def _load(url: str, children: int) -> None:
    init_database(url)
    engine = create_engine(url)
    rng = random.Random(4)
    now = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            for start in range(0, children, 5000):
                cases, deadlines = [], []
                for i in range(start, min(children, start + 5000)):
                    team, worker = i % 50, i % 400
                    cid = f"C{i:07d}"
                    cases.append({"case_id": cid, "initials": "AB", "team": f"Team {team}",
                                  "worker_email": f"worker{worker}@example.org",
                                  "manager_email": f"manager{team}@example.org",
                                  "iro_email": f"iro{i % 120}@example.org"})
                    for rule in RULES:
                        due = AS_OF + timedelta(days=rng.randint(-120, 120))
                        deadlines.append(_deadline(cid, rule, due, rng.random() < 0.05, now))
                conn.execute(insert(t.cases), cases)
                conn.execute(insert(t.deadlines), deadlines)
    finally:
        engine.dispose()


def _deadline(case_id: str, rule: str, due: Any, met: bool, now: datetime) -> dict[str, Any]:
    return {"case_id": case_id, "key": f"{rule}#1", "rule_id": rule, "obligation": rule, "due": due,
            "last_working_day": due, "anchor_event": "looked_after_start", "anchor_event_id": f"E{case_id}",
            "anchor_date": AS_OF - timedelta(days=400), "source": "bench", "counting": "bench",
            "due_soon_from": due, "met_on": due if met else None, "closed_on": due if met else None,
            "explanation": "{}", "ruleset_version": "b",
            "calendar_version": "b", "computed_at": now, "content_hash": "b"}


def _naive(url: str, case_ids: list[str], config: Config, setup: Any, now: datetime) -> int:
    """Per case: read, decide, one SELECT per dedup key, one INSERT per message and item, commit."""
    engine = create_engine(url)
    rules = rule_notices(setup.ruleset)
    settings = policy_settings(config)
    queued = 0
    try:
        for cid in case_ids:
            with engine.begin() as conn:
                items = _case_items(conn, cid, rules)
                plan = decide(items, [], setup.calendar, settings, now)
                for m in plan.messages:
                    keys = [d.dedup_key for d in m.items]
                    if any(conn.execute(select(n.outbox_items.c.id).where(n.outbox_items.c.dedup_key == k)).first()
                           for k in keys):
                        continue
                    mid = conn.execute(insert(n.outbox_messages).values(
                        dedup_key=m.dedup_key, kind=m.kind.value, recipient_email=m.recipient, channel="folder",
                        owed_on=m.owed_on, payload=json.dumps({"items": payload_items(m.open_items, "")}),
                        reason=m.reason.value, status="pending", not_before=m.not_before,
                        next_attempt_at=m.not_before, created_at=now, updated_at=now)).inserted_primary_key[0]
                    for d in m.items:
                        conn.execute(insert(n.outbox_items).values(
                            dedup_key=d.dedup_key, message_id=mid, person_email=d.person, case_id=d.case_id,
                            deadline_key=d.deadline_key, rule_id=d.rule_id, kind=d.kind.value, stage=d.stage,
                            owed_on=d.owed_on))
                    queued += 1
    finally:
        engine.dispose()
    return queued


def _case_items(conn: Any, case_id: str, rules: Any) -> list[Any]:
    from tracker.policy import OpenItem

    d, c = t.deadlines.c, t.cases.c
    case = conn.execute(select(t.cases).where(c.case_id == case_id)).one()
    out = []
    for r in conn.execute(select(t.deadlines).where(d.case_id == case_id)):
        if r.met_on is not None and r.met_on <= AS_OF or r.rule_id not in rules:
            continue
        rule = rules[r.rule_id]
        out.append(OpenItem(r.case_id, r.key, r.rule_id, rule.title, r.due, case.initials, case.worker_email,
                            case.manager_email, case.iro_email, rule.audience, rule.iro_relevant, team=case.team))
    return out


def run(quick: bool) -> dict[str, Any]:
    children, sample = (5_000, 200) if quick else (100_000, 500)
    setup = default_setup()
    config = Config()
    now = datetime.combine(AS_OF, time(8, 0), tzinfo=LONDON)
    with sqlite_url() as url:
        log(f"setup: {children:,} children, {children * len(RULES):,} deadlines")
        _load(url, children)
        store = open_store(url)
        try:
            log("ptrack: remind (decide + queue)")
            first, first_s = timed(lambda: remind(store, config, setup.ruleset, setup.calendar, now))
            log("ptrack: remind again the same day")
            second, second_s = timed(lambda: remind(store, config, setup.ruleset, setup.calendar,
                                                    now + timedelta(hours=2)))
        finally:
            store.close()
    with sqlite_url() as url:
        _load(url, sample)
        ids = [f"C{i:07d}" for i in range(sample)]
        log(f"baseline: per case on {sample:,} cases")
        naive_queued, naive_s = timed(lambda: _naive(url, ids, config, setup, now))
    full_naive = extrapolate(naive_s, sample, children)
    base = f"naive per-case pass on {sample:,} cases, extrapolated to {children:,}"
    figures: list[Figure] = [
        time_figure("remind: decide and queue, 100,000 children" if not quick else "remind: decide and queue",
                    first_s, full_naive, base, TARGET_SECONDS),
        time_figure("remind again the same day (all deduplicated)", second_s, full_naive, base, TARGET_SECONDS),
    ]
    return {
        "name": "remind",
        "params": {"children": children, "deadlines": children * len(RULES), "as_of": AS_OF.isoformat(),
                   "baseline_sample_cases": sample},
        "figures": figures,
        "checks": {"decisions": dict(first.decisions), "messages": dict(first.messages),
                   "second_pass_messages": sum(second.messages.values()), "naive_messages_sample": naive_queued},
        "notes": [],
    }
