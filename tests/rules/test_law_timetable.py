"""The rest of the statutory timetable (docs/rules.md): health assessments (CPPCR reg 7), PEPs, return home
interviews, placement notification (reg 13), emergency placements (reg 23), visits under reg 28(3), (4) and
(5), adoption (AA Regs 2005 reg 36(1) and (4)), care leavers (Care Leavers (England) Regs 2010 regs 7 and 8)
and IRO allocation. Every expected date is worked out by hand from the rule's wording and the England and Wales
calendar (bank holidays: 2024-02-29 is a leap day; Good Friday 2025-04-18, Easter Monday 2025-04-21, early May
2025-05-05, Christmas 2025-12-25/26, New Year 2026-01-01)."""

from law import AS_OF, CaseBuilder, assert_due, assert_no, calendar, case, deadlines, find, ruleset

from ptrack.tracker.rules import compute_case


def assert_contributes(c: CaseBuilder, rule_id: str, due: str, **kw: object) -> None:
    """`rule_id` gave `due` for some occurrence (it may share the date with another rule, which is then named
    as the winner: the earliest date wins, a tie goes to the rule listed first)."""
    found = [(x.rule_id, x.due.isoformat()) for x in deadlines(c, **kw)  # type: ignore[arg-type]
             if any(k.rule_id == rule_id and k.due.isoformat() == due for k in x.contributors)]
    assert found, f"{rule_id} gives no date {due}; got {[(x.rule_id, x.due) for x in deadlines(c, **kw)]}"  # type: ignore[arg-type]
    assert all(d == due for _, d in found)


class TestHealthAssessmentsReg7:
    def test_initial_within_20_working_days_of_becoming_looked_after_over_christmas(self) -> None:
        c = case().looked_after("2024-12-19")  # skips 25, 26 Dec and 1 Jan, as the first review does
        assert_due(c, "health_assessment_initial", "2025-01-21")

    def test_initial_over_easter_and_the_early_may_bank_holiday(self) -> None:
        c = case().looked_after("2025-04-07")
        assert_due(c, "health_assessment_initial", "2025-05-08")

    def test_an_assessment_of_kind_other_meets_nothing_and_anchors_nothing(self) -> None:
        c = case().looked_after("2025-03-03").event("health_assessment", "2025-03-10", subkind="other")
        assert_due(c, "health_assessment_initial", "2025-03-31", status="overdue")
        assert_no(c, "health_assessment_review")
        c.event("health_assessment", "2025-04-02", subkind="initial")
        assert_due(c, "health_assessment_initial", "2025-03-31", status="met_late")

    def test_review_six_monthly_under_five_counted_from_the_actual_assessment(self) -> None:
        c = (case(dob="2022-03-01").looked_after("2024-08-01")
             .event("health_assessment", "2024-08-31", subkind="initial"))
        assert_due(c, "health_assessment_review", "2025-02-28")  # no 31 February: the month's last day

    def test_review_lands_on_29_february_in_a_leap_year(self) -> None:
        c = (case(dob="2021-01-10").looked_after("2023-08-01")
             .event("health_assessment", "2023-08-29", subkind="initial"))
        assert_due(c, "health_assessment_review", "2024-02-29")

    def test_age_on_the_assessment_date_decides_six_or_twelve_months(self) -> None:
        day_before = (case(dob="2020-03-15").looked_after("2025-01-06")
                      .event("health_assessment", "2025-03-14", subkind="initial"))
        assert_due(day_before, "health_assessment_review", "2025-09-14")
        on_birthday = (case(dob="2020-03-15").looked_after("2025-01-06")
                       .event("health_assessment", "2025-03-15", subkind="initial"))
        assert_due(on_birthday, "health_assessment_review", "2026-03-15")

    def test_a_29_february_child_turns_five_on_28_february(self) -> None:
        c = (case(dob="2020-02-29").looked_after("2025-01-06")
             .event("health_assessment", "2025-02-28", subkind="initial"))
        assert_due(c, "health_assessment_review", "2026-02-28")
        younger = (case(dob="2020-02-29").looked_after("2025-01-06")
                   .event("health_assessment", "2025-02-27", subkind="initial"))
        assert_due(younger, "health_assessment_review", "2025-08-27")

    def test_the_age_limit_is_a_setting(self) -> None:
        c = (case(dob="2020-03-15").looked_after("2025-01-06")
             .event("health_assessment", "2025-03-14", subkind="review"))
        assert_due(c, "health_assessment_review", "2026-03-14", health_review_age=4)

    def test_leaving_care_cancels_the_next_review(self) -> None:
        c = (case().looked_after("2025-01-06").event("health_assessment", "2025-01-20", subkind="initial")
             .left_care("2025-06-30"))
        assert_due(c, "health_assessment_review", "2026-01-20", status="cancelled")


