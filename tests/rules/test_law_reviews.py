"""CPPCR 2010 reg 33: looked-after reviews, and the local review rules that compete with it."""

from law import assert_due, assert_no, case, d, deadlines, find


class TestFirstReviewReg33_1:
    """"...within 20 working days of the date on which the child becomes looked after" (reg 33(1))."""

    def test_spec_example_christmas_and_new_year_are_skipped(self) -> None:
        got = assert_due(case().looked_after("2024-12-19"), "cla_review_first", "2025-01-21")
        assert [name for _, name in got.skipped if name not in ("Saturday", "Sunday")] == [
            "Christmas Day", "Boxing Day", "New Year's Day"]

    def test_spec_example_saturday_start_and_the_moved_2022_spring_bank_holiday(self) -> None:
        # Mon 30 May 2022 was a working day: the spring bank holiday moved to Thu 2 June (+ Fri 3 June jubilee).
        assert_due(case().looked_after("2022-05-28"), "cla_review_first", "2022-06-28")

    def test_plain_weekdays(self) -> None:
        assert_due(case().looked_after("2025-03-03"), "cla_review_first", "2025-03-31")

    def test_good_friday_and_easter_monday(self) -> None:
        got = assert_due(case().looked_after("2025-04-01"), "cla_review_first", "2025-05-01")
        names = {name for _, name in got.skipped}
        assert {"Good Friday", "Easter Monday"} <= names

    def test_substitute_day_27_december_2022(self) -> None:
        got = assert_due(case().looked_after("2022-12-20"), "cla_review_first", "2023-01-20")
        assert "Christmas Day (observed)" in {name for _, name in got.skipped}

    def test_one_off_days_state_funeral_and_coronation(self) -> None:
        assert_due(case().looked_after("2022-09-01"), "cla_review_first", "2022-09-30")  # skips 19 Sep 2022
        assert_due(case().looked_after("2023-05-01"), "cla_review_first", "2023-05-31")  # skips 8 and 29 May 2023

    def test_christmas_eve_and_new_years_eve_are_working_days(self) -> None:
        assert_due(case().looked_after("2025-12-23"), "cla_review_first", "2026-01-23")

    def test_review_on_the_due_date_is_in_time_and_the_next_day_is_late(self) -> None:
        on_time = case().looked_after("2024-12-19").review("2025-01-21")
        assert_due(on_time, "cla_review_first", "2025-01-21", status="met")
        late = case().looked_after("2024-12-19").review("2025-01-22")
        assert_due(late, "cla_review_first", "2025-01-21", status="met_late")

    def test_overdue_starts_the_day_after_the_due_date(self) -> None:
        c = case().looked_after("2024-12-19")
        assert find(c, "cla_review_first", as_of=d("2025-01-21")).status.value == "due_soon"
        assert find(c, "cla_review_first", as_of=d("2025-01-22")).status.value == "overdue"
        assert find(c, "cla_review_first", as_of=d("2024-12-20")).status.value == "upcoming"

    def test_short_breaks_follow_their_own_regime(self) -> None:
        assert_no(case().looked_after("2025-03-03", short_break=True), "cla_review_first")


class TestSecondAndLaterReviewsReg33_2:
    """"...not more than three months after the first" and "not more than six months after the previous"."""

    def test_spec_example_easter_monday_due_date_and_last_working_day(self) -> None:
        got = assert_due(case().looked_after("2024-12-19").review("2025-01-21"), "cla_review_second", "2025-04-21")
        assert got.last_working_day == d("2025-04-17")  # Good Friday and Easter Monday never roll forward

    def test_spec_example_29_february(self) -> None:
        assert_due(case().looked_after("2023-11-01").review("2023-11-30"), "cla_review_second", "2024-02-29")

    def test_month_end_without_the_same_day_takes_the_last_day(self) -> None:
        assert_due(case().looked_after("2023-10-05").review("2023-10-31"), "cla_review_second", "2024-01-31")
        assert_due(case().looked_after("2024-11-01").review("2024-11-30"), "cla_review_second", "2025-02-28")

    def test_subsequent_reviews_are_six_monthly_from_the_review_actually_held(self) -> None:
        c = case().looked_after("2024-01-08").review("2024-02-01").review("2024-04-20").review("2024-10-31")
        assert_due(c, "cla_review_subsequent", "2024-10-20", nth=1, status="met_late")
        assert_due(c, "cla_review_subsequent", "2025-04-30", nth=2, status="overdue")  # INT: from 31 Oct, not 20 Oct

    def test_31_august_plus_six_months_is_the_end_of_february(self) -> None:
        c = case().looked_after("2023-06-01").review("2023-06-20").review("2023-08-31")
        assert_due(c, "cla_review_subsequent", "2024-02-29")

    def test_a_review_held_early_restarts_the_clock_from_when_it_happened(self) -> None:
        c = case().looked_after("2024-12-19").review("2025-01-06")  # first review well before day 20
        assert_due(c, "cla_review_first", "2025-01-21", status="met")
        assert_due(c, "cla_review_second", "2025-04-06")

    def test_an_extra_review_counts_as_the_second_by_default(self) -> None:
        c = case().looked_after("2024-12-19").review("2025-01-21").review("2025-02-10", subkind="additional")
        assert_due(c, "cla_review_second", "2025-04-21", status="met")
        assert_due(c, "cla_review_subsequent", "2025-08-10")

    def test_setting_extra_reviews_do_not_count(self) -> None:
        c = case().looked_after("2024-12-19").review("2025-01-21").review("2025-02-10", subkind="additional")
        assert_due(c, "cla_review_second", "2025-04-21", status="overdue", extra_review_counts_as_second=False)


