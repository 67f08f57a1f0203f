"""Permanence: plans, PPMs, proceedings, panels, pathway plans, leaving-care assessments, Staying Put."""

from law import assert_due, assert_no, case, find

ALL = ("england", "tameside", "somerset", "enfield", "cheshire_east", "halton")


class TestCareProceedingsS32:
    def test_spec_example_26_weeks_beginning_with_the_day_of_issue(self) -> None:
        c = case().looked_after("2024-01-05").event("proceedings_issued", "2024-01-08")
        assert_due(c, "care_proceedings_26_weeks", "2024-07-07")  # a Sunday: never rolls forward

    def test_each_extension_adds_up_to_eight_weeks(self) -> None:
        c = (case().event("proceedings_issued", "2024-01-08").event("proceedings_extended", "2024-06-01", weeks=8)
             .event("proceedings_extended", "2024-08-20", weeks=12))
        got = assert_due(c, "care_proceedings_26_weeks", "2024-10-27")
        assert len(got.notes) == 2

    def test_concluded_proceedings_meet_it_and_need_no_period_of_care(self) -> None:
        c = case().event("proceedings_issued", "2024-01-08").event("proceedings_concluded", "2024-06-28")
        assert_due(c, "care_proceedings_26_weeks", "2024-07-07", status="met")


class TestPermanencePlan:
    def test_by_the_second_review_and_it_moves_with_it(self) -> None:
        c = case().looked_after("2024-12-19").review("2025-01-10")
        got = assert_due(c, "permanence_plan_by_second_review", "2025-04-10")
        assert "moves with cla_review_second" in got.notes[0]

    def test_agreed_plan_meets_it(self) -> None:
        c = case().looked_after("2024-12-19").event("permanence_plan_agreed", "2025-01-15").review("2025-01-21")
        assert_due(c, "permanence_plan_by_second_review", "2025-04-21", status="met")

    def test_halton_earlier_of_second_review_and_four_months(self) -> None:
        c = case().looked_after("2024-12-19").review("2025-01-21")
        got = assert_due(c, "permanence_plan_by_4_months", "2025-04-19", packs=("england", "halton"))
        assert {x.rule_id for x in got.contributors} == {"permanence_plan_by_4_months",
                                                          "permanence_plan_by_second_review"}
        early = case().looked_after("2024-12-19").review("2024-12-20")
        assert_due(early, "permanence_plan_by_second_review", "2025-03-20", packs=("england", "halton"))


class TestPermanencyPlanningMeetingsTameside:
    packs = ("england", "tameside")

    def test_initial_ppm_within_20_calendar_days_by_default(self) -> None:
        c = case().looked_after("2025-03-07")
        assert_due(c, "ppm_initial", "2025-03-27", packs=self.packs)
        assert_due(c, "ppm_initial", "2025-04-04", packs=self.packs, tameside_20_days="WD")

    def test_then_six_weekly_until_permanence(self) -> None:
        c = case().looked_after("2025-03-07").event("ppm_held", "2025-03-20")
        assert_due(c, "ppm_recurring", "2025-05-01", packs=self.packs)
        done = c.event("permanence_achieved", "2025-04-10", subkind="long_term_match")
        assert_due(done, "ppm_recurring", "2025-05-01", packs=self.packs, status="cancelled")

    def test_ppm_six_weeks_before_the_final_care_plan(self) -> None:
        c = case().looked_after("2025-03-07").event("final_care_plan_due", "2025-07-04")
        assert_due(c, "ppm_before_final_care_plan", "2025-05-23", packs=self.packs)

    def test_cf_assessment_annually(self) -> None:
        c = case().looked_after("2024-02-29").event("assessment_completed", "2024-02-29")
        assert_due(c, "cf_assessment_refresh", "2025-02-28", packs=self.packs)


class TestPpmEnfield:
    packs = ("england", "enfield")

    def test_in_proceedings_due_soon_at_six_weeks_overdue_after_eight(self) -> None:
        from law import d
        c = case().looked_after("2025-01-06").event("proceedings_issued", "2025-01-08").event("ppm_held", "2025-02-03")
        got = assert_due(c, "ppm_in_proceedings", "2025-03-31", packs=self.packs)
        assert got.due_soon_from == d("2025-03-17")
        assert find(c, "ppm_in_proceedings", packs=self.packs, as_of=d("2025-03-17")).status.value == "due_soon"

    def test_after_proceedings_eight_weekly(self) -> None:
        c = (case().looked_after("2025-01-06").event("proceedings_issued", "2025-01-08")
             .event("proceedings_concluded", "2025-05-01").event("ppm_held", "2025-05-10"))
        assert_due(c, "ppm_post_proceedings", "2025-07-05", packs=self.packs)


