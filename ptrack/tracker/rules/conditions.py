"""`applies_when` conditions, judged on the anchor date of each would-be deadline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ptrack.calendars.counting import add_months, count_due
from ptrack.calendars.working_days import WorkingDayCalendar
from ptrack.tracker.rules.scopes import CaseScopes, Scope

if TYPE_CHECKING:  # packs compiles conditions when it loads a rule
    from ptrack.tracker.rules.packs import Rule

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
    # Read once per case, not once per candidate deadline:
    case_id: str = field(init=False)
    anchor_day_counts: bool = field(init=False)  # setting anchor_day_counts
    soon_working_days: int = field(init=False)  # setting due_soon_working_days

    def __post_init__(self) -> None:
        soon = self.settings["due_soon_working_days"]
        assert isinstance(soon, int)
        object.__setattr__(self, "case_id", self.scopes.timeline.case.case_id)
        object.__setattr__(self, "anchor_day_counts", bool(self.settings["anchor_day_counts"]))
        object.__setattr__(self, "soon_working_days", soon)


def age_on(dob: date, day: date) -> int:
    """Completed years on `day` (a 29 February birthday turns over on 28 February, as add_months does)."""
    years = day.year - dob.year
    return years if add_months(dob, 12 * years) <= day else years - 1


def _placement_at(scope: Scope, ctx: Context, day: date) -> Scope | None:
    if scope.within in ("placement", "private_fostering"):
        return scope
    return ctx.scopes.scope_at("placement", day)


# A condition compiled at pack-load time (`compile_conditions`): the function judging it and its expected value.
# Plain module functions and values, so a rule set still pickles (worker processes that are not forked).
Judge = Callable[[Any, Scope, Context, date, int, "Rule", str], bool]
Compiled = tuple[tuple[Judge, Any], ...]


def compile_conditions(when: Mapping[str, object]) -> Compiled:
    """`applies_when` (or a variant's `when`) as (judge, expected) pairs in the pack's order: judging them needs
    no lookup by name. An `any_of` keeps its options, each compiled."""
    compiled: list[tuple[Judge, Any]] = []
    for name, expected in when.items():
        judge = _JUDGES.get(name)
        if judge is None:
            raise ValueError(f"unknown condition {name}")  # packs are checked at load; this is a programming error
        if judge is _any_of:
            assert isinstance(expected, list)
            expected = tuple(compile_conditions(option) for option in expected)
        compiled.append((judge, expected))
    return tuple(compiled)


def conditions_hold(
    checks: Compiled, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule, anchor_event: str = "",
) -> bool:
    for judge, expected in checks:  # noqa: SIM110 - a plain loop: the engine judges millions of these
        if not judge(expected, scope, ctx, day, slot, rule, anchor_event):
            return False
    return True


def fails_throughout(checks: Compiled, scope: Scope) -> bool:
    """Whether `checks` fail on every anchor date in `scope`, as judged in order: a condition the scope alone
    decides (short_break; a placement's kind) fails, and every condition before it neither raises nor records an
    event as used. Then no candidate of the rule can come from this scope, and not judging changes nothing."""
    for judge, expected in checks:
        if _fails_in(judge, expected, scope):
            return True
        if judge not in _QUIET:
            return False
    return False


def settled_by_scope(checks: Compiled, scope: Scope) -> Compiled:
    """`checks` without the conditions that the scope alone decides and that hold in it (short_break; a
    placement's kind or intended_until_18; an any_of whose first option is such conditions only): they are
    quiet (`_QUIET`) and true on every anchor date in the scope, so judging them again for each anchor changes
    nothing. What is left is judged as before, in order."""
    return tuple(check for check in checks if not _holds_in(check[0], check[1], scope))


def first_year_window(checks: Compiled, scope: Scope, ctx: Context) -> tuple[bool, date] | None:
    """When `checks` are `first_placement_year` alone, judged on the anchor date in a placement (setting
    visit_interval_at_anniversary not "due_date"): whether it must hold, and the placement's first anniversary.
    Then the condition holds on the anchor dates before the anniversary and fails on the others, and judging
    it records nothing: the anchors in date order that pass are those before it (or from it on)."""
    if len(checks) != 1 or checks[0][0] is not _first_placement_year or scope.within not in _PLACEMENT_SCOPES:
        return None
    if ctx.settings.get("visit_interval_at_anniversary", "due_date") == "due_date":
        return None
    anniversary = scope.first_anniversary
    if anniversary is None:
        return None
    return bool(checks[0][1]), anniversary


def _holds_in(judge: Judge, expected: Any, scope: Scope) -> bool:
    if judge is _short_break:
        return scope.short_break is bool(expected)
    if judge is _placement_kind and scope.within in _PLACEMENT_SCOPES:
        return scope.placement_kind in (expected if isinstance(expected, list) else [expected])
    if judge is _intended_until_18 and scope.within in _PLACEMENT_SCOPES:
        return scope.intended_until_18 is bool(expected)
    if judge is _any_of:  # its first option holds throughout: the others are never judged
        return bool(expected) and bool(expected[0]) and all(_holds_in(j, e, scope) for j, e in expected[0])
    return False


def _fails_in(judge: Judge, expected: Any, scope: Scope) -> bool:
    if judge is _short_break:
        return scope.short_break is not bool(expected)
    if judge is _placement_kind and scope.within in _PLACEMENT_SCOPES:
        return scope.placement_kind not in (expected if isinstance(expected, list) else [expected])
    if judge is _intended_until_18 and scope.within in _PLACEMENT_SCOPES:
        return scope.intended_until_18 is not bool(expected)
    if judge is _any_of:
        return all(fails_throughout(option, scope) for option in expected)
    return False


def _any_of(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule, anchor_event: str) -> bool:
    return any(conditions_hold(option, scope, ctx, day, slot, rule, anchor_event) for option in expected)


def _anchor_event(expected: object, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
                  anchor_event: str) -> bool:
    return anchor_event == expected


def _interim(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule, anchor_event: str) -> bool:
    return _interim_care_order(ctx, day) is bool(expected)


def _placement_kind(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
                    anchor_event: str) -> bool:
    placement = _placement_at(scope, ctx, day)
    if placement is None:
        return False
    kinds = expected if isinstance(expected, list) else [expected]
    return placement.placement_kind in kinds


def _intended_until_18(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
                       anchor_event: str) -> bool:
    placement = _placement_at(scope, ctx, day)
    if placement is None:
        return False
    return placement.intended_until_18 is bool(expected)


def _age_lt(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule, anchor_event: str) -> bool:
    dob = ctx.scopes.dob
    if dob is None:
        return False
    assert isinstance(expected, int)
    return age_on(dob, day) < expected


def _age_gte(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule, anchor_event: str) -> bool:
    dob = ctx.scopes.dob
    if dob is None:
        return False
    assert isinstance(expected, int)
    return age_on(dob, day) >= expected


def _in_proceedings(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
                    anchor_event: str) -> bool:
    return ctx.scopes.in_proceedings(day) is bool(expected)


def _proceedings_concluded(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
                           anchor_event: str) -> bool:
    return ctx.scopes.proceedings_concluded(day) is bool(expected)


def _short_break(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
                 anchor_event: str) -> bool:
    return scope.short_break is bool(expected)


def _first_placement_year(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
                          anchor_event: str) -> bool:
    return _in_first_placement_year(scope, ctx, day, rule) is bool(expected)


def _after_event(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
                 anchor_event: str) -> bool:
    period = ctx.scopes.scope_at("period", day) or scope
    return any(e.date <= day for e in period.indexed(expected).events)


def _before_event(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule,
                  anchor_event: str) -> bool:
    return _not_yet(str(expected), scope, ctx, day)


def _slot(expected: object, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule, anchor_event: str) -> bool:
    return slot == expected


def _slot_gte(expected: Any, scope: Scope, ctx: Context, day: date, slot: int, rule: Rule, anchor_event: str) -> bool:
    assert isinstance(expected, int)
    return slot >= expected


_JUDGES: dict[str, Judge] = {
    "any_of": _any_of, "anchor_event": _anchor_event, "interim_care_order": _interim,
    "placement_kind": _placement_kind, "intended_until_18": _intended_until_18, "age_lt": _age_lt,
    "age_gte": _age_gte, "in_proceedings": _in_proceedings, "proceedings_concluded": _proceedings_concluded,
    "short_break": _short_break, "first_placement_year": _first_placement_year, "after_event": _after_event,
    "before_event": _before_event, "slot": _slot, "slot_gte": _slot_gte,
}
# Conditions that never raise and never record an event as used: skipping their judgement changes nothing.
# (interim_care_order and before_event record the events they read; first_placement_year may count on the
# calendar; the age and slot_gte ones assert their setting is a number.)
_QUIET = frozenset({
    _anchor_event, _placement_kind, _intended_until_18, _in_proceedings, _proceedings_concluded, _short_break,
    _after_event, _slot,
})
_PLACEMENT_SCOPES = ("placement", "private_fostering")


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
    for event in home.indexed(kind).events:
        if event.date <= day:
            ctx.used.add(event.event_id)
            return False
    return True


def _in_first_placement_year(scope: Scope, ctx: Context, day: date, rule: Rule) -> bool:
    """Whether the visit interval of a placement's first year applies. By default the interval in force on the
    date of the last visit; with visit_interval_at_anniversary = "due_date", the one in force on its due date."""
    placement = scope if scope.within in _PLACEMENT_SCOPES else ctx.scopes.scope_at("placement", day)  # _placement_at
    if placement is None or placement.first_anniversary is None:
        return False
    judged = day
    if ctx.settings["visit_interval_at_anniversary"] == "due_date":
        judged = count_due(ctx.calendar, day, rule.count).due
    return judged < placement.first_anniversary


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