class TestPersonalEducationPlan:
    def test_initial_pep_within_20_working_days_over_christmas_and_new_year(self) -> None:
        c = case(dob="2015-06-01").looked_after("2025-12-15")
        assert_due(c, "pep_initial", "2026-01-15")

    def test_the_first_pep_meets_it_and_starts_the_termly_reviews(self) -> None:
        c = case(dob="2015-06-01").looked_after("2025-10-01").event("pep_reviewed", "2025-10-31")
        assert_due(c, "pep_initial", "2025-10-29", status="met_late")
        assert_due(c, "pep_review", "2026-02-28")  # four months, no 31 February

    def test_termly_review_on_29_february(self) -> None:
        c = case(dob="2012-06-01").looked_after("2023-09-01").event("pep_reviewed", "2023-10-29")
        assert_due(c, "pep_review", "2024-02-29")

    def test_only_children_of_the_age_band(self) -> None:
        assert_no(case(dob="2023-01-10").looked_after("2025-03-03"), "pep_initial")  # aged 2
        assert_due(case(dob="2022-01-10").looked_after("2025-03-03"), "pep_initial", "2025-03-31")  # aged 3
        assert_no(case(dob="2022-01-10").looked_after("2025-03-03"), "pep_initial", pep_age_from=4)

    def test_days_and_interval_are_settings(self) -> None:
        c = case(dob="2015-06-01").looked_after("2025-03-03").event("pep_reviewed", "2025-10-31")
        assert_due(c, "pep_initial", "2025-03-17", pep_initial_working_days=10)
        assert_due(c, "pep_review", "2026-01-31", pep_review_months=3)


class TestReturnHomeInterview:
    def test_within_72_hours_of_the_return_never_rolled_to_a_working_day(self) -> None:
        c = case().looked_after("2025-01-06").event("missing_end", "2025-03-07", subkind="missing")
        d = assert_due(c, "return_home_interview", "2025-03-10")
        assert d.anchor_event == "missing_end"

    def test_a_return_on_christmas_eve_is_due_on_a_saturday_with_the_last_working_day_before(self) -> None:
        c = case().looked_after("2025-01-06").event("missing_end", "2025-12-24", subkind="missing")
        d = assert_due(c, "return_home_interview", "2025-12-27")
        assert d.last_working_day.isoformat() == "2025-12-24"

    def test_over_a_month_end_and_29_february(self) -> None:
        leap = case().looked_after("2024-01-08").event("missing_end", "2024-02-27", subkind="missing")
        assert_due(leap, "return_home_interview", "2024-03-01")
        plain = case().looked_after("2025-01-06").event("missing_end", "2025-02-27")  # no kind: counts
        assert_due(plain, "return_home_interview", "2025-03-02")

    def test_each_episode_has_its_own_interview(self) -> None:
        c = (case().looked_after("2025-01-06").event("missing_start", "2025-03-01", subkind="missing")
             .event("missing_end", "2025-03-02", subkind="missing").event("return_home_interview", "2025-03-04")
             .event("missing_start", "2025-04-10", subkind="missing")
             .event("missing_end", "2025-04-11", subkind="missing"))
        assert_due(c, "return_home_interview", "2025-03-05", nth=1, status="met")
        assert_due(c, "return_home_interview", "2025-04-14", nth=2, status="overdue")

    def test_away_from_placement_needs_none_unless_the_setting_says_so(self) -> None:
        c = case().looked_after("2025-01-06").event("missing_end", "2025-03-07", subkind="away")
        assert_no(c, "return_home_interview")
        assert_due(c, "return_home_interview", "2025-03-10", rhi_missing_kinds="missing,away")


