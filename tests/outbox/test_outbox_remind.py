"""`remind` over a real store (SQLite and PostgreSQL): dedup across passes, grouping, the window, withdrawal,
absence cover, and no full name in anything sent."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime

from outbox_helpers import FULL_NAMES, Recorder, at, deadline, put_deadlines, seed
from sqlalchemy import delete, select

from ptrack.calendars import england_and_wales
from ptrack.notifiers.render import adaptive_card, html_body, plain_text, slack_blocks
from ptrack.tracker.config import Config, NotifyConfig
from ptrack.tracker.outbox.service import dispatch, list_outbox, mark_absent, remind
from ptrack.tracker.policy import Absence
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import notify_schema as n
from ptrack.tracker.store import schema as t

i, m = n.outbox_items.c, n.outbox_messages

CAL = england_and_wales(2020, 2035)
CONFIG = Config(deep_link="https://cases.example/child/{case_id}")


def overdue_caseload(store: Store) -> None:
    seed(store, [
        deadline("C1", "visit_year1", "2026-11-20"),
        deadline("C2", "visit_year1", "2026-11-19"),
        deadline("C3", "cla_review_second", "2026-11-30"),  # 3 working days ahead on Wed 25 Nov
    ])


def test_remind_twice_on_the_same_day_queues_nothing_new(store: Store, ruleset: RuleSet) -> None:
    overdue_caseload(store)
    first = remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "08:00"))
    assert first.messages["queued"] >= 2
    second = remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "15:00"))
    assert sum(second.messages.values()) == 0
    assert second.decisions["deduplicated"] == sum(first.decisions.values())
    assert len(list_outbox(store)) == sum(first.messages.values())


def test_one_person_gets_one_message_for_all_their_overdue_items_and_no_names(
    store: Store, ruleset: RuleSet
) -> None:
    overdue_caseload(store)
    folder = Recorder("folder")
    report = remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "08:00"), {"folder": folder})
    assert report.dispatched is not None and report.dispatched.sent == len(folder.sent)
    overdue = [m for m in folder.sent if m.kind == "overdue"]
    assert len(overdue) == 1 and {i.case_id for i in overdue[0].items} == {"C1", "C2"}
    reminder = [m for m in folder.sent if m.kind == "reminder"]
    assert [(m.recipient_email, [i.case_id for i in m.items]) for m in reminder] == [("worker@example.org", ["C3"])]
    assert "https://cases.example/child/C1" in plain_text(overdue[0])
    for message in folder.sent:
        blob = json.dumps(asdict(message), default=str)
        assert not any(name in blob for name in FULL_NAMES)


def test_owed_at_19_00_is_sent_at_08_00_the_next_working_day(store: Store, ruleset: RuleSet) -> None:
    overdue_caseload(store)
    folder = Recorder("folder")
    friday_evening = at("2026-11-27", "19:00")
    report = remind(store, CONFIG, ruleset, CAL, friday_evening, {"folder": folder})
    assert set(report.messages) == {"deferred_outside_window"} and folder.sent == []
    dispatch(store, {"folder": folder}, at("2026-11-30", "07:59"), "d1")
    assert folder.sent == []
    dispatch(store, {"folder": folder}, at("2026-11-30", "08:00"), "d1")
    assert folder.sent and {r.status for r in list_outbox(store)} == {"sent"}
    assert {r.not_before for r in list_outbox(store)} == {at("2026-11-30", "08:00").astimezone(UTC)}


def test_a_met_deadline_withdraws_its_pending_reminder(store: Store, ruleset: RuleSet) -> None:
    overdue_caseload(store)
    remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "19:00"))  # deferred to tomorrow 08:00
    with store.transaction() as conn:
        put_deadlines(conn, [deadline("C1", "visit_year1", "2026-11-20", met_on=date(2026, 11, 25)),
                             deadline("C2", "visit_year1", "2026-11-19", met_on=date(2026, 11, 25)),
                             deadline("C3", "cla_review_second", "2026-11-30", cancelled_on=date(2026, 11, 25))])
    report = remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "20:00"))
    assert report.withdrawn == {"suppressed_met": 4, "suppressed_cancelled": 1}  # 2 nudged, 2 escalated
    statuses = {(r.kind, r.status, r.reason) for r in list_outbox(store)}
    assert ("overdue", "withdrawn", "suppressed_met") in statuses
    assert ("reminder", "withdrawn", "suppressed_cancelled") in statuses
    assert not any(s == "pending" for _, s, _ in statuses)


def test_an_absent_worker_is_covered(store: Store, ruleset: RuleSet) -> None:
    overdue_caseload(store)
    mark_absent(store, Absence("Worker@example.org", date(2026, 11, 23), date(2026, 11, 27), "cover@example.org"),
                datetime(2026, 11, 20, 9, tzinfo=UTC))
    folder = Recorder("folder")
    remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "09:00"), {"folder": folder})
    got = {(m.kind, m.recipient_email, m.cover_for) for m in folder.sent}
    assert got == {("overdue", "cover@example.org", "worker@example.org"), ("reminder", "cover@example.org",
                   "worker@example.org"), ("escalation_manager", "manager@example.org", "")}
    for m in (m for m in folder.sent if m.cover_for):  # said once, in every channel's rendering
        for rendered in (plain_text(m), html_body(m), json.dumps(adaptive_card(m)["body"]),
                         json.dumps(slack_blocks(m))):
            assert rendered.count("Covering for worker@example.org") == 1


def test_overdue_nudges_come_every_working_day_and_escalate_on_day_three(store: Store, ruleset: RuleSet) -> None:
    seed(store, [deadline("C1", "visit_year1", "2026-11-20")])
    folder = Recorder("folder")
    for day in ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"):
        remind(store, CONFIG, ruleset, CAL, at(day, "08:00"), {"folder": folder})
    kinds = [(m.kind, m.recipient_email) for m in folder.sent]
    assert kinds.count(("overdue", "worker@example.org")) == 4
    assert kinds.count(("escalation_manager", "manager@example.org")) == 1


def test_one_message_per_person_even_when_their_cases_fall_in_different_chunks(store: Store, ruleset: RuleSet) -> None:
    overdue_caseload(store)
    whole = remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "08:00"), dry_run=True)
    folder = Recorder("folder")
    chunked = remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "08:00"), {"folder": folder}, chunk_cases=1)
    assert chunked.decisions == whole.decisions and chunked.messages == whole.messages
    [overdue] = [m for m in folder.sent if m.kind == "overdue"]
    assert [i.case_id for i in overdue.items] == ["C2", "C1"]  # due-date order: 19 Nov, then 20 Nov


def test_a_message_keeps_its_open_items_when_others_are_met_and_a_removed_deadline_withdraws(
    store: Store, ruleset: RuleSet
) -> None:
    overdue_caseload(store)
    remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "19:00"))  # deferred to tomorrow 08:00
    with store.transaction() as conn:
        put_deadlines(conn, [deadline("C1", "visit_year1", "2026-11-20", met_on=date(2026, 11, 25))])
        conn.execute(delete(t.deadlines).where(t.deadlines.c.case_id == "C3"))  # a correction removed it
    report = remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "20:00"))
    assert report.withdrawn == {"suppressed_met": 2, "withdrawn": 1}  # C1's nudge and escalation; C3's reminder
    folder = Recorder("folder")
    dispatch(store, {"folder": folder}, at("2026-11-26", "08:00"), "d1")
    assert {m.kind: [i.case_id for i in m.items] for m in folder.sent} == {"overdue": ["C2"],
                                                                          "escalation_manager": ["C2"]}
    assert {(r.kind, r.status, r.reason) for r in list_outbox(store) if r.status == "withdrawn"} == {
        ("reminder", "withdrawn", "withdrawn")}


def test_withdrawal_by_case_state_item_by_item_and_message_by_message(store: Store, ruleset: RuleSet) -> None:
    """Met today or cancelled yesterday withdraws (with that reason), met tomorrow does not, met and cancelled
    the same day counts as met, a deadline a correction removed withdraws as `withdrawn`; a message whose items
    are all withdrawn is withdrawn with their reason, one that keeps some stays pending with only those."""
    seed(store, [deadline(f"C{c}", "visit_year1", f"2026-11-{16 + c % 5}") for c in range(1, 13)], cases=12)
    remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "19:00"))
    today = date(2026, 11, 25)
    changes = {1: {"met_on": today}, 2: {"cancelled_on": date(2026, 11, 24)}, 3: {"met_on": date(2026, 11, 26)},
               4: {"met_on": today, "cancelled_on": today}, 5: None}
    why = {"C1": "suppressed_met", "C2": "suppressed_cancelled", "C4": "suppressed_met", "C5": "withdrawn"}
    with store.transaction() as conn:
        items = {r.id: (r.message_id, r.case_id) for r in conn.execute(
            select(i.id, i.message_id, i.case_id).join(m, m.c.id == i.message_id).where(m.c.status == "pending"))}
        for k, change in changes.items():
            if change is None:
                conn.execute(delete(t.deadlines).where(t.deadlines.c.case_id == f"C{k}"))
            else:
                put_deadlines(conn, [deadline(f"C{k}", "visit_year1", f"2026-11-{16 + k % 5}", **change)])
    report = remind(store, CONFIG, ruleset, CAL, at("2026-11-25", "20:00"))
    expected = {item_id: why[case] for item_id, (_, case) in items.items() if case in why}
    assert report.withdrawn == Counter(expected.values())
    with store.reading() as conn:
        got = {r.id: r.withdrawn for r in conn.execute(select(i.id, i.withdrawn)) if r.withdrawn}
        statuses = {r.id: (r.status, r.reason) for r in conn.execute(select(m.c.id, m.c.status, m.c.reason))}
        payloads = {r.id: json.loads(r.payload) for r in conn.execute(select(m.c.id, m.c.payload))}
    assert got == expected
    by_message: dict[int, set[str]] = {}
    for item_id, (message_id, _) in items.items():
        by_message.setdefault(message_id, set()).add(expected.get(item_id, "kept"))
    for message_id, outcomes in by_message.items():
        if "kept" not in outcomes:
            assert statuses[message_id] == ("withdrawn", outcomes.pop() if len(outcomes) == 1 else "withdrawn")
        else:
            assert statuses[message_id][0] == "pending"
            kept = {case for item_id, (mid, case) in items.items() if mid == message_id and item_id not in expected}
            assert {p["case_id"] for p in payloads[message_id]["items"]} == kept


def test_what_the_pass_sends_says_what_the_reader_needs(store: Store, ruleset: RuleSet) -> None:
    """Through the whole pass (store → policy → outbox → message): the council, working days for a rule counted
    in working days, the last working day of a due date on a Sunday with calendar days said so, the allocated
    worker in the manager's escalation, and a URL-encoded link."""
    seed(store, [
        deadline("C1", "placement_plan", "2026-11-30"),  # 5 WD rule: 3 working days before is today
        deadline("C2", "cla_review_second", "2026-11-29", last_working_day=date(2026, 11, 27)),  # a Sunday
        deadline("C3", "visit_year1", "2026-11-19"),  # 4 working days overdue: the manager is told
    ])
    config = Config(local_authority="Example Council", deep_link="https://cases.example/child/{case_id}?tab=plan")
    folder = Recorder("folder")
    remind(store, config, ruleset, CAL, at("2026-11-25", "08:00"), {"folder": folder})
    texts = {m.kind: plain_text(m) for m in folder.sent}
    assert "C1 (AB): " in texts["reminder"] and "due Mon 30 Nov 2026, 3 working days left" in texts["reminder"]
    assert "due Sun 29 Nov 2026; last working day Fri 27 Nov 2026, 4 calendar days left" in texts["reminder"]
    assert "C3 (AB)" in texts["escalation_manager"] and "worker worker@example.org" in texts["escalation_manager"]
    assert "worker worker@example.org" not in texts["overdue"]  # the worker is not told who they are
    assert all(t.startswith("Example Council\n") for t in texts.values())
    assert "https://cases.example/child/C1?tab=plan" in texts["reminder"]


def test_the_configured_nudge_interval_is_what_the_pass_sends(store: Store, ruleset: RuleSet) -> None:
    """`notify.overdue_nudge_every_working_days = 2`: overdue since Fri 20 Nov, nudged Mon 23 (1st working day
    overdue) and Wed 25 (3rd), not Tue 24 or Thu 26; the manager's escalation is unchanged (3rd working day)."""
    seed(store, [deadline("C1", "visit_year1", "2026-11-20")])
    config = Config(notify=NotifyConfig(overdue_nudge_every_working_days=2))
    folder = Recorder("folder")
    for day in ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"):
        remind(store, config, ruleset, CAL, at(day, "08:00"), {"folder": folder})
    nudged = [m.key for m in folder.sent if m.kind == "overdue"]
    assert len(nudged) == 2
    assert [m.kind for m in folder.sent].count("escalation_manager") == 1
    with store.reading() as conn:
        days = sorted(r.owed_on.isoformat() for r in conn.execute(select(m.c.owed_on).where(m.c.kind == "overdue")))
    assert days == ["2026-11-23", "2026-11-25"]