class TestPeriodsOfCare:
    def test_a_second_period_of_care_restarts_the_first_review_clock(self) -> None:
        c = (case().looked_after("2023-01-09").review("2023-02-03").left_care("2023-03-15")
             .looked_after("2024-12-19"))
        assert_due(c, "cla_review_first", "2023-02-06", nth=1, status="met")
        assert_due(c, "cla_review_first", "2025-01-21", nth=2, status="overdue")

    def test_leaving_care_before_a_deadline_cancels_it(self) -> None:
        c = case().looked_after("2025-01-06").review("2025-02-01").left_care("2025-03-10")
        got = assert_due(c, "cla_review_second", "2025-05-01", status="cancelled")
        assert got.cancelled_on == d("2025-03-10") and "left care" in got.cancel_reason

    def test_cancellation_is_not_retroactive_for_an_earlier_as_of(self) -> None:
        c = case().looked_after("2025-01-06").review("2025-02-01").left_care("2025-03-10")
        assert find(c, "cla_review_second", as_of=d("2025-03-01")).status.value == "upcoming"

    def test_events_after_the_as_of_date_are_not_yet_known(self) -> None:
        c = case().looked_after("2024-12-19").review("2025-01-21")
        assert find(c, "cla_review_first", as_of=d("2025-01-10")).status.value == "due_soon"
        assert not [x for x in deadlines(c, as_of=d("2025-01-10")) if x.rule_id == "cla_review_second"]


class TestUnderFivesSomerset:
    """Somerset: children under 5 reviewed at least 3-monthly until permanence is achieved."""

    packs = ("england", "somerset")

    def test_under_five_third_review_three_months_after_the_second(self) -> None:
        c = case(dob="2022-03-01").looked_after("2024-01-08").review("2024-02-01").review("2024-05-01")
        got = assert_due(c, "cla_review_under5", "2024-08-01", packs=self.packs)
        assert [x.rule_id for x in got.contributors] == ["cla_review_under5", "cla_review_subsequent"]

    def test_the_statutory_second_review_wins_a_tie(self) -> None:
        c = case(dob="2022-03-01").looked_after("2024-01-08").review("2024-02-01")
        assert_due(c, "cla_review_second", "2024-05-01", packs=self.packs)

    def test_age_is_judged_on_the_previous_review_date(self) -> None:
        c = case(dob="2019-03-01").looked_after("2023-06-01").review("2023-06-20").review("2024-02-29")
        assert_due(c, "cla_review_under5", "2024-05-29", packs=self.packs)  # 4 on 29 Feb 2024
        c2 = case(dob="2019-03-01").looked_after("2023-06-01").review("2023-06-20").review("2024-03-01")
        assert_due(c2, "cla_review_subsequent", "2024-09-01", packs=self.packs)  # 5 on 1 Mar 2024

    def test_permanence_ends_the_local_rule(self) -> None:
        c = (case(dob="2022-03-01").looked_after("2024-01-08").review("2024-02-01")
             .event("permanence_achieved", "2024-03-01", subkind="sgo").review("2024-05-01"))
        assert_due(c, "cla_review_subsequent", "2024-11-01", packs=self.packs)

    def test_not_active_without_the_local_pack(self) -> None:
        c = case(dob="2022-03-01").looked_after("2024-01-08").review("2024-02-01").review("2024-05-01")
        assert_no(c, "cla_review_under5")
