"""CPPCR 2010 regs 4, 9, 24, 25, 28: care plans, placement plans, Reg 24 approvals and visits."""

from law import assert_due, assert_no, case, find


class TestVisitsReg28:
    def test_first_visit_within_one_week_of_any_placement(self) -> None:
        c = case().looked_after("2025-03-03").placement("2025-03-03")
        assert_due(c, "visit_first_week", "2025-03-10")  # calendar weeks: no roll over weekends

    def test_visits_six_weekly_in_the_first_year_counted_from_the_actual_visit(self) -> None:
        c = case().looked_after("2025-03-03").placement("2025-03-03").visit("2025-03-07").visit("2025-04-25")
        assert_due(c, "visit_year1", "2025-04-18", nth=1, status="met_late")
        assert_due(c, "visit_year1", "2025-06-06", nth=2)

    def test_after_year_one_three_monthly_when_intended_until_18(self) -> None:
        c = case().looked_after("2024-01-08").placement("2024-01-08", until_18=True).visit("2025-01-10")
        assert_due(c, "visit_after_year1", "2025-04-10")

    def test_after_year_one_six_weekly_otherwise(self) -> None:
        c = case().looked_after("2024-01-08").placement("2024-01-08", until_18=False).visit("2025-01-10")
        assert_due(c, "visit_after_year1", "2025-02-21")

    def test_interval_crossing_the_anniversary_is_the_one_in_force_on_the_last_visit(self) -> None:
        c = case().looked_after("2024-01-08").placement("2024-01-08", until_18=True).visit("2024-12-20")
        assert_due(c, "visit_year1", "2025-01-31")
        assert_due(c, "visit_after_year1", "2025-03-20", visit_interval_at_anniversary="due_date")

    def test_a_placement_move_starts_a_new_first_week_visit(self) -> None:
        c = (case().looked_after("2025-03-03").placement("2025-03-03").visit("2025-03-05")
             .placement("2025-04-01", kind="residential"))
        assert_due(c, "visit_first_week", "2025-04-08", nth=2)
        old = find(c, "visit_year1")
        assert old.status.value == "cancelled" and "next placement" in old.cancel_reason

    def test_connected_person_weekly_until_the_first_review_then_four_weekly(self) -> None:
        c = (case().looked_after("2025-03-03").placement("2025-03-03", kind="connected_person")
             .visit("2025-03-07").review("2025-03-28").visit("2025-03-31"))
        assert_due(c, "visit_connected_or_parent", "2025-03-14", nth=1, status="met_late")
        assert_due(c, "visit_connected_or_parent", "2025-04-28", nth=2)

    def test_placement_with_parent_is_weekly(self) -> None:
        # reg 28(3) (placed under reg 19); reg 28(4) only while an interim care order is in force
        c = case().looked_after("2025-03-03").placement("2025-03-03", kind="with_parent").visit("2025-03-05")
        assert_due(c, "visit_with_parent_reg19", "2025-03-12")
        c = c.event("interim_care_order", "2025-03-03")
        assert_due(c, "visit_connected_or_parent", "2025-03-12")

    def test_leaving_care_cancels_the_next_visit(self) -> None:
        c = case().looked_after("2025-03-03").placement("2025-03-03").visit("2025-03-05").left_care("2025-03-20")
        assert_due(c, "visit_year1", "2025-04-16", status="cancelled")


class TestReg24TemporaryApproval:
    def test_expires_after_16_weeks(self) -> None:
        c = (case().looked_after("2025-01-06").placement("2025-01-06", kind="connected_person")
             .event("temporary_approval", "2025-01-06"))
        assert_due(c, "reg24_expiry", "2025-04-28")

    def test_one_extension_of_up_to_8_weeks_24_weeks_at_most(self) -> None:
        c = (case().looked_after("2025-01-06").placement("2025-01-06", kind="connected_person")
             .event("temporary_approval", "2025-01-06").event("approval_extended", "2025-04-01", weeks=8)
             .event("approval_extended", "2025-05-01", weeks=8))
        got = assert_due(c, "reg24_expiry", "2025-06-23")
        assert any("extended by 8 weeks" in n for n in got.notes)

    def test_full_approval_meets_it(self) -> None:
        c = (case().looked_after("2025-01-06").placement("2025-01-06", kind="connected_person")
             .event("temporary_approval", "2025-01-06").event("carer_approved", "2025-04-01"))
        assert_due(c, "reg24_expiry", "2025-04-28", status="met")

    def test_setting_16_weeks_beginning_with_the_approval_day(self) -> None:
        c = (case().looked_after("2025-01-06").placement("2025-01-06", kind="connected_person")
             .event("temporary_approval", "2025-01-06"))
        assert_due(c, "reg24_expiry", "2025-04-27", reg24_expiry="16 BW")


class TestPlansRegs4And9:
    def test_placement_plan_within_five_working_days(self) -> None:
        c = case().looked_after("2025-04-15").placement("2025-04-15")
        assert_due(c, "placement_plan", "2025-04-24")  # skips Good Friday and Easter Monday

    def test_placement_plan_agreed_before_the_placement_meets_it(self) -> None:
        c = case().looked_after("2025-04-15").event("placement_plan_agreed", "2025-04-14").placement("2025-04-15")
        assert_due(c, "placement_plan", "2025-04-24", status="met")

    def test_care_plan_within_ten_working_days_of_the_first_placement(self) -> None:
        c = case().looked_after("2025-04-10").placement("2025-04-11").placement("2025-04-20")
        assert_due(c, "care_plan", "2025-04-29")
        assert len([x for x in [find(c, "care_plan")]]) == 1

    def test_no_care_plan_deadline_without_a_placement(self) -> None:
        assert_no(case().looked_after("2025-04-10"), "care_plan")


class TestLocalPlacementMeetingsSomerset:
    packs = ("england", "somerset")

    def test_pre_placement_meeting_at_the_latest_five_days_after(self) -> None:
        c = case().looked_after("2025-03-07").placement("2025-03-07")
        assert_due(c, "pre_placement_meeting", "2025-03-12", packs=self.packs)
        assert_due(c, "pre_placement_meeting", "2025-03-14", packs=self.packs, somerset_5_days="WD")

    def test_placement_support_meeting_six_monthly(self) -> None:
        c = (case().looked_after("2024-08-31").placement("2024-08-31")
             .event("placement_support_meeting", "2025-02-20"))
        assert_due(c, "placement_support_meeting", "2025-02-28", nth=1, packs=self.packs, status="met")
        assert_due(c, "placement_support_meeting", "2025-08-20", nth=2, packs=self.packs)
