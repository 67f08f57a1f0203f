"""The IRO dispute ladder (docs/digest-and-disputes.md; IRO Handbook ch 6), pure: stage deadlines on the working-day
calendar, RAG status, the 20-working-day total, and the yearly figures for the IRO annual report.

A stage's deadline is its start + its SLA in working days, counted as every working-day deadline is (the start
day is day 0: `ptrack.calendars.count_due`); the total is the day the dispute was raised + the total (default 20 WD).
The ladder never moves by itself: these functions only say where a dispute stands on a date."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from statistics import median

from ptrack.calendars import Count, Unit, WorkingDayCalendar, count_due
from ptrack.tracker.config import DisputeConfig, DisputeStage
from ptrack.tracker.errors import PtrackError


class DisputeError(PtrackError):
    """A dispute command that cannot be done (unknown dispute, a stage not on the ladder, already resolved)."""


class Rag(StrEnum):
    GREEN = "green"  # within the stage's SLA
    AMBER = "amber"  # the stage's last day
    RED = "red"  # past the stage's SLA, or past the total
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Dispute:
    """A dispute's facts as stored (the issue text is deliberately not part of it)."""

    id: int
    case_id: str
    iro_email: str
    status: str  # open | resolved
    stage: int
    raised_on: date
    stage_started_on: date
    resolved_on: date | None = None
    outcome: str = ""
    cafcass_referred_on: date | None = None
    bypassed: tuple[int, ...] = ()  # every stage skipped over the dispute's life

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class Standing:
    """Where a dispute stands on `as_of`."""

    dispute: Dispute
    stage_name: str
    stage_sla: int
    stage_due: date
    total_due: date
    rag: Rag
    reason: str  # why the RAG is what it is, in words
    stage_working_days_left: int  # negative: working days past the stage's SLA
    working_days_elapsed: int  # since raised (to resolution, once resolved)
    within_total: bool  # resolved (or still open) within the total


class Ladder:
    """The configured stages and total, with the calendar they are counted on."""

    def __init__(self, config: DisputeConfig, calendar: WorkingDayCalendar) -> None:
        self.stages: Sequence[DisputeStage] = config.stages
        self.total = config.total_working_days
        self.calendar = calendar

    def stage(self, number: int) -> DisputeStage:
        if not 1 <= number <= len(self.stages):
            names = ", ".join(f"{i} {s.name}" for i, s in enumerate(self.stages, 1))
            raise DisputeError(f"stage {number} is not on the ladder; the stages are: {names}")
        return self.stages[number - 1]

    def due(self, start: date, working_days: int) -> date:
        return count_due(self.calendar, start, Count(Unit.WD, working_days)).due

    def stage_due(self, number: int, started: date) -> date:
        return self.due(started, self.stage(number).sla_working_days)

    def total_due(self, raised: date) -> date:
        return self.due(raised, self.total)

    def standing(self, d: Dispute, as_of: date) -> Standing:
        stage = self.stage(min(d.stage, len(self.stages)))
        stage_due = self.due(d.stage_started_on, stage.sla_working_days)
        total_due = self.total_due(d.raised_on)
        end = d.resolved_on if d.resolved_on is not None and d.resolved_on <= as_of else as_of
        elapsed = self.calendar.working_days_between(d.raised_on, end)
        left = self.calendar.working_days_between(as_of, stage_due) if as_of <= stage_due else \
            -self.calendar.working_days_between(stage_due, as_of)
        rag, reason = self._rag(d, as_of, stage_due, total_due)
        return Standing(d, stage.name, stage.sla_working_days, stage_due, total_due, rag, reason, left, elapsed,
                        end <= total_due)

    @staticmethod
    def _rag(d: Dispute, as_of: date, stage_due: date, total_due: date) -> tuple[Rag, str]:
        if d.resolved_on is not None and d.resolved_on <= as_of:
            late = "within" if d.resolved_on <= total_due else "after"
            return Rag.RESOLVED, f"resolved {d.resolved_on.isoformat()}, {late} the total"
        if as_of > total_due:
            return Rag.RED, f"past the total (due {total_due.isoformat()})"
        if as_of > stage_due:
            return Rag.RED, f"stage {d.stage} past its SLA (due {stage_due.isoformat()})"
        if as_of in (stage_due, total_due):
            return Rag.AMBER, f"last day of {'the total' if as_of == total_due else f'stage {d.stage}'}"
        return Rag.GREEN, f"stage {d.stage} within its SLA (due {stage_due.isoformat()})"


def bypassed_stages(current: int, target: int) -> tuple[int, ...]:
    """The stages an advance from `current` to `target` skips (none for the next stage)."""
    return tuple(range(current + 1, target))


@dataclass(frozen=True)
class AnnualReport:
    """The IRO annual report's dispute figures for one year (calendar or April-March financial year)."""

    start: date
    end: date
    raised: int
    resolved: int
    resolved_within_total: int
    open_at_end: int
    open_past_total_at_end: int
    bypassed: int  # disputes raised in the year that skipped at least one stage
    cafcass_referrals: int  # referrals flagged during the year
    by_stage_reached: dict[str, int]  # disputes raised in the year, by the highest stage they reached
    median_working_days_to_resolve: float | None


def annual_report(disputes: Iterable[Dispute], ladder: Ladder, start: date, end: date) -> AnnualReport:
    """Figures for disputes over [start, end]: raised, resolved (and within the total), open at the end."""
    ds = list(disputes)
    raised = [d for d in ds if start <= d.raised_on <= end]
    resolved = [d for d in ds if d.resolved_on is not None and start <= d.resolved_on <= end]
    within = [d for d in resolved if d.resolved_on is not None and d.resolved_on <= ladder.total_due(d.raised_on)]
    open_at_end = [d for d in ds if d.raised_on <= end and (d.resolved_on is None or d.resolved_on > end)]
    past_total = [d for d in open_at_end if end > ladder.total_due(d.raised_on)]
    by_stage = {s.name: 0 for s in ladder.stages}
    for d in raised:
        by_stage[ladder.stage(min(d.stage, len(ladder.stages))).name] += 1
    days = [ladder.calendar.working_days_between(d.raised_on, d.resolved_on) for d in resolved
            if d.resolved_on is not None]
    return AnnualReport(
        start, end, len(raised), len(resolved), len(within), len(open_at_end), len(past_total),
        sum(1 for d in raised if d.bypassed),
        sum(1 for d in ds if d.cafcass_referred_on is not None and start <= d.cafcass_referred_on <= end),
        by_stage, float(median(days)) if days else None,
    )


def report_period(year: int, financial: bool) -> tuple[date, date]:
    """A calendar year, or the financial year April `year` to March `year + 1` (IRO reports usually use it)."""
    return (date(year, 4, 1), date(year + 1, 3, 31)) if financial else (date(year, 1, 1), date(year, 12, 31))
