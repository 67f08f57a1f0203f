"""Deciding and queueing the morning's reminders and escalations for 100,000 children on SQLite (issue 4:
<= 30 s), on two caseloads, each against a naive baseline measured in the same run:

- realistic: the synthetic caseload of `ptrack.tracker.synthetic` (the one the recompute benchmark uses: 100,000
  children, ~2.3 million events) loaded and recomputed with the england pack, then the pass at 08:00 on Wednesday
  25 November 2026;
- harsh (a stress figure): 100,000 cases with 8 deadlines each from the england pack's rules, due evenly from
  120 days before to 120 days after the as-of date, 5 % met: about half overdue, each owing a daily nudge, a
  manager escalation and, for IRO-relevant rules, an IRO escalation (~940,000 owed items, all new at once).

Setup (not timed, in a separate process so its memory is not counted): a fresh SQLite file per caseload.
Timed: `ptrack.tracker.outbox.service.remind(..., notifiers=None)` at 08:00 London: withdraw, read the open
deadlines, decide, deduplicate against the outbox, queue (no sending); then the same pass two hours later (the
daemon's second run of the day: everything deduplicated, nothing queued). Wall and CPU seconds, and the peak RSS
of the process during the passes.
Baseline, same run, same database: the naive way on a sample of cases: per case, read its deadlines and the
case, decide, look up each dedup key with its own SELECT, insert each message and item with its own statement,
commit per case; extrapolated to all cases and labelled so.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, select

from benchmarks.bench_recompute_full import _load as load_caseload
from benchmarks.report import Figure, TreePeakRss, cpu_seconds, log, time_figure, timed
from benchmarks.workload import AS_OF, Setup, default_setup, extrapolate, shape, sqlite_url
from ptrack.tracker.config import Config
from ptrack.tracker.outbox.messages import item_fragment, reminder_payload
from ptrack.tracker.outbox.service import policy_settings, remind, rule_notices
from ptrack.tracker.policy import Router
from ptrack.tracker.policy.types import MessageKey
from ptrack.tracker.policy.window import LONDON
from ptrack.tracker.services import recompute
from ptrack.tracker.store import init_database, open_store
from ptrack.tracker.store import notify_schema as n
from ptrack.tracker.store import schema as t

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
            conn.execute(insert(t.computations).values(id=1, ruleset_version="b", calendar_version="b",
                                                       computed_at=now))
            conn.execute(insert(t.rule_texts).values(id=1, obligation="bench", anchor_event="looked_after_start",
                                                     source="bench", counting="bench"))
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
    return {"case_id": case_id, "key": f"{rule}#1", "rule_id": rule, "texts_id": 1, "due": due,
            "last_working_day": due, "anchor_event_id": f"E{case_id}",
            "anchor_date": AS_OF - timedelta(days=400),
            "due_soon_from": due, "met_on": due if met else None, "closed_on": due if met else None,
            "explanation": "{}", "computation_id": 1, "content_hash": 0}


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
                router = Router([], setup.calendar, settings, now)
                groups: dict[Any, list[Any]] = defaultdict(list)
                for d, item, group in router.select(router.route(items), ()).owed:
                    groups[group].append((d, item))
                for (recipient, cover_for, kind, not_before, reason), pairs in groups.items():
                    keys = [d.dedup_key for d, _ in pairs]
                    if any(conn.execute(select(n.outbox_items.c.id).where(n.outbox_items.c.dedup_key == k)).first()
                           for k in keys):
                        continue
                    key = MessageKey(recipient, cover_for, kind, router.today)
                    for k in keys:
                        key.add(k)
                    mid = conn.execute(insert(n.outbox_messages).values(
                        dedup_key=key.hexdigest(), kind=kind.value, recipient_email=recipient, channel="folder",
                        owed_on=router.today, payload=reminder_payload([item_fragment(i, "") for _, i in pairs],
                                                                       "", ""),
                        reason=reason.value, status="pending", not_before=not_before,
                        next_attempt_at=not_before, created_at=now, updated_at=now)).inserted_primary_key[0]
                    for d, _ in pairs:
                        conn.execute(insert(n.outbox_items).values(
                            dedup_key=d.dedup_key, message_id=mid, person_email=d.person, case_id=d.case_id,
                            deadline_key=d.deadline_key, rule_id=d.rule_id, kind=d.kind.value, stage=d.stage,
                            owed_on=d.owed_on))
                    queued += 1
    finally:
        engine.dispose()
    return queued


def _case_items(conn: Any, case_id: str, rules: Any) -> list[Any]:
    from ptrack.tracker.policy import OpenItem

    d, c = t.deadlines.c, t.cases.c
    case = conn.execute(select(t.cases).where(c.case_id == case_id)).one()
    out = []
    for r in conn.execute(select(t.deadlines).where(d.case_id == case_id)):
        if r.closed_on is not None and r.closed_on <= AS_OF or r.anchor_date > AS_OF or r.rule_id not in rules:
            continue
        rule = rules[r.rule_id]
        out.append(OpenItem(r.case_id, r.key, r.rule_id, rule.title, r.due, case.initials, case.worker_email,
                            case.manager_email, case.iro_email, rule.audience, rule.iro_relevant, team=case.team))
    return out


def _realistic(url: str, children: int) -> None:
    """Setup: the synthetic caseload's cases and events, then a full recompute with the england pack."""
    load_caseload(url, shape(children, 19.0))
    setup = default_setup()
    store = open_store(url)
    try:
        recompute(store, setup.ruleset, setup.calendar, AS_OF)
    finally:
        store.close()


