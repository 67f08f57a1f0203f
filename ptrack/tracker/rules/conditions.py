"""`applies_when` conditions, judged on the anchor date of each would-be deadline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from ptrack.calendars.counting import add_months, count_due
from ptrack.calendars.working_days import WorkingDayCalendar
from ptrack.tracker.rules.packs import Rule
from ptrack.tracker.rules.scopes import CaseScopes, Scope

THIRTEEN_WEEKS = timedelta(weeks=13)


@dataclass(frozen=True)
class Context:
    scopes: CaseScopes
    calendar: WorkingDayCalendar
    settings: Mapping[str, object]
    # Accounting (docs/rules.md), filled while computing: events used other than as anchors or meeting events
    # (extensions, ends_when stops, conditions), and events ignored with the reason.
    used: set[str] = field(default_factory=set)
    ignored: dict[str, str] = field(default_factory=dict)


def age_on(dob: date, day: date) -> int:
    """Completed years on `day` (a 29 February birthday turns over on 28 February, as add_months does)."""
    years = day.year - dob.year
    return years if add_months(dob, 12 * years) <= day else years - 1


def _placement_at(scope: Scope, ctx: Context, day: date) -> Scope | None:
    if scope.within in ("placement", "private_fostering"):
        return scope
    return ctx.scopes.scope_at("placement", day)


def conditions_hold(
    when: Mapping[str, object], scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
    anchor_event: str = "",
) -> bool:
    return all(_holds(name, expected, scope, ctx, day, slot, rule, anchor_event) for name, expected in when.items())


def _holds(  # noqa: PLR0911, PLR0912 - one branch per documented condition reads best
    name: str, expected: object, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
    anchor_event: str = "",
) -> bool:
    if name == "any_of":
        assert isinstance(expected, list)
        return any(conditions_hold(option, scope, ctx, day, slot, rule, anchor_event) for option in expected)
    if name == "anchor_event":
        return anchor_event == expected
    if name == "interim_care_order":
        return _interim_care_order(ctx, day) is bool(expected)
    if name in ("placement_kind", "intended_until_18"):
        placement = _placement_at(scope, ctx, day)
        if placement is None:
            return False
        if name == "placement_kind":
            kinds = expected if isinstance(expected, list) else [expected]
            return placement.placement_kind in kinds
        return placement.intended_until_18 is bool(expected)
    if name in ("age_lt", "age_gte"):
        dob = ctx.scopes.dob
        if dob is None:
            return False
        assert isinstance(expected, int)
        age = age_on(dob, day)
        return age < expected if name == "age_lt" else age >= expected
    if name == "in_proceedings":
        return ctx.scopes.in_proceedings(day) is bool(expected)
    if name == "proceedings_concluded":
        return ctx.scopes.proceedings_concluded(day) is bool(expected)
    if name == "short_break":
        return scope.short_break is bool(expected)
    if name == "first_placement_year":
        return _in_first_placement_year(scope, ctx, day, rule) is bool(expected)
    if name == "after_event":
        period = ctx.scopes.scope_at("period", day) or scope
        return any(e.kind == expected and e.date <= day for e in period.events)
    if name == "before_event":
        return _not_yet(str(expected), scope, ctx, day)
    if name == "slot":
        return slot == expected
    if name == "slot_gte":
        assert isinstance(expected, int)
        return slot >= expected
    raise ValueError(f"unknown condition {name}")  # packs are checked at load; this is a programming error


def _interim_care_order(ctx: Context, day: date) -> bool:
    """An interim care order in force on `day`: the latest `interim_care_order` on or before it, not ended since
    by a `care_order_made` or `proceedings_concluded` on or before `day` (the order lapses when the proceedings
    are decided)."""
    in_force = False
    for event in ctx.scopes.events:
        if event.date > day:
            break
        if event.kind == "interim_care_order":
            in_force = True
            ctx.used.add(event.event_id)
        elif event.kind in ("care_order_made", "proceedings_concluded") and in_force:
            in_force = False
    return in_force


def _not_yet(kind: str, scope: Scope, ctx: Context, day: date) -> bool:
    """No `kind` event in the placement (or the rule's own scope) on or before `day`."""
    home = _placement_at(scope, ctx, day) or scope
    for event in home.events:
        if event.kind == kind and event.date <= day:
            ctx.used.add(event.event_id)
            return False
    return True


def _in_first_placement_year(scope: Scope, ctx: Context, day: date, rule: Rule) -> bool:
    """Whether the visit interval of a placement's first year applies. By default the interval in force on the
    date of the last visit; with visit_interval_at_anniversary = "due_date", the one in force on its due date."""
    placement = _placement_at(scope, ctx, day)
    if placement is None or placement.start is None:
        return False
    judged = day
    if ctx.settings["visit_interval_at_anniversary"] == "due_date":
        judged = count_due(ctx.calendar, day, rule.count).due
    return judged < add_months(placement.start, 12)


def eligible_16_date(scopes: CaseScopes, period: Scope) -> date | None:
    """The day the child became an eligible child (Children (Leaving Care) regs, reg 40): aged 16, looked after
    for at least 13 weeks in total since the 14th birthday, and still looked after: within `period`."""
    dob = scopes.dob
    if dob is None or period.start is None:
        return None
    fourteen, sixteen = add_months(dob, 168), add_months(dob, 192)
    total = timedelta(0)
    if period.short_break:  # CPPCR reg 40(2): a child on short breaks (reg 48) is not an eligible child
        return None
    for p in scopes.by_within.get("period", []):
        if p.start is None or p.short_break:
            continue
        start = max(p.start, fourteen)
        end = p.end or date.max
        if p is period:
            needed = THIRTEEN_WEEKS - total
            eligible = max(start + needed, sixteen, period.start)
            return eligible if period.contains(eligible) and start < end else None
        if end > start:
            total += end - start
    return None
