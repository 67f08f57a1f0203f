"""The dispute ladder against a real database (SQLite and PostgreSQL): steps, bypass and Cafcass recorded, the
engine's iro_dispute_* deadlines recomputed from the events the ladder records, and the IRO prompted once per
stage whose SLA has passed, with no issue text in the message."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker import services
from ptrack.tracker.config import Config
from ptrack.tracker.disputes import service as svc
from ptrack.tracker.disputes.ladder import DisputeError, Ladder, Rag
from ptrack.tracker.model import Case, Status
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import dispute_queries as dq
from ptrack.tracker.store import notify_schema as n
from ptrack.tracker.store.writes import upsert_cases
from tests.outbox.outbox_helpers import Recorder, at

ISSUE = "Sensitive narrative about Child Jones that must never leave the database"


@pytest.fixture
def seeded(store: Store) -> Store:
    with store.transaction() as conn:
        upsert_cases(conn, [Case("C1", "AJ", date(2015, 1, 1), "CiC 1", "worker@example.org",
                                 "manager@example.org", "iro@example.org"),
                            Case("C2", "BK", date(2016, 1, 1), "CiC 1", "worker@example.org", "", "")])
    return store


def ctx(store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, on: str) -> svc.Ctx:
    return svc.Ctx(store, Config(), ruleset, calendar, date.fromisoformat(on), datetime(2026, 11, 25, tzinfo=UTC))


def test_open_advance_with_bypass_cafcass_resolve(seeded: Store, ruleset: RuleSet,
                                                  calendar: WorkingDayCalendar) -> None:
    opened = svc.open_dispute(ctx(seeded, ruleset, calendar, "2026-11-02"), "C1", ISSUE)
    did = opened.dispute.id
    assert (opened.stage_name, opened.stage_due, opened.total_due) == ("Team manager", date(2026, 11, 9),
                                                                      date(2026, 11, 30))
    moved = svc.advance(ctx(seeded, ruleset, calendar, "2026-11-10"), did, to_stage=3, note="no reply")
    assert (moved.dispute.stage, moved.dispute.bypassed, moved.stage_due) == (3, (2,), date(2026, 11, 17))
    flagged = svc.cafcass(ctx(seeded, ruleset, calendar, "2026-11-12"), did)
    assert flagged.dispute.cafcass_referred_on == date(2026, 11, 12)
    with pytest.raises(DisputeError, match="already flagged"):
        svc.cafcass(ctx(seeded, ruleset, calendar, "2026-11-13"), did)
    done = svc.resolve(ctx(seeded, ruleset, calendar, "2026-11-26"), did, outcome="plan agreed")
    assert (done.rag, done.within_total, done.working_days_elapsed) == (Rag.RESOLVED, True, 18)
    with seeded.reading() as conn:
        steps = dq.steps_of(conn, did)
    assert [(s["action"], s["from_stage"], s["to_stage"], s["bypassed"]) for s in steps] == [
        ("opened", None, 1, ""), ("advanced", 1, 3, "2"), ("cafcass", 3, None, ""), ("resolved", 3, None, "")]
    with pytest.raises(DisputeError, match="was resolved"):
        svc.advance(ctx(seeded, ruleset, calendar, "2026-11-27"), did)


def test_the_engine_deadlines_follow_the_recorded_events(seeded: Store, ruleset: RuleSet,
                                                         calendar: WorkingDayCalendar) -> None:
    did = svc.open_dispute(ctx(seeded, ruleset, calendar, "2026-11-02"), "C1", ISSUE).dispute.id
    svc.advance(ctx(seeded, ruleset, calendar, "2026-11-10"), did, to_stage=3)
    rows = services.query_deadlines(seeded, date(2026, 11, 25), case_id="C1", statuses=None)
    found = {(r.rule_id, r.due, r.status) for r in rows if r.rule_id.startswith("iro_dispute")}
    assert found == {
        ("iro_dispute_stage", date(2026, 11, 9), Status.MET_LATE),  # stage 1, answered on the 10th
        ("iro_dispute_stage", date(2026, 11, 17), Status.OVERDUE),  # stage 3
        ("iro_dispute_total", date(2026, 11, 30), Status.DUE_SOON),
    }
    svc.resolve(ctx(seeded, ruleset, calendar, "2026-11-26"), did)
    rows = services.query_deadlines(seeded, date(2026, 11, 26), case_id="C1", statuses=None)
    assert {r.status for r in rows if r.rule_id == "iro_dispute_total"} == {Status.MET}


def test_start_at_a_later_stage_is_a_bypass_and_bad_requests_are_refused(
        seeded: Store, ruleset: RuleSet, calendar: WorkingDayCalendar) -> None:
    c = ctx(seeded, ruleset, calendar, "2026-11-02")
    s = svc.open_dispute(c, "C1", ISSUE, stage=2)
    assert (s.dispute.stage, s.dispute.bypassed) == (2, (1,))
    with pytest.raises(DisputeError, match="already has open dispute"):
        svc.open_dispute(c, "C1", "again")
    with pytest.raises(DisputeError, match="not in the database"):
        svc.open_dispute(c, "NOPE", ISSUE)
    with pytest.raises(DisputeError, match="stage 5 is not on the ladder"):
        svc.open_dispute(c, "C2", ISSUE, stage=5)
    with pytest.raises(DisputeError, match="must be later"):
        svc.advance(c, s.dispute.id, to_stage=2)
    with pytest.raises(DisputeError, match="does not exist"):
        svc.advance(c, 999)
    last = svc.advance(ctx(seeded, ruleset, calendar, "2026-11-03"), s.dispute.id, to_stage=4)
    with pytest.raises(DisputeError, match="last stage"):
        svc.advance(ctx(seeded, ruleset, calendar, "2026-11-04"), last.dispute.id)


def test_the_iro_is_prompted_once_per_overdue_stage_without_the_issue_text(
        seeded: Store, ruleset: RuleSet, calendar: WorkingDayCalendar) -> None:
    did = svc.open_dispute(ctx(seeded, ruleset, calendar, "2026-11-02"), "C1", ISSUE).dispute.id
    svc.open_dispute(ctx(seeded, ruleset, calendar, "2026-11-02"), "C2", ISSUE)  # no IRO recorded
    folder = Recorder("folder")
    on_last_day = svc.prompt_overdue_disputes(seeded, Config(), calendar, at("2026-11-09"), {"folder": folder})
    assert (on_last_day.queued, folder.sent) == (0, [])  # amber, not yet past
    first = svc.prompt_overdue_disputes(seeded, Config(), calendar, at("2026-11-10"), {"folder": folder})
    again = svc.prompt_overdue_disputes(seeded, Config(), calendar, at("2026-11-11"), {"folder": folder})
    assert (first.queued, first.skipped["no_iro_recorded"]) == (1, 1)
    assert (again.queued, again.skipped["already_prompted"]) == (0, 1)
    [message] = folder.sent
    assert message.recipient_email == "iro@example.org"
    assert message.kind == "dispute_prompt"
    assert f"Dispute {did} on case C1 (AJ) is at stage 1 (Team manager)" in message.text
    assert "1 working day without an answer" in message.text
    assert "Jones" not in message.text + message.subject + message.html
    svc.advance(ctx(seeded, ruleset, calendar, "2026-11-12"), did)
    later = svc.prompt_overdue_disputes(seeded, Config(), calendar, at("2026-11-20"), {"folder": folder})
    assert later.queued == 1  # stage 2 passed its SLA on the 19th: a new stage, a new prompt
    with seeded.reading() as conn:
        payloads = [json.loads(p) for p in conn.execute(select(n.outbox_messages.c.payload)).scalars()]
    assert all("Jones" not in json.dumps(p) for p in payloads)


def test_a_prompt_still_waiting_is_withdrawn_when_the_iro_acts(seeded: Store, ruleset: RuleSet,
                                                                calendar: WorkingDayCalendar) -> None:
    did = svc.open_dispute(ctx(seeded, ruleset, calendar, "2026-11-02"), "C1", ISSUE).dispute.id
    report = svc.prompt_overdue_disputes(seeded, Config(), calendar, at("2026-11-10", "07:00"))  # before 08:00
    assert report.queued == 1
    svc.advance(ctx(seeded, ruleset, calendar, "2026-11-10"), did)
    with seeded.reading() as conn:
        status = conn.execute(select(n.outbox_messages.c.status, n.outbox_messages.c.reason)).one()
    assert tuple(status) == ("withdrawn", "stage_answered")


def test_list_and_report(seeded: Store, ruleset: RuleSet, calendar: WorkingDayCalendar) -> None:
    did = svc.open_dispute(ctx(seeded, ruleset, calendar, "2026-11-02"), "C1", ISSUE).dispute.id
    svc.open_dispute(ctx(seeded, ruleset, calendar, "2026-11-20"), "C2", ISSUE)
    svc.resolve(ctx(seeded, ruleset, calendar, "2026-11-06"), did)
    ladder = Ladder(Config().disputes, calendar)
    assert [s.dispute.case_id for s in svc.list_disputes(seeded, ladder, date(2026, 11, 25))] == ["C2"]
    everything = svc.list_disputes(seeded, ladder, date(2026, 11, 25), None)
    assert [(s.dispute.case_id, s.rag) for s in everything] == [("C1", Rag.RESOLVED), ("C2", Rag.GREEN)]
    report = svc.yearly_report(seeded, ladder, 2026)
    assert (report.raised, report.resolved, report.resolved_within_total, report.open_at_end) == (2, 1, 1, 1)
    assert svc.show(seeded, ladder, did, date(2026, 11, 25)).issue == ISSUE


def test_the_daemons_morning_job_prompts_the_iro(seeded: Store, ruleset: RuleSet,
                                                 calendar: WorkingDayCalendar) -> None:
    from ptrack.tracker.daemon.jobs import JobContext, remind_job

    svc.open_dispute(ctx(seeded, ruleset, calendar, "2026-11-02"), "C1", ISSUE)
    folder = Recorder("folder")
    job = JobContext(seeded, Config(), ruleset, calendar, "daemon:test", lambda: {"folder": folder})
    summary = remind_job(job, at("2026-11-10"))  # stage 1 (5 working days from 2 Nov) passed on the 9th
    assert summary.endswith("dispute prompts 1")
    assert remind_job(job, at("2026-11-11")).endswith("dispute prompts 0")  # once per stage
    assert ISSUE not in json.dumps([m.text for m in folder.sent])
