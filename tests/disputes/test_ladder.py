"""The dispute ladder, pure: stage deadlines on the working-day calendar, RAG, bypass, the annual report."""

from __future__ import annotations

from datetime import date

import pytest

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.config import DisputeConfig, DisputeStage, parse_config
from ptrack.tracker.disputes.ladder import Dispute, DisputeError, Ladder, Rag, annual_report, bypassed_stages
from ptrack.tracker.errors import ConfigError


def d(text: str) -> date:
    return date.fromisoformat(text)


def dispute(raised: str, stage: int = 1, started: str | None = None, **kw: object) -> Dispute:
    return Dispute(1, "C1", "iro@example.org", str(kw.pop("status", "open")), stage, d(raised),
                   d(started or raised), **kw)  # type: ignore[arg-type]


def test_stage_and_total_deadlines_skip_easter_and_the_may_bank_holiday(calendar: WorkingDayCalendar) -> None:
    ladder = Ladder(DisputeConfig(), calendar)
    # Raised Mon 14 Apr 2025: Good Friday 18 Apr and Easter Monday 21 Apr are not working days.
    assert ladder.stage_due(1, d("2025-04-14")) == d("2025-04-23")
    # 20 working days: also skips the early May bank holiday (5 May 2025); same as the engine's iro_dispute_total.
    assert ladder.total_due(d("2025-04-14")) == d("2025-05-15")


def test_each_stage_has_its_own_sla(calendar: WorkingDayCalendar) -> None:
    ladder = Ladder(DisputeConfig((DisputeStage("Team manager", 3), DisputeStage("Director", 10)), 20), calendar)
    assert ladder.stage_due(1, d("2026-11-23")) == d("2026-11-26")
    assert ladder.stage_due(2, d("2026-11-23")) == d("2026-12-07")
    with pytest.raises(DisputeError, match="stage 3 is not on the ladder"):
        ladder.stage_due(3, d("2026-11-23"))


@pytest.mark.parametrize(("as_of", "rag"), [
    ("2026-11-02", Rag.GREEN), ("2026-11-06", Rag.GREEN), ("2026-11-09", Rag.AMBER), ("2026-11-10", Rag.RED),
])
def test_rag_green_within_the_sla_amber_on_its_last_day_red_after(calendar: WorkingDayCalendar, as_of: str,
                                                                  rag: Rag) -> None:
    standing = Ladder(DisputeConfig(), calendar).standing(dispute("2026-11-02"), d(as_of))
    assert standing.stage_due == d("2026-11-09")
    assert standing.rag is rag


def test_red_past_the_total_even_when_the_current_stage_is_within_its_sla(calendar: WorkingDayCalendar) -> None:
    ladder = Ladder(DisputeConfig(), calendar)
    late = dispute("2026-10-01", stage=4, started="2026-10-30")  # total due 2026-10-29
    s = ladder.standing(late, d("2026-11-02"))
    assert s.total_due == d("2026-10-29")
    assert s.stage_due == d("2026-11-06")
    assert (s.rag, s.within_total) == (Rag.RED, False)
    assert "past the total" in s.reason
    assert s.working_days_elapsed == 22


def test_resolved_reports_whether_it_was_within_the_total(calendar: WorkingDayCalendar) -> None:
    ladder = Ladder(DisputeConfig(), calendar)
    s = ladder.standing(dispute("2026-11-02", status="resolved", resolved_on=d("2026-11-20")), d("2026-12-01"))
    assert (s.rag, s.within_total, s.working_days_elapsed) == (Rag.RESOLVED, True, 14)


def test_bypassed_stages() -> None:
    assert bypassed_stages(1, 2) == ()
    assert bypassed_stages(1, 4) == (2, 3)


def test_annual_report_counts(calendar: WorkingDayCalendar) -> None:
    ladder = Ladder(DisputeConfig(), calendar)
    disputes = [
        dispute("2026-02-02", stage=2, status="resolved", resolved_on=d("2026-02-16")),  # 10 WD: within
        dispute("2026-03-02", stage=4, status="resolved", resolved_on=d("2026-04-30"), bypassed=(3,),
                cafcass_referred_on=d("2026-04-01")),  # late
        dispute("2026-11-30", stage=1),  # open at the year end, past its total (30 Dec: Christmas skipped)
        dispute("2025-12-15", stage=1, status="resolved", resolved_on=d("2026-01-05")),  # raised last year
    ]
    r = annual_report(disputes, ladder, d("2026-01-01"), d("2026-12-31"))
    assert (r.raised, r.resolved, r.resolved_within_total) == (3, 3, 2)
    assert (r.open_at_end, r.open_past_total_at_end, r.bypassed, r.cafcass_referrals) == (1, 1, 1, 1)
    assert r.by_stage_reached == {"Team manager": 1, "Service manager": 1, "Head of service": 0, "Director": 1}
    assert r.median_working_days_to_resolve == 12  # of 10, 12 (over Christmas) and 41


def test_config_disputes_section() -> None:
    config = parse_config('[disputes]\ntotal_working_days = 25\nstages = [{name = "TM", sla_working_days = 4}, '
                          '{name = "Director"}]\n')
    assert config.disputes == DisputeConfig((DisputeStage("TM", 4), DisputeStage("Director", 5)), 25)
    assert config.dispute_rule_settings() == {"iro_dispute_total": 25}
    assert parse_config("").disputes.stages[0] == DisputeStage("Team manager", 5)
    assert parse_config("").ruleset().settings["iro_dispute_stage_sla"] == 5
    with pytest.raises(ConfigError, match=r"disputes.stages\[0\].sla_working_days: must be at least 1"):
        parse_config("[disputes]\nstages = [{name = \"TM\", sla_working_days = 0}]\n")
    with pytest.raises(ConfigError, match=r"disputes.stages\[0\].colour: unknown key"):
        parse_config("[disputes]\nstages = [{name = \"TM\", colour = \"red\"}]\n")