class TestPlacementNotificationReg13:
    def test_within_five_working_days_over_easter(self) -> None:
        c = case().looked_after("2025-04-17").placement("2025-04-17")
        assert_due(c, "placement_notification", "2025-04-28", status="overdue")

    def test_a_notice_before_the_placement_meets_it(self) -> None:
        c = case().looked_after("2025-04-10").event("placement_notified", "2025-04-15").placement("2025-04-17")
        assert_due(c, "placement_notification", "2025-04-28", status="met")


class TestEmergencyPlacementReg23:
    def test_six_working_days_over_christmas_then_the_child_moves(self) -> None:
        c = case().looked_after("2025-12-19").placement("2025-12-19", kind="emergency_foster")
        assert_due(c, "emergency_placement_limit", "2025-12-31", status="overdue")
        c.event("placement_end", "2025-12-30").placement("2025-12-30", kind="foster")
        assert_due(c, "emergency_placement_limit", "2025-12-31", status="met")

    def test_the_carer_approved_for_the_child_meets_it(self) -> None:
        c = (case().looked_after("2025-03-03").placement("2025-03-03", kind="emergency_foster")
             .event("carer_approved", "2025-03-12"))
        assert_due(c, "emergency_placement_limit", "2025-03-11", status="met_late")

    def test_only_emergency_placements(self) -> None:
        assert_no(case().looked_after("2025-03-03").placement("2025-03-03", kind="foster"),
                  "emergency_placement_limit")


class TestVisitsWithParentReg28:
    def test_reg_28_3_weekly_until_the_first_review_then_six_weekly(self) -> None:
        c = (case().looked_after("2025-03-03").placement("2025-03-03", kind="with_parent").visit("2025-03-07")
             .review("2025-03-28").visit("2025-03-31"))
        assert_due(c, "visit_with_parent_reg19", "2025-03-14", status="met_late")
        assert_contributes(c, "visit_with_parent_reg19", "2025-05-12")
        assert_no(c, "visit_connected_or_parent")

    def test_reg_28_4_applies_instead_while_an_interim_care_order_is_in_force(self) -> None:
        c = (case().event("interim_care_order", "2025-02-20").looked_after("2025-02-20")
             .placement("2025-03-03", kind="with_parent").visit("2025-03-05").review("2025-03-14")
             .visit("2025-03-17"))
        assert_due(c, "visit_connected_or_parent", "2025-03-12", nth=1)
        assert_due(c, "visit_connected_or_parent", "2025-04-14", nth=2)  # four weeks after the first review
        assert not [x for x in deadlines(c) if "visit_with_parent_reg19" in {k.rule_id for k in x.contributors}]

    def test_reg_28_5_care_order_made_visit_within_a_week_then_six_weekly(self) -> None:
        c = (case().event("interim_care_order", "2025-01-06").looked_after("2025-01-06")
             .placement("2025-01-06", kind="with_parent").visit("2025-01-10").review("2025-01-31")
             .visit("2025-02-03").visit("2025-02-28").visit("2025-03-28").visit("2025-04-25").visit("2025-05-27")
             .event("care_order_made", "2025-06-02").visit("2025-06-06"))
        # the last ICO visit (27 May) set 24 June under reg 28(4); the care order brings it to 9 June
        assert_due(c, "visit_care_order_with_parent", "2025-06-09", status="met")
        assert_contributes(c, "visit_care_order_with_parent", "2025-07-18")
        assert not [x for x in deadlines(c) if x.anchor_date.isoformat() == "2025-06-06"
                    and x.rule_id == "visit_connected_or_parent"]

    def test_proceedings_concluded_also_ends_the_interim_order(self) -> None:
        c = (case().event("interim_care_order", "2025-01-06").looked_after("2025-01-06")
             .placement("2025-01-06", kind="with_parent").event("proceedings_concluded", "2025-03-03")
             .visit("2025-03-05"))
        assert_due(c, "visit_with_parent_reg19", "2025-03-12")