class TestSomersetPpmBeforeSecondReview:
    def test_due_with_the_second_review(self) -> None:
        c = case().looked_after("2024-12-19").review("2025-01-21")
        assert_due(c, "ppm_before_second_review", "2025-04-21", packs=("england", "somerset"))


class TestPanelsHalton:
    packs = ("england", "halton")

    def test_invitation_two_weeks_and_paperwork_one_week_before_panel(self) -> None:
        c = case().looked_after("2025-01-06").event("panel_date", "2025-06-12")
        assert_due(c, "panel_invitation", "2025-05-29", packs=self.packs)
        assert_due(c, "panel_paperwork", "2025-06-05", packs=self.packs)
        assert_due(c, "panel_annual_review", "2026-06-12", packs=self.packs)


class TestLeavingCare:
    def test_pathway_plan_by_fifteen_and_a_half_cheshire_east(self) -> None:
        c = case(dob="2010-08-31").looked_after("2024-06-03")
        assert_due(c, "pathway_plan_by_15_5", "2026-02-28", packs=("england", "cheshire_east"))

    def test_pathway_plan_not_owed_after_leaving_care(self) -> None:
        c = case(dob="2010-08-31").looked_after("2024-06-03").left_care("2025-01-10")
        assert_no(c, "pathway_plan_by_15_5", packs=("england", "cheshire_east"))

    def test_needs_assessment_three_months_after_the_16th_birthday_when_eligible(self) -> None:
        c = case(dob="2009-05-10").looked_after("2024-01-08")
        assert_due(c, "needs_assessment_16", "2025-08-10")

    def test_needs_assessment_after_becoming_eligible_later_than_16(self) -> None:
        c = case(dob="2009-05-10").looked_after("2025-04-01")  # 13 weeks in care reached 1 Jul 2025
        assert_due(c, "needs_assessment_16", "2025-10-01")

    def test_staying_put_at_the_first_review_after_16_tameside(self) -> None:
        c = case(dob="2009-05-10").looked_after("2024-01-08").review("2024-02-01").review("2024-05-01").review(
            "2024-11-01").review("2025-05-20")
        assert_due(c, "staying_put_review", "2025-05-20", packs=("england", "tameside"))


class TestPrivateFosteringAndAdoption:
    def test_private_fostering_first_visit_seven_working_days(self) -> None:
        c = case().event("pf_notified", "2025-04-15")
        assert_due(c, "pf_initial_visit", "2025-04-28")

    def test_private_fostering_visits_six_then_twelve_weekly(self) -> None:
        c = case().event("pf_notified", "2024-01-08").event("pf_visit", "2024-01-10").event("pf_visit", "2025-02-01")
        assert_due(c, "pf_visit", "2024-02-21", nth=1)
        assert_due(c, "pf_visit", "2025-04-26", nth=2)

    def test_adoption_reviews_four_weeks_three_months_six_months(self) -> None:
        c = (case().looked_after("2024-01-08").event("placed_for_adoption", "2024-03-01")
             .event("adoption_review_held", "2024-03-25").event("adoption_review_held", "2024-06-20"))
        assert_due(c, "adoption_review", "2024-03-29", nth=1, status="met")
        assert_due(c, "adoption_review", "2024-06-25", nth=2, status="met")
        assert_due(c, "adoption_review", "2024-12-20", nth=3)


class TestIroDisputes:
    def test_stage_sla_and_twenty_working_day_total(self) -> None:
        c = case().looked_after("2025-01-06").event("dispute_raised", "2025-04-14").event(
            "dispute_stage_started", "2025-04-24")
        assert_due(c, "iro_dispute_stage", "2025-04-23", nth=1, status="met_late")
        assert_due(c, "iro_dispute_stage", "2025-05-01", nth=2)
        assert_due(c, "iro_dispute_total", "2025-05-15")  # Good Friday, Easter Monday, 5 May


def test_every_pack_together_loads_and_computes() -> None:
    c = case().looked_after("2024-12-19").placement("2024-12-19", kind="connected_person").review("2025-01-21")
    rules = {x.rule_id for x in __import__("law").deadlines(c, packs=ALL)}
    assert {"cla_review_first", "cla_review_second", "visit_first_week", "ppm_initial"} <= rules
