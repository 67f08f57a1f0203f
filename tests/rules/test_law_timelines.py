"""SPEC §4.1: timelines as case systems record them. Moves and same-day period changes in any row order,
`missed` breaches (§2), second proceedings, age limits, full approval ending Reg 24, the first-review-day
visit, and every event either used or reported as ignored with its reason."""

from __future__ import annotations

import random
from datetime import date

import pytest
from law import AS_OF, assert_due, assert_no, calendar, case, deadlines, find, ruleset

from ptrack.tracker.model import Timeline
from ptrack.tracker.rules import compute_case


def ignored(c: object, as_of: date = AS_OF) -> dict[str, str]:
    tl: Timeline = c.timeline()  # type: ignore[attr-defined]
    result = compute_case(tl, ruleset(), calendar(), as_of)
    return {f"{i.kind} {i.date.isoformat()}": i.reason for i in result.ignored}


def issue_reproduction(end_first: bool) -> object:
    """Issue 9 point 1: DOB 2015-01-01; a move on 2024-04-02 with an explicit placement_end row."""
    c = case(dob="2015-01-01").looked_after("2024-03-01").placement("2024-03-01")
    if end_first:
        c.event("placement_end", "2024-04-02").placement("2024-04-02")
    else:
        c.placement("2024-04-02").event("placement_end", "2024-04-02")
    return c.visit("2024-04-05").visit("2024-05-05")


class TestAMove:
    @pytest.mark.parametrize("end_first", [True, False])
    def test_issue_reproduction_gives_the_new_placement_its_visits(self, end_first: bool) -> None:
        c = issue_reproduction(end_first)
        as_of = date(2024, 5, 10)
        assert_due(c, "visit_year1", "2024-05-17", nth=1, status="met", as_of=as_of)  # 04-05 + 6 weeks
        assert_due(c, "visit_year1", "2024-06-16", nth=2, status="upcoming", as_of=as_of)  # 05-05 + 6 weeks
        assert_due(c, "visit_first_week", "2024-04-09", nth=2, status="met", as_of=as_of)
        new_plan = find(c, "placement_plan", nth=2, as_of=as_of)
        assert new_plan.due == date(2024, 4, 9) and new_plan.status.value == "overdue"

    def test_the_old_placement_ends_on_the_move_day(self) -> None:
        c = issue_reproduction(end_first=False)
        old_plan = find(c, "placement_plan", nth=1, as_of=date(2024, 5, 10))
        # due 2024-03-08, never agreed, the placement ended 2024-04-02: overdue when it ended, a breach
        assert old_plan.status.value == "missed" and old_plan.cancelled_on == date(2024, 4, 2)
        assert "placement_end 2024-04-02" in old_plan.cancel_reason

    def test_a_move_into_a_reg24_placement_keeps_its_approval_and_extension(self) -> None:
        c = (case().looked_after("2025-01-06").placement("2025-01-06")
             .placement("2025-02-03", kind="connected_person").event("placement_end", "2025-02-03")
             .event("temporary_approval", "2025-02-03").event("approval_extended", "2025-05-01"))
        got = assert_due(c, "reg24_expiry", "2025-07-21")  # 03 Feb + 112 days = 26 May, + 8 weeks
        assert any("extended by 8 weeks" in n for n in got.notes)

    def test_a_move_into_an_adoptive_placement_keeps_the_adoption_reviews(self) -> None:
        c = (case().looked_after("2024-01-08").placement("2024-01-08")
             .event("placed_for_adoption", "2025-03-03").placement("2025-03-03", kind="adoption")
             .event("placement_end", "2025-03-03"))
        assert_due(c, "adoption_review", "2025-03-31", status="overdue")

    def test_a_one_day_placement_between_two_moves(self) -> None:
        c = (case().looked_after("2025-03-03").placement("2025-03-03").event("placement_end", "2025-03-10")
             .placement("2025-03-10", kind="residential").event("placement_end", "2025-03-10")
             .placement("2025-03-11"))
        firsts = sorted((x for x in deadlines(c) if x.rule_id == "visit_first_week"), key=lambda x: x.anchor_date)
        assert [x.anchor_date.isoformat() for x in firsts] == ["2025-03-03", "2025-03-10", "2025-03-11"]
        assert firsts[1].cancelled_on == date(2025, 3, 10) and firsts[2].status.value == "overdue"