class TestAdoptionReg36:
    def test_authorised_not_placed_three_months_then_six_monthly(self) -> None:
        c = (case(dob="2023-05-01").looked_after("2025-06-02").event("authority_to_place", "2025-11-30"))
        assert_due(c, "adoption_review_authorised", "2026-02-28")  # 30 Feb does not exist
        c.event("adoption_review_held", "2026-02-20")
        assert_due(c, "adoption_review_authorised", "2026-08-20", nth=2)

    def test_authorised_on_29_november_2023_is_due_on_29_february(self) -> None:
        c = case(dob="2022-05-01").looked_after("2023-06-05").event("authority_to_place", "2023-11-29")
        assert_due(c, "adoption_review_authorised", "2024-02-29", status="overdue")

    def test_placement_for_adoption_ends_it(self) -> None:
        c = (case(dob="2023-05-01").looked_after("2025-06-02").placement("2025-06-02")
             .event("authority_to_place", "2025-11-30").placement("2026-01-12", kind="adoption")
             .event("placed_for_adoption", "2026-01-12"))
        assert_due(c, "adoption_review_authorised", "2026-02-28", status="cancelled")

    def test_visits_within_a_week_then_weekly_until_the_first_adoption_review(self) -> None:
        c = (case(dob="2023-05-01").looked_after("2025-06-02").placement("2025-12-19", kind="adoption")
             .event("placed_for_adoption", "2025-12-19").event("adoption_visit", "2025-12-23")
             .event("adoption_visit", "2025-12-30").event("adoption_review_held", "2026-01-09")
             .event("adoption_visit", "2026-01-09"))
        d = assert_due(c, "adoption_visit", "2025-12-26", nth=1, status="met")  # Boxing Day: calendar weeks
        assert d.last_working_day.isoformat() == "2025-12-24"
        assert_due(c, "adoption_visit", "2025-12-30", nth=2, status="met")
        assert_due(c, "adoption_visit", "2026-01-06", nth=3, status="met_late")
        assert len([x for x in deadlines(c) if x.rule_id == "adoption_visit"]) == 3  # none after the review


class TestCareLeavers:
    def test_pathway_plan_reviewed_six_monthly_from_the_last_review(self) -> None:
        c = (case(dob="2007-03-10").looked_after("2021-01-04").left_care("2025-03-10")
             .event("pathway_plan_reviewed", "2025-08-31"))
        assert_due(c, "pathway_plan_review", "2026-02-28")

    def test_pathway_plan_review_on_29_february(self) -> None:
        c = case(dob="2005-09-01").event("pathway_plan_reviewed", "2023-08-29")
        # still overdue when the 21st birthday (2026-09-01) ended the duty: a breach kept, never nagged
        assert_due(c, "pathway_plan_review", "2024-02-29", status="missed")

    def test_nothing_is_due_on_or_after_the_21st_birthday_unless_the_setting_extends_it(self) -> None:
        c = case(dob="2005-01-15").event("pathway_plan_reviewed", "2025-09-30")
        assert_due(c, "pathway_plan_review", "2026-03-30", status="cancelled")
        assert_due(c, "pathway_plan_review", "2026-03-30", status="overdue", care_leaver_until_age=25)

    def test_pa_visit_within_7_days_of_new_accommodation_then_two_monthly(self) -> None:
        c = (case(dob="2006-05-01").event("care_leaver_accommodation_start", "2025-02-21")
             .event("pa_visit", "2025-02-27").event("care_leaver_accommodation_start", "2025-04-10"))
        assert_due(c, "personal_adviser_visit", "2025-02-28", nth=1, status="met")
        assert_due(c, "personal_adviser_visit", "2025-04-17", nth=2, status="overdue")
        assert_due(c, "personal_adviser_visit", "2025-04-27", nth=3, status="overdue")

    def test_pa_visits_two_monthly_reach_29_february(self) -> None:
        c = (case(dob="2006-05-01").event("care_leaver_accommodation_start", "2023-12-20")
             .event("pa_visit", "2023-12-31"))
        assert_due(c, "personal_adviser_visit", "2024-02-29", nth=2, status="overdue")

    def test_no_pa_visit_is_due_before_the_council_provides_accommodation(self) -> None:
        assert_no(case(dob="2006-05-01").event("pa_visit", "2025-02-27"), "personal_adviser_visit")


