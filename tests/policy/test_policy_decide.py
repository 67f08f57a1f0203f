"""The notification policy with a fixed clock: offsets, grouping, escalations, the window, closure days,
absence cover (SPEC §6). No database: plain values in, decisions out, through the very functions
the reminder pass calls (`Router.route`, `Router.select`, `Router.group`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from ptrack.calendars import WorkingDayCalendar, england_and_wales
from ptrack.tracker.policy import (
    Absence,
    Decision,
    Kind,
    OpenItem,
    PolicySettings,
    Reason,
    Router,
    Selection,
    owed_for,
)

LONDON = ZoneInfo("Europe/London")
CAL = england_and_wales(2020, 2035)
SETTINGS = PolicySettings()


def at(day: str, clock: str = "08:00") -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=LONDON)


def item(due: str, case: str = "C1", rule: str = "visit_statutory", **kw: object) -> OpenItem:
    values: dict[str, object] = dict(
        case_id=case, deadline_key=f"{rule}#1", rule_id=rule, rule_title="Statutory visit",
        due=date.fromisoformat(due), initials="AB", worker_email="worker@example.org",
        manager_email="manager@example.org", iro_email="iro@example.org", team="CiC 1",
    )
    values.update(kw)
    return OpenItem(**values)  # type: ignore[arg-type]


def owed(i: OpenItem, day: str, cal: WorkingDayCalendar = CAL, settings: PolicySettings = SETTINGS
         ) -> list[tuple[str, Kind, str, date]]:
    return [(o.person, o.kind, o.stage, o.owed_on) for o in owed_for(i, date.fromisoformat(day), cal, settings)]


@dataclass
class Msg:
    """One message as the reminder pass builds it: the owed decisions sharing one group key."""

    recipient: str
    cover_for: str
    kind: Kind
    not_before: datetime
    reason: Reason
    items: list[Decision]


def plan(items: Sequence[OpenItem], absences: Sequence[Absence], cal: WorkingDayCalendar, now: datetime,
         already_queued: Collection[str] = (), settings: PolicySettings = SETTINGS) -> tuple[Selection, list[Msg]]:
    """Route, select and group exactly as `ptrack.tracker.outbox.service.remind` does for one chunk."""
    router = Router(absences, cal, settings, now)
    selection = router.select(router.route(items), already_queued)
    groups: dict[tuple[str, str, Kind, datetime, Reason], list[Decision]] = defaultdict(list)
    for decision, _, group in selection.owed:
        groups[group].append(decision)
    return selection, [Msg(*g, ds) for g, ds in sorted(groups.items(), key=lambda kv: kv[0][:3])]


def messages(items: Sequence[OpenItem], absences: Sequence[Absence], cal: WorkingDayCalendar, now: datetime
             ) -> list[Msg]:
    return plan(items, absences, cal, now)[1]


# -- reminders at 10, 3 and 0 working days before due -------------------------------------------------------------


def test_reminder_days_count_working_days_back_over_christmas() -> None:
    due_wed_30_dec = item("2026-12-30")
    # 3 working days before Wed 30 Dec 2026 skips Mon 28 Dec (Boxing Day substitute) and Fri 25 Dec.
    assert owed(due_wed_30_dec, "2026-12-23") == [("worker@example.org", Kind.REMINDER, "wd-3", date(2026, 12, 23))]
    assert owed(due_wed_30_dec, "2026-12-14") == [("worker@example.org", Kind.REMINDER, "wd-10", date(2026, 12, 14))]
    assert owed(due_wed_30_dec, "2026-12-11") == []
    assert owed(due_wed_30_dec, "2026-12-30") == [("worker@example.org", Kind.DUE_TODAY, "wd-0", date(2026, 12, 30))]


def test_a_missed_reminder_morning_is_caught_up_once_with_the_same_key() -> None:
    due = item("2026-12-30")
    # 15 Dec is after the 10-day reminder day: the same stage (same dedup key) is still owed, never a new one.
    assert owed(due, "2026-12-15") == owed(due, "2026-12-14")


def test_due_on_a_sunday_reminds_on_the_friday_before() -> None:
    assert owed(item("2026-11-29"), "2026-11-27")[0][1:] == (Kind.DUE_TODAY, "wd-0", date(2026, 11, 27))


# -- overdue: grouped, escalated ----------------------------------------------------------------------------------


def test_overdue_items_of_one_person_arrive_as_one_message() -> None:
    items = [item("2026-11-20", case=f"C{i}") for i in range(3)]
    overdue = [m for m in messages(items, [], CAL, at("2026-11-24", "08:00")) if m.kind is Kind.OVERDUE]
    assert len(overdue) == 1 and len(overdue[0].items) == 3
    assert overdue[0].recipient == "worker@example.org" and overdue[0].reason is Reason.QUEUED


def test_the_manager_is_told_on_the_third_working_day_overdue_not_before() -> None:
    due_mon = item("2026-11-16")
    assert Kind.ESCALATION_MANAGER not in {k for _, k, _, _ in owed(due_mon, "2026-11-18")}
    assert ("manager@example.org", Kind.ESCALATION_MANAGER, "wd+3", date(2026, 11, 19)) in owed(due_mon, "2026-11-19")
    # later days repeat the same key: escalated once
    assert ("manager@example.org", Kind.ESCALATION_MANAGER, "wd+3", date(2026, 11, 19)) in owed(due_mon, "2026-11-25")


def test_the_iro_is_told_when_an_iro_relevant_rule_is_overdue() -> None:
    review = item("2026-11-20", rule="cla_review_second", iro_relevant=True, audience=frozenset({"worker", "iro"}))
    visit = item("2026-11-20")
    assert ("iro@example.org", Kind.ESCALATION_IRO, "overdue", date(2026, 11, 23)) in owed(review, "2026-11-23")
    assert not [o for o in owed(visit, "2026-11-23") if o[1] is Kind.ESCALATION_IRO]


def test_the_iro_is_told_when_the_second_review_is_held_with_no_permanence_plan() -> None:
    plan_due = item("2026-12-15", rule="permanence_plan_by_second_review", iro_relevant=True,
                    second_review_held_on=date(2026, 11, 24))
    assert ("iro@example.org", Kind.ESCALATION_IRO, "no_permanence_plan", date(2026, 11, 24)) in owed(
        plan_due, "2026-11-25")
    not_yet_held = item("2026-12-15", rule="permanence_plan_by_second_review", iro_relevant=True)
    assert not [o for o in owed(not_yet_held, "2026-11-25") if o[1] is Kind.ESCALATION_IRO]


# -- the delivery window, closure days --------------------------------------------------------------------------


@pytest.mark.parametrize(("owed_at", "sent_at", "reason"), [
    (at("2026-11-24", "19:00"), at("2026-11-25", "08:00"), Reason.DEFERRED_OUTSIDE_WINDOW),
    (at("2026-11-27", "19:00"), at("2026-11-30", "08:00"), Reason.DEFERRED_OUTSIDE_WINDOW),  # Friday -> Monday
    (at("2026-11-25", "06:30"), at("2026-11-25", "08:00"), Reason.DEFERRED_OUTSIDE_WINDOW),
    (at("2026-11-28", "10:00"), at("2026-11-30", "08:00"), Reason.DEFERRED_NON_WORKING_DAY),  # Saturday
    (at("2026-12-24", "18:00"), at("2026-12-29", "08:00"), Reason.DEFERRED_OUTSIDE_WINDOW),  # over Christmas
    (at("2026-11-25", "17:59"), at("2026-11-25", "17:59"), Reason.QUEUED),
])
def test_a_message_owed_outside_the_window_waits_for_the_next_opening(
    owed_at: datetime, sent_at: datetime, reason: Reason
) -> None:
    got = {(m.reason, m.not_before) for m in messages([item("2026-11-20")], [], CAL, owed_at)}
    assert got == {(reason, sent_at.astimezone(UTC))}


def test_a_closure_day_defers_delivery_to_the_next_open_working_day() -> None:
    cal = england_and_wales(2020, 2035, closure_days=[date(2026, 12, 29), date(2026, 12, 30)])
    msgs = messages([item("2026-12-22")], [], cal, at("2026-12-29", "09:00"))
    assert {m.reason for m in msgs} == {Reason.DEFERRED_CLOSURE_DAY}
    assert {m.not_before for m in msgs} == {at("2026-12-31", "08:00").astimezone(UTC)}
    assert cal.is_working_day(date(2026, 12, 29))  # statutory counting is untouched


def test_summer_time_opening_is_0800_london_0700_utc() -> None:
    msgs = messages([item("2027-06-01")], [], CAL, at("2027-06-01", "19:00"))
    assert {m.not_before for m in msgs} == {datetime(2027, 6, 2, 7, 0, tzinfo=UTC)}


# -- absence ----------------------------------------------------------------------------------------------------


def test_an_absent_worker_gets_nothing_and_the_cover_gets_it_marked_as_cover() -> None:
    away = [Absence("worker@example.org", date(2026, 11, 23), date(2026, 11, 27), "cover@example.org")]
    nudges = [m for m in messages([item("2026-11-20")], away, CAL, at("2026-11-25", "09:00")) if m.kind is Kind.OVERDUE]
    assert [(m.recipient, m.cover_for) for m in nudges] == [("cover@example.org", "worker@example.org")]
    assert {d.reason for d in nudges[0].items} == {Reason.REDIRECTED_ABSENT}
    assert nudges[0].items[0].person == "worker@example.org"  # the dedup key stays the worker's


def test_an_absent_worker_without_cover_is_told_on_their_return() -> None:
    away = [Absence("worker@example.org", date(2026, 11, 23), date(2026, 11, 27))]
    assert [(m.recipient, m.reason, m.not_before) for m in messages([item("2026-12-09")], away, CAL,
                                                                    at("2026-11-25", "09:00"))] == [
        ("worker@example.org", Reason.DEFERRED_ABSENT, at("2026-11-30", "08:00").astimezone(UTC))]


# -- dedup, withdrawal, content -----------------------------------------------------------------------------------


def test_what_is_already_queued_is_deduplicated_not_queued_again() -> None:
    _, first = plan([item("2026-11-20")], [], CAL, at("2026-11-25", "08:00"))
    keys = {d.dedup_key for m in first for d in m.items}
    again, msgs = plan([item("2026-11-20")], [], CAL, at("2026-11-25", "14:00"), already_queued=keys)
    assert msgs == []
    assert again.decisions == {Reason.DEDUPLICATED.value: len(keys)}


def test_owed_twice_in_one_pass_is_queued_once() -> None:
    both = item("2026-11-20", worker_email="same@example.org", manager_email="same@example.org")
    selection, _ = plan([both, both], [], CAL, at("2026-11-30", "08:00"))
    assert len({d.dedup_key for d, _, _ in selection.owed}) == len(selection.owed)
    assert selection.decisions[Reason.DEDUPLICATED.value] >= 1


# -- what is never nagged, how often, how urgently ----------------------------------------------------------------


@pytest.mark.parametrize("state", ["missed", "untracked", "cancelled", "met", "met_late"])
def test_a_deadline_in_a_state_that_is_never_nagged_owes_nothing(state: str) -> None:
    """SPEC §2: `missed` and `untracked` deadlines are shown but never nagged (the engine will produce them);
    the policy is keyed on the naggable states, so any other state is left alone."""
    selection, msgs = plan([item("2026-11-20", state=state)], [], CAL, at("2026-11-25", "08:00"))
    assert msgs == [] and selection.decisions == {Reason.SUPPRESSED_NOT_NAGGABLE.value: 1}


def test_overdue_nudges_come_every_nth_working_day_when_configured() -> None:
    every_2 = PolicySettings(overdue_nudge_every_working_days=2)
    due_mon = item("2026-11-16")  # overdue from Tue 17 Nov
    nudged = [day for day in ("2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-23")
              if any(k is Kind.OVERDUE for _, k, _, _ in owed(due_mon, day, settings=every_2))]
    assert nudged == ["2026-11-17", "2026-11-19", "2026-11-23"]  # 1st, 3rd, 5th working day overdue
    daily = [day for day in ("2026-11-17", "2026-11-18", "2026-11-21") if owed(due_mon, day)
             and any(k is Kind.OVERDUE for _, k, _, _ in owed(due_mon, day))]
    assert daily == ["2026-11-17", "2026-11-18"]  # the default: every working day (never on a Saturday)


def test_an_urgent_rule_is_escalated_to_the_manager_on_the_first_working_day_overdue() -> None:
    urgent = item("2026-11-20", urgent=True)
    assert ("manager@example.org", Kind.ESCALATION_MANAGER, "wd+1", date(2026, 11, 23)) in owed(urgent, "2026-11-23")
    assert not [o for o in owed(item("2026-11-20"), "2026-11-23") if o[1] is Kind.ESCALATION_MANAGER]


class TestUrgentRules:
    """A return home interview is urgent: the first reminder goes the day the child returns (its anchor day),
    whatever the configured offsets, and never carries a date before the return."""

    def rhi(self, returned: str, due: str) -> OpenItem:
        return item(due, rule="return_home_interview", urgent=True, anchor_date=date.fromisoformat(returned))

    def test_only_the_due_day_configured_still_reminds_on_the_return_day(self) -> None:
        due_day_only = PolicySettings(remind_working_days_before=(0,))
        rhi = self.rhi("2026-11-23", "2026-11-26")  # back Mon, due Thu
        assert owed(rhi, "2026-11-23", settings=due_day_only) == [
            ("worker@example.org", Kind.REMINDER, "anchor", date(2026, 11, 23))]
        assert owed(item("2026-11-26"), "2026-11-23", settings=due_day_only) == []  # not urgent: nothing yet

    def test_an_offset_day_before_the_return_is_owed_from_the_return(self) -> None:
        rhi = self.rhi("2026-11-20", "2026-11-23")  # back Fri, due Mon: 3 working days before due was Wed 18
        assert owed(rhi, "2026-11-20") == [("worker@example.org", Kind.REMINDER, "wd-3", date(2026, 11, 20))]

    def test_escalated_to_the_manager_the_first_working_day_overdue(self) -> None:
        rhi = self.rhi("2026-11-20", "2026-11-23")
        got = owed(rhi, "2026-11-24")
        assert ("manager@example.org", Kind.ESCALATION_MANAGER, "wd+1", date(2026, 11, 24)) in got
        assert not [o for o in got if o[1] is Kind.ESCALATION_IRO]