class TestPeriodsOfCare:
    @pytest.mark.parametrize("order", ["end_first", "start_first"])
    def test_end_and_start_on_one_day_are_two_periods(self, order: str) -> None:
        c = case().looked_after("2024-01-08").review("2024-02-02")
        if order == "end_first":
            c.left_care("2024-06-03").looked_after("2024-06-03")
        else:
            c.looked_after("2024-06-03").left_care("2024-06-03")
        firsts = sorted(x.due.isoformat() for x in deadlines(c) if x.rule_id == "cla_review_first")
        assert firsts == ["2024-02-05", "2024-07-01"]  # 20 working days from 8 Jan and from 3 Jun 2024
        assert find(c, "cla_review_second").cancelled_on == date(2024, 6, 3)


class TestMissedBreaches:
    def test_a_visit_overdue_when_the_placement_ended_is_missed_not_cancelled(self) -> None:
        c = (case().looked_after("2025-03-03").placement("2025-03-03")
             .event("placement_end", "2025-03-20").placement("2025-03-20"))
        first = find(c, "visit_first_week")
        assert first.due == date(2025, 3, 10) and first.status.value == "missed"

    def test_a_deadline_not_yet_due_when_care_ended_is_cancelled(self) -> None:
        c = case().looked_after("2025-03-03").placement("2025-03-03").left_care("2025-03-05")
        assert find(c, "visit_first_week").status.value == "cancelled"

    def test_ending_on_the_due_date_is_not_a_breach(self) -> None:
        c = case().looked_after("2025-03-03").placement("2025-03-03").left_care("2025-03-10")
        assert_due(c, "visit_first_week", "2025-03-10", status="cancelled")

    def test_missed_is_only_missed_once_the_scope_has_ended(self) -> None:
        c = case().looked_after("2025-03-03").placement("2025-03-03").left_care("2025-04-01")
        assert_due(c, "visit_first_week", "2025-03-10", status="overdue", as_of=date(2025, 3, 20))
        assert_due(c, "visit_first_week", "2025-03-10", status="missed", as_of=date(2025, 4, 1))


class TestSecondProceedings:
    def test_a_second_application_anchors_its_own_26_weeks(self) -> None:
        c = (case().event("proceedings_issued", "2024-01-08").event("proceedings_issued", "2024-03-04")
             .event("proceedings_extended", "2024-08-01", weeks=8).event("proceedings_concluded", "2024-10-01"))
        first = find(c, "care_proceedings_26_weeks", nth=1)
        assert first.due == date(2024, 7, 7) and first.status.value == "cancelled"
        assert "never concluded" in first.cancel_reason
        # 4 Mar 2024 + 26 weeks - 1 day = 1 Sep 2024, extended by 8 weeks to 27 Oct 2024; concluded 1 Oct: met
        assert_due(c, "care_proceedings_26_weeks", "2024-10-27", nth=2, status="met")


class TestAgeLimits:
    def test_no_needs_assessment_for_a_period_starting_after_the_18th_birthday(self) -> None:
        c = case(dob="2006-03-01").looked_after("2024-05-01")
        assert_no(c, "needs_assessment_16")

    def test_none_due_on_or_after_the_18th_birthday(self) -> None:
        c = case(dob="2006-09-01").looked_after("2024-04-01")  # eligible 1 Jul 2024 (13 weeks), due 1 Oct
        got = find(c, "needs_assessment_16")
        assert got.status.value == "cancelled" and got.cancelled_on == date(2024, 9, 1)
        assert "18th birthday" in got.cancel_reason

    def test_overdue_on_the_18th_birthday_is_missed(self) -> None:
        c = case(dob="2006-09-01").looked_after("2024-01-08")  # eligible 8 Apr 2024, due 8 Jul 2024
        assert_due(c, "needs_assessment_16", "2024-07-08", status="missed")


class TestFullApprovalEndsReg24:
    def test_visits_after_carer_approved_follow_reg_28_2(self) -> None:
        c = (case().looked_after("2025-01-06").placement("2025-01-06", kind="connected_person")
             .event("temporary_approval", "2025-01-06").visit("2025-01-10").review("2025-01-31")
             .event("carer_approved", "2025-02-10").visit("2025-02-14"))
        assert_due(c, "reg24_expiry", "2025-04-28", status="met")
        after = [x for x in deadlines(c) if x.anchor_date == date(2025, 2, 14) and x.obligation == "placement_visit"]
        assert [(x.rule_id, x.due.isoformat()) for x in after] == [("visit_year1", "2025-03-28")]

    def test_a_visit_on_the_approval_day_is_already_under_reg_28_2(self) -> None:
        c = (case().looked_after("2025-01-06").placement("2025-01-06", kind="connected_person")
             .event("carer_approved", "2025-02-10").visit("2025-02-10"))
        after = [x for x in deadlines(c) if x.anchor_date == date(2025, 2, 10)]
        assert [(x.rule_id, x.due.isoformat()) for x in after] == [("visit_year1", "2025-03-24")]