class TestIroAllocated:
    def test_five_working_days_over_easter(self) -> None:
        c = case().looked_after("2025-04-11").event("iro_allocated", "2025-04-14")
        assert_due(c, "iro_allocated", "2025-04-22", status="met")

    def test_from_a_saturday_the_first_working_day_is_day_one(self) -> None:
        c = case().looked_after("2022-05-28")  # Mon 30 May 2022 was a working day; 2 and 3 June were not
        assert_due(c, "iro_allocated", "2022-06-07")


def test_the_missing_start_is_accounted_for() -> None:
    c = (case().looked_after("2025-01-06").event("missing_start", "2025-03-01", subkind="missing")
         .event("missing_end", "2025-03-02", subkind="missing").event("missing_start", "2025-04-10"))
    ignored = {e.event_id: e.reason for e in compute_case(c.timeline(), ruleset(), calendar(), AS_OF).ignored}
    assert "C1-1" not in ignored  # its episode ended: the interview clock runs from the return
    assert "no return yet" in ignored["C1-3"]
    assert find(c, "return_home_interview").anchor_date.isoformat() == "2025-03-02"


def test_each_new_rule_is_untracked_until_a_source_supplies_its_own_evidence() -> None:
    """`ptrack coverage`: a deployment whose sources carry periods, placements, reviews and visits only (an
    SSDA903-like feed) cannot judge the new rules, except those the placement's end can meet."""
    from datetime import UTC, date, datetime

    from ptrack.tracker.coverage import Supply, judge

    basic = ["looked_after_start", "looked_after_end", "placement_start", "placement_end", "review_held", "visit"]
    day, at = date(2026, 11, 1), datetime(2026, 11, 1, tzinfo=UTC)
    verdicts = {c.rule_id: c for c in judge(ruleset(), [Supply(k, "ssda903", 9, day, at) for k in basic])}
    untracked = {
        "health_assessment_initial": "health_assessment", "health_assessment_review": "health_assessment",
        "pep_initial": "pep_reviewed", "pep_review": "pep_reviewed",
        "return_home_interview": "return_home_interview", "placement_notification": "placement_notified",
        "adoption_review_authorised": "adoption_review_held", "adoption_visit": "adoption_visit",
        "pathway_plan_review": "pathway_plan_reviewed", "personal_adviser_visit": "pa_visit",
        "iro_allocated": "iro_allocated",
    }
    for rule_id, kind in untracked.items():
        assert not verdicts[rule_id].tracked and verdicts[rule_id].needs == (kind,), rule_id
        assert f"no {kind} events ever imported" in verdicts[rule_id].why
    for rule_id in ("emergency_placement_limit", "visit_with_parent_reg19", "visit_care_order_with_parent"):
        assert verdicts[rule_id].tracked, rule_id  # a move (placement_end) or a visit is evidence
    supplied = judge(ruleset(), [Supply("pep_reviewed", "csv", 1, day, at)])
    assert {c.rule_id for c in supplied if c.tracked} >= {"pep_initial", "pep_review"}
