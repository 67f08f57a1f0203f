"""The IRO dispute use cases the CLI and the daemon call: open, advance (skipping stages is a recorded bypass),
resolve, flag a Cafcass referral, list with RAG, the annual report, and `prompt_overdue_disputes`, which tells
the IRO when a stage's SLA has passed. ptrack never advances a dispute itself: the IRO decides.

Opening, advancing and resolving also record the events `dispute_raised`, `dispute_stage_started` and
`dispute_resolved` for the case (source `ptrack-disputes`) and recompute it, so the rule engine's
`iro_dispute_stage` and `iro_dispute_total` deadlines appear in `ptrack deadlines` beside the rest.

The issue text is free text about a child: it is stored, shown to the IRO at the terminal (`dispute show`),
and never put in a message, which carries the case reference, initials, dispute id, stage and days only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, select

from ptrack.calendars import WorkingDayCalendar
from ptrack.notifiers.base import Notifier
from ptrack.tracker import services
from ptrack.tracker.config import Config
from ptrack.tracker.disputes.ladder import (
    AnnualReport,
    Dispute,
    DisputeError,
    Ladder,
    Standing,
    annual_report,
    bypassed_stages,
    report_period,
)
from ptrack.tracker.model import Event
from ptrack.tracker.outbox.dispatch import DispatchReport, dispatch
from ptrack.tracker.outbox.prerendered import Prerendered, channel_for, message_row
from ptrack.tracker.policy import Window, local_day
from ptrack.tracker.policy.types import digest
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import dispute_queries as dq
from ptrack.tracker.store import message_queries as mq
from ptrack.tracker.store import outbox_queries as oq
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.notify_queries import contacts
from ptrack.tracker.store.writes import apply_events

EVENT_SOURCE = "ptrack-disputes"


@dataclass(frozen=True)
class Ctx:
    """What every dispute command works with; `now` is the instant recorded, `on` the day the step is dated."""

    store: Store
    config: Config
    ruleset: RuleSet
    calendar: WorkingDayCalendar
    on: date
    now: datetime

    @property
    def ladder(self) -> Ladder:
        return Ladder(self.config.disputes, self.calendar)


def open_dispute(ctx: Ctx, case_id: str, issue: str, stage: int = 1) -> Standing:
    """Raise a dispute on a case at `stage` (a later stage bypasses the ones before it, recorded)."""
    ladder = ctx.ladder
    ladder.stage(stage)
    if not issue.strip():
        raise DisputeError("--issue must say what the dispute is about")
    with ctx.store.transaction("opening a dispute") as conn:
        case = conn.execute(select(t.cases.c.iro_email).where(t.cases.c.case_id == case_id)).first()
        if case is None:
            raise DisputeError(f"case {case_id!r} is not in the database: import it with cases.csv first")
        existing = dq.open_dispute_of(conn, case_id)
        if existing is not None:
            raise DisputeError(f"case {case_id} already has open dispute {existing}: advance or resolve it "
                               f"(`ptrack dispute advance {existing}`)")
        dispute_id = dq.insert_dispute(conn, case_id=case_id, issue=issue.strip(), iro_email=case.iro_email,
                                       stage=stage, on=ctx.on, now=ctx.now)
        dq.add_step(conn, dispute_id, "opened", ctx.on, ctx.now, to_stage=stage, bypassed=range(1, stage))
        _record_event(conn, ctx, case_id, f"dispute-{dispute_id}-raised", "dispute_raised")
    return _after(ctx, dispute_id, case_id)


def advance(ctx: Ctx, dispute_id: int, to_stage: int | None = None, note: str = "") -> Standing:
    """Move an open dispute to the next stage, or to `to_stage` (skipping stages: a recorded bypass)."""
    ladder = ctx.ladder
    with ctx.store.transaction("advancing a dispute") as conn:
        d = _open(conn, dispute_id, ctx.on)
        target = d.stage + 1 if to_stage is None else to_stage
        if target <= d.stage:
            raise DisputeError(f"dispute {dispute_id} is at stage {d.stage}; --to-stage must be later")
        if to_stage is None and target > len(ladder.stages):
            raise DisputeError(f"dispute {dispute_id} is at the last stage ({ladder.stage(d.stage).name}): "
                               f"resolve it (`ptrack dispute resolve {dispute_id}`) or flag a Cafcass referral")
        ladder.stage(target)
        skipped = bypassed_stages(d.stage, target)
        dq.update_dispute(conn, dispute_id, ctx.now, stage=target, stage_started_on=ctx.on)
        dq.add_step(conn, dispute_id, "advanced", ctx.on, ctx.now, from_stage=d.stage, to_stage=target,
                    bypassed=skipped, note=note)
        mq.withdraw_messages(conn, [prompt_key(dispute_id, d.stage)], "stage_answered", ctx.now)
        _record_event(conn, ctx, d.case_id, f"dispute-{dispute_id}-stage-{target}", "dispute_stage_started")
    return _after(ctx, dispute_id, d.case_id)


def resolve(ctx: Ctx, dispute_id: int, outcome: str = "") -> Standing:
    with ctx.store.transaction("resolving a dispute") as conn:
        d = _open(conn, dispute_id, ctx.on)
        dq.update_dispute(conn, dispute_id, ctx.now, status="resolved", resolved_on=ctx.on, outcome=outcome)
        dq.add_step(conn, dispute_id, "resolved", ctx.on, ctx.now, from_stage=d.stage, note=outcome)
        mq.withdraw_messages(conn, [prompt_key(dispute_id, d.stage)], "dispute_resolved", ctx.now)
        _record_event(conn, ctx, d.case_id, f"dispute-{dispute_id}-resolved", "dispute_resolved")
    return _after(ctx, dispute_id, d.case_id)


def cafcass(ctx: Ctx, dispute_id: int, note: str = "") -> Standing:
    """Flag a referral to Cafcass (possible at any point, open or resolved); flagging twice is refused."""
    with ctx.store.transaction("flagging a Cafcass referral") as conn:
        d = dq.get_dispute(conn, dispute_id, for_update=True)
        if d.cafcass_referred_on is not None:
            raise DisputeError(f"dispute {dispute_id} was already flagged for Cafcass on "
                               f"{d.cafcass_referred_on.isoformat()}")
        dq.update_dispute(conn, dispute_id, ctx.now, cafcass_referred_on=ctx.on)
        dq.add_step(conn, dispute_id, "cafcass", ctx.on, ctx.now, from_stage=d.stage, note=note)
    return standing(ctx.store, ctx.ladder, dispute_id, ctx.on)


def standing(store: Store, ladder: Ladder, dispute_id: int, as_of: date) -> Standing:
    with store.reading("reading a dispute") as conn:
        return ladder.standing(dq.get_dispute(conn, dispute_id), as_of)


def list_disputes(store: Store, ladder: Ladder, as_of: date, status: str | None = "open") -> list[Standing]:
    """Disputes with their RAG on `as_of`, oldest first; `status` open, resolved or None (all)."""
    with store.reading("listing disputes") as conn:
        return [ladder.standing(d, as_of) for d in dq.list_disputes(conn, status)]


@dataclass(frozen=True)
class DisputeDetail:
    standing: Standing
    issue: str
    steps: list[dict[str, object]]


def show(store: Store, ladder: Ladder, dispute_id: int, as_of: date) -> DisputeDetail:
    """One dispute with its issue text and every step (for the IRO at the terminal, never for messages)."""
    with store.reading("reading a dispute") as conn:
        d = dq.get_dispute(conn, dispute_id)
        return DisputeDetail(ladder.standing(d, as_of), dq.issue_of(conn, dispute_id), dq.steps_of(conn, d.id))


def yearly_report(store: Store, ladder: Ladder, year: int, financial: bool = False) -> AnnualReport:
    start, end = report_period(year, financial)
    with store.reading("reading disputes for the annual report") as conn:
        return annual_report(dq.list_disputes(conn, None, overlapping=(start, end)), ladder, start, end)


# -- prompting the IRO ------------------------------------------------------------------------------------------


@dataclass
class PromptReport:
    today: date
    queued: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # why an overdue stage got no new prompt
    dispatched: DispatchReport | None = None


def prompt_key(dispute_id: int, stage: int) -> str:
    return digest("dispute_prompt", str(dispute_id), str(stage))


def prompt_overdue_disputes(store: Store, config: Config, calendar: WorkingDayCalendar, now: datetime,
                            notifiers: Mapping[str, Notifier] | None = None, worker_id: str = "disputes",
                            dry_run: bool = False) -> PromptReport:
    """Queue one prompt to the IRO for each open dispute whose current stage is past its SLA (once per dispute
    and stage: the dedup key), then dispatch if `notifiers` are given. Nothing is advanced. `dry_run`: count
    what would be queued, write and send nothing."""
    today = local_day(now)
    ladder = Ladder(config.disputes, calendar)
    report = PromptReport(today)
    window = Window.parse(config.notify.window)
    with store.transaction("prompting IROs about overdue dispute stages") as conn:
        overdue = [s for s in (ladder.standing(d, today) for d in dq.list_disputes(conn, "open"))
                   if today > s.stage_due]
        existing = mq.existing_message_keys(conn, [prompt_key(s.dispute.id, s.dispute.stage) for s in overdue])
        people = contacts(conn)
        cases = _case_facts(conn, [s.dispute.case_id for s in overdue])
        rows = []
        for s in overdue:
            d = s.dispute
            case = cases.get(d.case_id, CaseFacts())
            recipient = d.iro_email or case.iro
            if prompt_key(d.id, d.stage) in existing:
                report.skipped["already_prompted"] += 1
                continue
            if not recipient:
                report.skipped["no_iro_recorded"] += 1
                continue
            message = prompt_message(s, case, recipient, today, ladder, config)
            rows.append(message_row(message, channel_for(config, people, recipient, case.team), calendar, window,
                                    now))
            if not dry_run:
                dq.add_step(conn, d.id, "prompted", today, now, to_stage=d.stage)
        if not dry_run:
            oq.queue(conn, rows, [[] for _ in rows])
        report.queued = len(rows)
    if notifiers and rows and not dry_run:
        report.dispatched = dispatch(store, notifiers, now, worker_id, calendar=calendar)
    return report


def prompt_message(s: Standing, case: CaseFacts, recipient: str, today: date, ladder: Ladder,
                   config: Config) -> Prerendered:
    """What the IRO is told: case reference, initials, the allocated worker, dispute id, stage, days; what to
    decide (only the steps still open: no Cafcass referral once one is flagged, no escalation past the last
    stage) and how to record it without server access (the configured reply address; the case link). Never the
    issue text."""
    d = s.dispute
    late = -s.stage_working_days_left
    choices = _choices(d, ladder)
    subject = f"ptrack: IRO dispute {d.id} ({d.case_id}) stage {d.stage} is past its SLA"
    lines = [
        f"Dispute {d.id} on case {d.case_id} ({case.initials}) is at stage {d.stage} ({s.stage_name}). The stage's "
        f"{s.stage_sla}-working-day SLA ended {s.stage_due:%a %d %b %Y}: {late} working "
        f"day{'s' if late != 1 else ''} without an answer. Allocated worker: {case.worker or '(none recorded)'}.",
        f"{s.working_days_elapsed} of {ladder.total} working days used; the whole process is due by "
        f"{s.total_due:%a %d %b %Y}.",
        "ptrack never advances a dispute by itself. Decide: " + "; or ".join(c for c, _, _ in choices) + ".",
        _how_to_record(d, choices, config),
    ]
    link = config.link_for(d.case_id)
    links = ((f"Open case {d.case_id}", link),) if link else ()
    return Prerendered(prompt_key(d.id, d.stage), "dispute_prompt", recipient, today, subject, "\n\n".join(lines),
                       team=case.team, council=config.local_authority, links=links)


def _choices(d: Dispute, ladder: Ladder) -> list[tuple[str, str, str]]:
    """(what to decide, the word to reply with, the command that records it): only the steps still open."""
    out = []
    if d.stage < len(ladder.stages):
        out.append((f"escalate to stage {d.stage + 1} ({ladder.stage(d.stage + 1).name})", "escalate", "advance"))
    out.append(("resolve it (the issue is settled)", "resolve", "resolve"))
    if d.cafcass_referred_on is None:
        out.append(("refer the case to Cafcass", "Cafcass", "cafcass"))
    return out


def _how_to_record(d: Dispute, choices: list[tuple[str, str, str]], config: Config) -> str:
    words = ", ".join(f'"{word}"' for _, word, _ in choices)
    if config.disputes.reply_to:
        return (f"To record your decision, reply to {config.disputes.reply_to} with \"dispute {d.id}:\" and one of "
                f"{words}; it is recorded for you (no server access needed).")
    commands = "|".join(command for _, _, command in choices)
    return (f"To record your decision, tell your ptrack administrator \"dispute {d.id}:\" and one of {words}; "
            f"they record it (`ptrack dispute {commands} {d.id}`).")


# -- helpers ----------------------------------------------------------------------------------------------------


def _open(conn: Connection, dispute_id: int, on: date) -> Dispute:
    d = dq.get_dispute(conn, dispute_id, for_update=True)
    if not d.is_open:
        raise DisputeError(f"dispute {dispute_id} was resolved on {d.resolved_on}; open a new one if needed")
    if on < d.stage_started_on:
        raise DisputeError(f"dispute {dispute_id}'s stage {d.stage} started {d.stage_started_on.isoformat()}, "
                           f"after {on.isoformat()}: check --as-of")
    return d


def _record_event(conn: Connection, ctx: Ctx, case_id: str, event_id: str, kind: str) -> None:
    apply_events(conn, EVENT_SOURCE, [Event(event_id, case_id, kind, ctx.on)], None, ctx.now)


def _after(ctx: Ctx, dispute_id: int, case_id: str) -> Standing:
    """Recompute the case (its iro_dispute_* deadlines) and say where the dispute now stands."""
    services.recompute(ctx.store, ctx.ruleset, ctx.calendar, ctx.on, [case_id])
    return standing(ctx.store, ctx.ladder, dispute_id, ctx.on)


@dataclass(frozen=True)
class CaseFacts:
    initials: str = ""
    team: str = ""
    iro: str = ""
    worker: str = ""


def _case_facts(conn: Connection, case_ids: list[str]) -> dict[str, CaseFacts]:
    c = t.cases.c
    out: dict[str, CaseFacts] = {}
    ids = sorted(set(case_ids))
    for i in range(0, len(ids), 900):
        stmt = select(c.case_id, c.initials, c.team, c.iro_email, c.worker_email).where(c.case_id.in_(ids[i:i + 900]))
        for r in conn.execute(stmt):
            out[r.case_id] = CaseFacts(r.initials, r.team, r.iro_email, r.worker_email)
    return out
