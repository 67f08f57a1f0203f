"""Plain-English derivations of deadlines: which event, which rule, which source, which days were skipped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ptrack.calendars.working_days import WorkingDayCalendar
from ptrack.tracker.model import Deadline, IgnoredEvent, Status
from ptrack.tracker.rules.packs import RuleSet


def _d(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def explain(
    deadline: Deadline, ruleset: RuleSet, calendar: WorkingDayCalendar, as_of: date, untracked: bool = False
) -> str:
    """The derivation of one deadline, for `ptrack explain`. `untracked`: no source supplies its evidence."""
    rule = ruleset.get(deadline.rule_id)
    title = rule.title if rule else deadline.rule_id
    anchor = deadline.anchor_event.replace("_", " ")
    lines = [
        f"{deadline.rule_id}: {title}",
        f"  Source: {deadline.source}" + (f" ({'national' if rule.scope == 'N' else 'local, pack ' + rule.pack})"
                                         if rule else ""),
        f"  Anchor: {anchor} on {_d(deadline.anchor_date)}"
        + (f" (event {deadline.anchor_event_id})" if deadline.anchor_event_id else ""),
        f"  Counting: {deadline.counting} -> due {_d(deadline.due)}",
    ]
    lines += [f"  Then: {note}" for note in deadline.notes]
    if deadline.skipped:
        named = [f"{name} ({day.strftime('%d %b')})" for day, name in deadline.skipped
                 if name not in ("Saturday", "Sunday")]
        weekends = sum(1 for _, name in deadline.skipped if name in ("Saturday", "Sunday"))
        parts = named + ([f"{weekends} weekend days"] if weekends else [])
        lines.append(f"  Skipped non-working days: {', '.join(parts)}")
    if deadline.last_working_day != deadline.due:
        passed = calendar.non_working_days(deadline.last_working_day, deadline.due)
        lines.append(
            f"  The due date is not a working day ({', '.join(s.name for s in passed)}); calendar limits never "
            f"roll forward, so the last working day to do it is {_d(deadline.last_working_day)}"
        )
    if len(deadline.contributors) > 1:
        others = ", ".join(f"{c.rule_id} ({c.pack}) {c.due.isoformat()}" for c in deadline.contributors)
        lines.append(f"  Several rules apply to this obligation: {others}; the earliest, "
                     f"{deadline.rule_id}, wins")
    lines.append("  " + _status_line(deadline, as_of))
    if untracked and rule is not None and deadline.status_on(as_of) not in (Status.MET, Status.MET_LATE):
        lines.append(f"  Untracked: no {' or '.join(sorted(rule.met_by))} event has arrived from any source, so "
                     f"this cannot be judged and is never reminded or counted; see `ptrack coverage`")
    return "\n".join(lines)


def explain_ignored(ignored: Sequence[IgnoredEvent]) -> str:
    """The events of a case that no deadline used, each with the reason (docs/rules.md)."""
    if not ignored:
        return "Events not used: none (every event anchors, meets, extends, stops, opens or closes something)"
    lines = [f"Events not used ({len(ignored)}):"]
    lines += [f"  {i.kind} {_d(i.date)} (event {i.event_id}): {i.reason}" for i in ignored]
    return "\n".join(lines)


def _status_line(deadline: Deadline, as_of: date) -> str:
    status = deadline.status_on(as_of)
    if status in (Status.MET, Status.MET_LATE) and deadline.met_on is not None:
        late = (deadline.met_on - deadline.due).days
        when = "in time" if status is Status.MET else f"{late} days late"
        return f"Status on {as_of.isoformat()}: {status.value}: met on {_d(deadline.met_on)} ({when})"
    if status is Status.CANCELLED:
        return f"Status on {as_of.isoformat()}: cancelled: {deadline.cancel_reason}"
    if status is Status.MISSED and deadline.cancelled_on is not None:
        late = (deadline.cancelled_on - deadline.due).days
        return (f"Status on {as_of.isoformat()}: missed (a breach): still not done {late} days after the due date "
                f"when it ended: {deadline.cancel_reason}")
    if status is Status.OVERDUE:
        return f"Status on {as_of.isoformat()}: overdue by {(as_of - deadline.due).days} days"
    return f"Status on {as_of.isoformat()}: {status.value}, {(deadline.due - as_of).days} days left"
