"""CPPCR 2010 reg 48: a series of short breaks follows its own review and visit timetable.

"(3) The modifications are that— ... (b) regulations 7, 13 and 49(2)(b) do not apply, (c) regulation 28(2) does not
apply, but instead the responsible authority must ensure that R visits C on days when C is in fact placed ... the
first visit must take place within three months of the start of the first placement ... subsequent visits ... at
intervals of not more than six months", and reg 33 gives way to a first review "within three months of the start of
the first placement" and later reviews "at intervals of not more than six months" (docs/rules.md quotes the text).
"""

from law import assert_due, assert_no, case, d, deadlines, find


def breaks(*spans: tuple[str, str], dob: str = "2014-05-10") -> object:
    """A child on short breaks: each (start, end) is one break, recorded as a period of care."""
    c = case(dob=dob)
    for start, end in spans:
        c.looked_after(start, short_break=True).placement(start, "short_break").left_care(end)
    return c


class TestFirstReviewWithinThreeMonthsOfTheFirstBreak:
    def test_three_months_from_the_first_break_of_the_series_not_from_each_break(self) -> None:
        c = breaks(("2025-01-10", "2025-01-12"), ("2025-02-14", "2025-02-16"), ("2025-03-21", "2025-03-23"))
        got = [x for x in deadlines(c) if x.rule_id == "short_break_review_first"]
        assert [x.due.isoformat() for x in got] == ["2025-04-10"]

    def test_month_end_without_the_same_day_and_29_february(self) -> None:
        assert_due(breaks(("2023-11-30", "2023-12-02")), "short_break_review_first", "2024-02-29")
        assert_due(breaks(("2024-11-30", "2024-12-01")), "short_break_review_first", "2025-02-28")

    def test_a_calendar_month_limit_never_rolls_over_a_weekend_or_bank_holiday(self) -> None:
        # 2025-01-21 + 3 months = Easter Monday 21 April 2025: due that day, last working day Thu 17 April.
        got = assert_due(breaks(("2025-01-21", "2025-01-23")), "short_break_review_first", "2025-04-21")
        assert got.last_working_day == d("2025-04-17")

    def test_a_review_on_the_due_date_is_in_time(self) -> None:
        c = breaks(("2025-01-10", "2025-01-12")).review("2025-04-10")
        assert_due(c, "short_break_review_first", "2025-04-10", status="met")

    def test_a_review_between_breaks_meets_it(self) -> None:
        c = breaks(("2025-01-10", "2025-01-12"), ("2025-05-02", "2025-05-04")).review("2025-03-05")
        assert_due(c, "short_break_review_first", "2025-04-10", status="met")


class TestLaterReviewsAtIntervalsOfNotMoreThanSixMonths:
    def test_six_months_from_the_review_actually_held(self) -> None:
        c = breaks(("2025-01-10", "2025-01-12"), ("2025-06-06", "2025-06-08"), ("2025-10-03", "2025-10-05"))
        c.review("2025-03-31").review("2025-09-30")
        assert_due(c, "short_break_review_subsequent", "2025-09-30", nth=1, status="met")
        assert_due(c, "short_break_review_subsequent", "2026-03-30", nth=2)

    def test_31_august_plus_six_months_is_the_end_of_february(self) -> None:
        c = breaks(("2023-06-02", "2023-06-04"), ("2023-12-01", "2023-12-03")).review("2023-08-31")
        assert_due(c, "short_break_review_subsequent", "2024-02-29", as_of=d("2023-12-10"))


class TestVisitsOnDaysTheChildIsInFactPlaced:
    def test_first_within_three_months_then_six_monthly_from_the_last_visit(self) -> None:
        c = breaks(("2025-01-10", "2025-01-12"), ("2025-03-07", "2025-03-09"), ("2025-08-29", "2025-08-31"))
        c.visit("2025-03-08").visit("2025-08-30")
        assert_due(c, "short_break_visit", "2025-04-10", nth=1, status="met")
        assert_due(c, "short_break_visit", "2025-09-08", nth=2, status="met")
        assert_due(c, "short_break_visit", "2026-02-28", nth=3)

    def test_a_visit_on_a_day_the_child_was_at_home_does_not_count(self) -> None:
        c = breaks(("2025-01-10", "2025-01-12"), ("2025-05-02", "2025-05-04")).visit("2025-03-05")
        got = find(c, "short_break_visit", as_of=d("2025-05-10"))
        assert got.due == d("2025-04-10") and got.status.value == "overdue"