def _in_child(target: Callable[[str, int], None], url: str, children: int) -> None:
    loader = multiprocessing.get_context("spawn").Process(target=target, args=(url, children))
    loader.start()
    loader.join()
    if loader.exitcode != 0:
        raise RuntimeError(f"setup failed (exit {loader.exitcode})")


def _scenario(label: str, target: Callable[[str, int], None], children: int, sample: int, setup: Setup
              ) -> tuple[list[Figure], dict[str, Any]]:
    config = Config()
    now = datetime.combine(AS_OF, time(8, 0), tzinfo=LONDON)
    with sqlite_url() as url:
        log(f"{label}: setup, {children:,} children (not timed)")
        _in_child(target, url, children)
        store = open_store(url)
        passes: dict[str, dict[str, Any]] = {}
        try:
            with TreePeakRss() as rss:
                for name, at in (("first", now), ("again", now + timedelta(hours=2))):
                    log(f"{label}: remind ({name})")
                    cpu = cpu_seconds()
                    report, wall = timed(lambda at=at: remind(store, config, setup.ruleset, setup.calendar, at))
                    passes[name] = {"wall_s": round(wall, 2), "cpu_s": round(cpu_seconds() - cpu, 2),
                                    "decisions": dict(report.decisions), "messages": dict(report.messages)}
        finally:
            store.close()
        ids = _first_cases(url, sample)
        log(f"{label}: baseline, per case on {len(ids):,} cases")
        _, naive_sample_s = timed(lambda: _naive(url, ids, config, setup, now))
    naive_s = extrapolate(naive_sample_s, len(ids), children)
    base = f"naive per-case pass on {len(ids):,} cases, extrapolated"
    figures = [
        time_figure(f"{label}: decide and queue, {children:,} children", passes["first"]["wall_s"], naive_s, base,
                    TARGET_SECONDS),
        time_figure(f"{label}: the same pass again (all deduplicated)", passes["again"]["wall_s"], naive_s, base,
                    TARGET_SECONDS),
    ]
    return figures, {**passes, "rss_main_mb": round(rss.peak_mb, 1), "baseline_sample_s": round(naive_sample_s, 2)}


def _first_cases(url: str, n: int) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(t.cases.c.case_id).order_by(t.cases.c.case_id).limit(n)).scalars())
    finally:
        engine.dispose()


def run(quick: bool) -> dict[str, Any]:
    children, sample = (2_000, 100) if quick else (100_000, 500)
    setup = default_setup()
    figures: list[Figure] = []
    checks: dict[str, Any] = {}
    notes: list[str] = []
    for label, target in (("realistic", _realistic), ("harsh", _load)):
        more, checks[label] = _scenario(label, target, children, sample, setup)
        figures += more
        c = checks[label]
        owed = sum(c["first"]["decisions"].values())
        notes.append(f"{label}: {owed:,} decisions, {sum(c['first']['messages'].values()):,} messages; CPU "
                     f"{c['first']['cpu_s']} s first pass, {c['again']['cpu_s']} s again; peak RSS of the passes "
                     f"{c['rss_main_mb']:,.0f} MB")
    return {
        "name": "remind",
        "params": {"children": children, "as_of": AS_OF.isoformat(), "baseline_sample_cases": sample},
        "rss_main_mb": max(c["rss_main_mb"] for c in checks.values()),
        "figures": figures,
        "checks": checks,
        "notes": notes,
    }