class TestFirstReviewDayVisit:
    def test_a_visit_on_the_first_review_day_falls_under_the_thereafter_interval(self) -> None:
        c = (case().looked_after("2025-03-03").placement("2025-03-03", kind="connected_person")
             .visit("2025-03-07").visit("2025-03-28").review("2025-03-28"))
        after = [x for x in deadlines(c) if x.anchor_date == date(2025, 3, 28) and x.obligation == "placement_visit"]
        assert [(x.rule_id, x.due.isoformat()) for x in after] == [("visit_connected_or_parent", "2025-04-25")]


class TestEveryEventAccountedFor:
    def test_review_outside_any_period_of_care(self) -> None:
        c = case().looked_after("2025-01-06").left_care("2025-02-03").review("2025-03-03")
        assert ignored(c)["review_held 2025-03-03"] == "outside any period of care or series of short breaks"

    def test_extension_after_the_approval_expired(self) -> None:
        c = (case().looked_after("2025-01-06").placement("2025-01-06", kind="connected_person")
             .event("temporary_approval", "2025-01-06").event("approval_extended", "2025-05-01"))
        assert_due(c, "reg24_expiry", "2025-04-28")  # the expiry stands
        assert "expired on 2025-04-28" in ignored(c)["approval_extended 2025-05-01"]

    def test_a_second_extension(self) -> None:
        c = (case().looked_after("2025-01-06").placement("2025-01-06", kind="connected_person")
             .event("temporary_approval", "2025-01-06").event("approval_extended", "2025-04-01")
             .event("approval_extended", "2025-05-01"))
        assert "allows 1 extension" in ignored(c)["approval_extended 2025-05-01"]

    def test_second_dispute_raised_while_one_is_open(self) -> None:
        c = case().event("dispute_raised", "2025-03-03").event("dispute_raised", "2025-03-05")
        assert "a second dispute_raised" in ignored(c)["dispute_raised 2025-03-05"]
        assert len([x for x in deadlines(c) if x.rule_id == "iro_dispute_total"]) == 1

    def test_used_events_are_not_listed(self) -> None:
        c = issue_reproduction(end_first=True)
        assert ignored(c, date(2024, 5, 10)) == {}


def random_moves_timeline(rng: random.Random, explicit_end: bool) -> object:
    """A period with a few moves, visits and reviews: the shape case systems record."""
    c = case(dob="2012-06-01")
    day = date(2023, 1, 2).toordinal() + rng.randrange(300)
    c.looked_after(date.fromordinal(day).isoformat()).placement(date.fromordinal(day).isoformat())
    for _ in range(rng.randrange(1, 5)):
        for _ in range(rng.randrange(0, 4)):
            day += rng.randrange(5, 50)
            c.visit(date.fromordinal(day).isoformat())
        day += rng.randrange(1, 60)
        move = date.fromordinal(day).isoformat()
        if explicit_end:
            c.event("placement_end", move)
        c.placement(move, kind=rng.choice(["foster", "residential", "connected_person"]))
    c.review(date.fromordinal(day + 3).isoformat())
    return c


@pytest.mark.parametrize("seed", range(40))
def test_metamorphic_moves_with_or_without_placement_end_rows_in_any_order(seed: int) -> None:
    rng = random.Random(seed)
    with_end = random_moves_timeline(random.Random(seed), explicit_end=True)
    without_end = random_moves_timeline(random.Random(seed), explicit_end=False)

    def view(c: object) -> list[tuple[str, str, str, str]]:
        return sorted((x.rule_id, x.anchor_date.isoformat(), x.due.isoformat(), x.status.value)
                      for x in deadlines(c))  # type: ignore[arg-type]

    expected = view(without_end)
    assert view(with_end) == expected
    shuffled = with_end.events[:]  # type: ignore[attr-defined]
    rng.shuffle(shuffled)
    with_end.events = shuffled  # type: ignore[attr-defined]
    assert view(with_end) == expected
    for item in compute_case(with_end.timeline(), ruleset(), calendar(), AS_OF).ignored:  # type: ignore[attr-defined]
        assert "no deadline was waiting" in item.reason or item.kind == "visit", item