class TestTheRulesReg48Disapplies:
    def test_no_reg33_reviews_reg28_2_visits_or_placement_plan(self) -> None:
        c = breaks(("2025-01-10", "2025-01-12"), ("2025-02-14", "2025-02-16"))
        for rule in ("cla_review_first", "cla_review_second", "visit_first_week", "visit_year1",
                     "placement_plan", "care_plan", "permanence_plan_by_second_review"):
            assert_no(c, rule)

    def test_no_health_assessment_placement_notification_pep_or_iro_allocation(self) -> None:
        # Reg 48 disapplies reg 7 (health assessment) and reg 13 (placement notification); the PEP is part of
        # the reg 4/5 care plan the short-break care plan replaces, and the series' reviews are the IRO's.
        timetable = ("health_assessment_initial", "health_assessment_review", "pep_initial", "pep_review",
                     "placement_notification", "iro_allocated")
        c = breaks(("2025-01-10", "2025-01-12"), ("2025-02-14", "2025-02-16"))
        for rule in timetable:
            assert_no(c, rule, as_of=d("2025-03-01"))
        full = case(dob="2014-05-10").looked_after("2025-01-10").placement("2025-01-10", "foster")
        assert {x.rule_id for x in deadlines(full, as_of=d("2025-03-01"))} >= set(timetable) - {
            "health_assessment_review", "pep_review"}

    def test_a_child_on_short_breaks_never_becomes_eligible_for_leaving_care_support(self) -> None:
        # Reg 40(2): a child to whom reg 48 applies is not an eligible child, however many breaks after 14.
        c = breaks(*[(f"20{y}-{m:02d}-01", f"20{y}-{m:02d}-10") for y in (28, 29) for m in range(1, 13)],
                   dob="2013-01-15")
        assert_no(c, "needs_assessment_16", as_of=d("2030-01-01"))

    def test_the_canonical_kind_short_breaks_marks_the_period(self) -> None:
        c = case(dob="2014-05-10").event("looked_after_start", "2025-01-10", subkind="short_breaks")
        assert_no(c, "cla_review_first")
        assert_due(c, "short_break_review_first", "2025-04-10")


class TestTheSeries:
    def test_a_gap_longer_than_twelve_months_starts_a_new_series(self) -> None:
        c = breaks(("2023-01-06", "2023-01-08"), ("2024-01-19", "2024-01-21"))
        assert [x.due.isoformat() for x in deadlines(c) if x.rule_id == "short_break_review_first"] == [
            "2023-04-06", "2024-04-19"]

    def test_a_gap_of_exactly_twelve_months_continues_it(self) -> None:
        c = breaks(("2023-01-06", "2023-01-08"), ("2024-01-08", "2024-01-10"))
        assert [x.due.isoformat() for x in deadlines(c) if x.rule_id == "short_break_review_first"] == [
            "2023-04-06"]

    def test_the_gap_is_a_setting(self) -> None:
        c = breaks(("2025-01-06", "2025-01-08"), ("2025-09-05", "2025-09-07"))
        firsts = [x.due.isoformat() for x in deadlines(c, short_break_series_gap_months=6)
                  if x.rule_id == "short_break_review_first"]
        assert firsts == ["2025-04-06", "2025-12-05"]

    def test_entering_full_care_starts_the_full_regime_that_day(self) -> None:
        c = breaks(("2025-01-10", "2025-01-12"), ("2025-02-14", "2025-02-16"))
        c.looked_after("2025-03-03").placement("2025-03-03", "foster")
        assert_due(c, "cla_review_first", "2025-03-31")
        assert_due(c, "visit_first_week", "2025-03-10")
        sb = find(c, "short_break_review_first")
        assert sb.due == d("2025-04-10") and sb.status.value == "cancelled"
        assert "entered full care" in sb.cancel_reason

    def test_full_care_while_a_break_is_still_open_closes_it(self) -> None:
        c = case(dob="2014-05-10").looked_after("2025-01-10", short_break=True).looked_after("2025-02-03")
        assert_due(c, "cla_review_first", "2025-03-03")
        assert find(c, "short_break_review_first").status.value == "cancelled"

    def test_full_care_starting_the_day_a_break_ends_gets_the_full_regime(self) -> None:
        c = breaks(("2025-02-28", "2025-03-03"))
        c.looked_after("2025-03-03").placement("2025-03-03", "foster")
        assert_due(c, "visit_first_week", "2025-03-10")
        assert_due(c, "placement_plan", "2025-03-10")
        assert_due(c, "cla_review_first", "2025-03-31")

    def test_breaks_after_full_care_start_a_new_series(self) -> None:
        c = breaks(("2025-01-10", "2025-01-12"))
        c.looked_after("2025-02-03").left_care("2025-05-30")
        c.looked_after("2025-07-04", short_break=True).left_care("2025-07-06")
        assert [x.due.isoformat() for x in deadlines(c) if x.rule_id == "short_break_review_first"] == [
            "2025-04-10", "2025-10-04"]


class TestCoverageStaysHonest:
    """Each short-break rule declares the events that evidence it: a 903-only deployment (reviews, no visits)
    judges the reviews and leaves the visits untracked until visits arrive."""

    def test_the_evidence_each_rule_declares(self) -> None:
        from datetime import UTC, datetime

        from law import ruleset

        from ptrack.tracker.coverage import Supply, judge

        only_903 = [Supply("review_held", "ssda903", 12, d("2026-11-01"), datetime(2026, 11, 2, tzinfo=UTC))]
        verdicts = {c.rule_id: c for c in judge(ruleset(), only_903)}
        assert verdicts["short_break_review_first"].needs == ("review_held",)
        assert verdicts["short_break_review_first"].tracked and verdicts["short_break_review_subsequent"].tracked
        assert verdicts["short_break_visit"].needs == ("visit",) and not verdicts["short_break_visit"].tracked
        assert "no visit events ever imported" in verdicts["short_break_visit"].why
        with_visits = [*only_903, Supply("visit", "csv", 3, d("2026-11-01"), datetime(2026, 11, 2, tzinfo=UTC))]
        assert {c.rule_id: c for c in judge(ruleset(), with_visits)}["short_break_visit"].tracked
