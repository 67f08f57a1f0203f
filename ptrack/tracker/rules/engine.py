"""The rules engine: a pure function from (case timeline, rule set, calendar, as-of date) to deadlines.

For each active rule and each scope instance it lives in, the engine finds the anchors (the start of the
scope, each event of a kind, an age, another rule's due date), applies the count on the calendar, finds the
event that met it, and cancels what the child's leaving care (or an `ends_when` event) made moot. Candidates
for the same obligation occurrence compete; the earliest due date wins and the explanation names them all.
No clock, database or I/O here.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ptrack.calendars.counting import Count, Unit, add_months, count_due
from ptrack.calendars.working_days import WorkingDayCalendar
from ptrack.tracker.model import Contributor, Deadline, Event, Status, Timeline
from ptrack.tracker.rules.accounting import CaseResult, unused_events
from ptrack.tracker.rules.conditions import (
    Compiled,
    Context,
    conditions_hold,
    eligible_16_date,
    fails_throughout,
    first_year_window,
    settled_by_scope,
)
from ptrack.tracker.rules.packs import Rule, RuleSet
from ptrack.tracker.rules.scopes import Found, Scope, build_scopes

_ONE_DAY = timedelta(days=1)
_MET, _MET_LATE, _MISSED, _CANCELLED = Status.MET, Status.MET_LATE, Status.MISSED, Status.CANCELLED
_OVERDUE, _DUE_SOON, _UPCOMING = Status.OVERDUE, Status.DUE_SOON, Status.UPCOMING


def _event_date(event: Event) -> date:
    return event.date


@dataclass(slots=True)  # built per anchor in the hot path; never changed after
class Anchor:
    slot: int
    day: date
    event_kind: str
    event_id: str
    position: int | None  # the anchor event's index in its scope (-1: the opening event); None if derived
    notes: tuple[str, ...] = ()
    counting: str | None = None  # replaces the count's wording for derived anchors
    base: date | None = None  # the date the count runs from, when not the anchor event's own date

    @property
    def count_from(self) -> date:
        return self.base or self.day


# A candidate: the rule and the deadline it would make. A plain tuple (built once per candidate in the hot path).
_Candidate = tuple[Rule, Deadline]


def compute(timeline: Timeline, ruleset: RuleSet, calendar: WorkingDayCalendar, as_of: date) -> list[Deadline]:
    """Every deadline of one case as it stands on `as_of` (events dated after `as_of` are not yet known)."""
    return _compute(timeline, ruleset, calendar, as_of)[0]


def compute_case(timeline: Timeline, ruleset: RuleSet, calendar: WorkingDayCalendar, as_of: date) -> CaseResult:
    """The deadlines of one case and the account of its events: every event known on `as_of` that anchored,
    met, extended, stopped, opened or closed nothing is listed with the reason (docs/rules.md)."""
    deadlines, ctx = _compute(timeline, ruleset, calendar, as_of)
    return CaseResult(deadlines, unused_events(ctx, deadlines, ruleset))


def _compute(
    timeline: Timeline, ruleset: RuleSet, calendar: WorkingDayCalendar, as_of: date
) -> tuple[list[Deadline], Context]:
    settings = ruleset.settings
    gap = settings["short_break_series_gap_months"]
    assert isinstance(gap, int)
    scopes = build_scopes(timeline, as_of, bool(settings["extra_review_counts_as_second"]), gap)
    ctx = Context(scopes, calendar, settings)
    winners: dict[tuple[str, str, int], list[_Candidate]] = {}
    by_within = scopes.by_within
    for rule in ruleset.ordered:
        within = by_within.get(rule.within)
        if not within:
            continue
        for scope in within:
            _candidates(rule, scope, ctx, winners, as_of)
    return [group[0][1] if len(group) == 1 else _choose(group) for group in winners.values()], ctx


def _choose(group: list[_Candidate]) -> Deadline:
    if len(group) == 1:
        return group[0][1]
    ranked = sorted(group, key=lambda c: (c[1].due, c[0].scope != "N", c[0].order))
    winner = ranked[0][1]  # the engine's own until returned: completed here rather than copied
    winner.contributors = tuple(d.contributors[0] for _, d in ranked)
    return winner


def _candidates(
    rule: Rule, scope: Scope, ctx: Context, winners: dict[tuple[str, str, int], list[_Candidate]], as_of: date
) -> None:
    """The rule's candidates in the scope, each added to `winners` under the occurrence it competes for as soon
    as it is made (a later anchor of another rule may read them: `_rule_anchor`)."""
    stop = _rule_stop(rule, scope, ctx)
    checks = rule.checks
    if checks and fails_throughout(checks, scope):  # e.g. a with_parent rule in a foster placement
        return
    if rule.anchor_kind == "each":
        _each_candidates(rule, scope, ctx, winners, as_of, stop, checks)
        return
    settled = False  # checks and variants reduced to what the scope does not settle, once an anchor needs them
    variants: tuple[tuple[Compiled, Count], ...] = ()
    meeting: Found | None = None  # the scope's events that can meet the rule, once an anchor needs them
    prefix = ""  # of every candidate's key, once an anchor needs it
    stop_day = stop[0] if stop is not None else None
    obligation, scope_key = rule.obligation, scope.key
    for anchor in _anchors(rule, scope, ctx, winners):
        if stop_day is not None and anchor.day > stop_day:
            return
        if not settled:
            settled = True
            if checks:  # what holds throughout the scope is not judged again for each anchor
                checks = settled_by_scope(checks, scope)
            if rule.variants:
                variants = _variants(rule, scope)
        if checks and not conditions_hold(checks, scope, ctx, anchor.day, anchor.slot, rule, anchor.event_kind):
            continue
        if meeting is None:
            meeting = scope.indexed(rule.met_by)
            prefix = f"{rule.obligation}|{scope.key}|"
        slot = anchor.slot
        cand = (rule, _candidate(rule, scope, ctx, slot, anchor.day, anchor.event_kind, anchor.event_id,
                                 anchor.position, anchor.notes, anchor.counting, anchor.base, stop, as_of, meeting,
                                 prefix, variants))
        slot_key = (obligation, scope_key, slot)
        group = winners.get(slot_key)
        if group is None:
            winners[slot_key] = [cand]
        else:
            group.append(cand)


def _variants(rule: Rule, scope: Scope) -> tuple[tuple[Compiled, Count], ...]:
    """The rule's variants as the scope leaves them: without the conditions the scope settles, and without the
    variants the scope rules out (`fails_throughout`: never chosen, and judging them records nothing)."""
    return tuple((settled_by_scope(v.checks, scope), v.count) for v in rule.variants
                 if not (v.checks and fails_throughout(v.checks, scope)))


def _each_candidates(
    rule: Rule, scope: Scope, ctx: Context, winners: dict[tuple[str, str, int], list[_Candidate]], as_of: date,
    stop: tuple[date, str] | None, checks: Compiled,
) -> None:
    """`_candidates` for an `each:<kind>` anchor (the visit chains), the anchors walked in place: what
    `_anchors` yields for it, in the same order, with the same slots, judged the same way; an anchor's note is
    written only for an anchor that makes a candidate."""
    positions, events = scope.indexed(rule.anchor_each)
    if not events:
        return
    each = rule.anchor_each
    slot = 0 if each.isdisjoint(rule.met_by) else 1
    any_subkind = rule.any_subkind
    stop_day = stop[0] if stop is not None else None
    if checks:  # what holds throughout the scope is not judged again for each anchor
        checks = settled_by_scope(checks, scope)
    variants = _variants(rule, scope) if rule.variants else ()
    meeting: Found | None = None
    prefix = ""
    obligation, scope_key = rule.obligation, scope.key
    window = first_year_window(checks, scope, ctx) if any_subkind else None
    if window is not None:
        # the visit chains of a placement's first year and after it: each rule takes its side of the
        # anniversary (events are in date order), its anchors keeping the slots they have in the whole chain
        holds, anniversary = window
        cut = bisect_left(events, anniversary, key=_event_date)
        first, last = (0, cut) if holds else (cut, len(events))
        slot += first
        positions, events, checks = positions[first:last], events[first:last], ()
    for i, e in zip(positions, events, strict=True):
        if not any_subkind and not rule.counts(e.kind, e.subkind):
            continue
        slot += 1
        day = e.date
        if stop_day is not None and day > stop_day:
            return
        if checks and not conditions_hold(checks, scope, ctx, day, slot, rule, e.kind):
            continue
        if meeting is None:
            meeting = scope.indexed(rule.met_by)
            prefix = f"{obligation}|{scope_key}|"
        note = e.note
        cand = (rule, _candidate(rule, scope, ctx, slot, day, e.kind, e.event_id, i,
                                 (f"{e.kind} {day.isoformat()}: {note}",) if note else (), None, None, stop, as_of,
                                 meeting, prefix, variants))
        slot_key = (obligation, scope_key, slot)
        group = winners.get(slot_key)
        if group is None:
            winners[slot_key] = [cand]
        else:
            group.append(cand)


def _rule_stop(rule: Rule, scope: Scope, ctx: Context) -> tuple[date, str] | None:
    """The date this rule stops in this scope, and why: the scope closing, or an `ends_when` event."""
    leaves_care = rule.in_care and scope.within not in ("period", "placement", "adoption")
    if not leaves_care and not rule.ends_when and rule.until_age is None:  # only the scope's own end
        return None if scope.end is None else (scope.end, scope.end_reason)
    stops: list[tuple[date, str]] = []
    if scope.end is not None:
        stops.append((scope.end, scope.end_reason))
    start = scope.start or date.min
    for end in rule.ends_when:
        for event in scope.indexed(end.event).events:  # (the case scope holds every event)
            if event.date >= start and (not end.kinds or event.subkind in end.kinds):
                label = f"{event.kind}{' (' + event.subkind + ')' if event.subkind else ''}"
                stops.append((event.date, f"{label} {event.date.isoformat()}"))
                ctx.used.add(event.event_id)
                break
    if leaves_care:
        left = ctx.scopes.first_after("looked_after_end", start)
        if left is not None:
            stops.append((left.date, f"left care (looked_after_end {left.date.isoformat()})"))
            ctx.used.add(left.event_id)
    if rule.until_age is not None and ctx.scopes.dob is not None:
        birthday = add_months(ctx.scopes.dob, 12 * rule.until_age)
        stops.append((birthday, f"{rule.until_age}th birthday {birthday.isoformat()}: the rule applies "
                                f"until then only"))
    return min(stops) if stops else None


def _anchors(
    rule: Rule, scope: Scope, ctx: Context, done: Mapping[tuple[str, str, int], list[_Candidate]]
) -> Iterator[Anchor]:
    kind, arg = rule.anchor_kind, rule.anchor_arg  # one kind each: the tests below are exclusive
    if kind == "start" or kind == "start_then_each":
        start = scope.start_event
        if start is not None:
            yield Anchor(1, start.date, start.kind, start.event_id, -1, _noted(start))
    elif kind == "first":
        for i, e in zip(*scope.indexed(arg), strict=True):
            if rule.counts(e.kind, e.subkind):
                yield Anchor(1, e.date, e.kind, e.event_id, i, _noted(e))
                break
    if kind == "each" or kind == "start_then_each":
        each = rule.anchor_each
        slot = 1 if (not each.isdisjoint(rule.met_by) or kind == "start_then_each") else 0
        any_subkind = rule.any_subkind
        for i, e in zip(*scope.indexed(each), strict=True):
            if any_subkind or rule.counts(e.kind, e.subkind):
                slot += 1
                note = e.note
                yield Anchor(slot, e.date, e.kind, e.event_id, i,
                             (f"{e.kind} {e.date.isoformat()}: {note}",) if note else ())
    elif kind == "first_then_each":
        yield from _first_then_each(rule, scope)
    elif kind == "age":
        yield from _age_anchor(rule, scope, ctx)
    elif kind == "eligible_16":
        day = eligible_16_date(ctx.scopes, scope)
        if day is not None:
            yield Anchor(1, day, "eligible_16", "", None,
                         ("eligible (reg 40): looked after 13 weeks since age 14 and now 16",))
    elif kind == "rule":
        yield from _rule_anchor(rule, scope, done)
    elif kind == "review_after_age":
        yield from _review_after_age_anchor(rule, scope, ctx, done, int(arg))


def _first_then_each(rule: Rule, scope: Scope) -> Iterator[Anchor]:
    """The first `anchor_first` event, then each `anchor_each` event after it. Slots follow the scope's
    `each` chain (slot 1 = the scope's start, slot k+1 = its k-th `each` event, as `start_then_each` numbers
    them), so the first anchor competes with the date the last earlier `each` event set."""
    each, slot, started = rule.anchor_each, 1, False
    for i, e in zip(*scope.indexed(rule.anchor_kinds), strict=True):
        if not started and e.kind == rule.anchor_first and rule.counts(e.kind, e.subkind):
            started = True
            yield Anchor(slot, e.date, e.kind, e.event_id, i, _noted(e))
        elif e.kind in each and rule.counts(e.kind, e.subkind):
            slot += 1
            if started:
                yield Anchor(slot, e.date, e.kind, e.event_id, i, _noted(e))


def _noted(event: Event) -> tuple[str, ...]:
    """What the source said about the anchor event (an inferred period start, a care leaver's latest date only,
    a return home interview offered but undated), carried into the explanation."""
    return (f"{event.kind} {event.date.isoformat()}: {event.note}",) if event.note else ()


def _age_anchor(rule: Rule, scope: Scope, ctx: Context) -> Iterator[Anchor]:
    dob = ctx.scopes.dob
    if dob is None:
        return
    years, _, months = rule.anchor_arg.partition(":")
    if scope.contains(add_months(dob, 12 * int(years) + int(months or 0))):
        yield Anchor(1, dob, "date_of_birth", "", None, counting=f"age {years}y{months or 0}m")


def _rule_anchor(
    rule: Rule, scope: Scope, done: Mapping[tuple[str, str, int], list[_Candidate]]
) -> Iterator[Anchor]:
    for (_, scope_key, _), cands in done.items():
        if scope_key != scope.key:
            continue
        for cand_rule, d in cands:
            if cand_rule.rule_id == rule.anchor_arg:
                yield Anchor(
                    1, d.anchor_date, d.anchor_event, d.anchor_event_id, None,
                    (f"moves with {rule.anchor_arg}: due {d.due.isoformat()} ({d.counting} from "
                     f"{d.anchor_event} {d.anchor_date.isoformat()})",),
                    counting=f"the due date of {rule.anchor_arg}", base=d.due,
                )
                return


def _review_after_age_anchor(
    rule: Rule, scope: Scope, ctx: Context, done: Mapping[tuple[str, str, int], list[_Candidate]], years: int
) -> Iterator[Anchor]:
    dob = ctx.scopes.dob
    if dob is None:
        return
    birthday = add_months(dob, 12 * years)
    reviews = sorted(
        (c[1] for (ob, key, _), cands in done.items() if ob == "cla_review" and key == scope.key
         for c in cands[:1]),
        key=lambda d: d.due,
    )
    for d in reviews:
        on = d.met_on or d.due
        if on >= birthday:
            held = f"held {d.met_on.isoformat()}" if d.met_on else f"due {d.due.isoformat()}"
            yield Anchor(1, on, "review_held", d.met_event_id or d.anchor_event_id, None,
                         (f"first review on or after the {years}th birthday ({birthday.isoformat()}): {held}",),
                         counting=f"at the first review on or after age {years}")
            return


def _candidate(
    rule: Rule, scope: Scope, ctx: Context, slot: int, day: date, event_kind: str, event_id: str,
    position: int | None, notes: tuple[str, ...], counting: str | None, base: date | None,
    stop: tuple[date, str] | None, as_of: date, meeting: Found, prefix: str,
    variants: tuple[tuple[Compiled, Count], ...],
) -> Deadline:
    """The deadline one anchor makes (the anchor's fields as `Anchor` has them: `base` the date the count runs
    from when not `day`, `counting` the wording of a derived anchor's count)."""
    count = rule.count
    for checks, variant_count in variants:  # the first variant whose conditions hold, else the rule's count
        if not checks or conditions_hold(checks, scope, ctx, day, slot, rule, event_kind):
            count = variant_count
            break
    calendar, day_one = ctx.calendar, ctx.anchor_day_counts
    shift = count.shift
    skipped: tuple[tuple[date, str], ...]
    if shift is not None and count.n >= 0:  # what count_due answers for a fixed number of days
        due, skipped = (base or day) + shift, ()
    else:
        due, skipped = count_due(calendar, base or day, count, anchor_day_counts=day_one)
    if day_one and count.unit is Unit.CD and count.n > 0:
        due -= _ONE_DAY
        notes += ("the anchor day counts as day 1 (setting anchor_day_counts)",)
    if rule.extended_by is not None:
        due, ext_notes = _extend(rule, scope, ctx, day, due)
        notes += tuple(ext_notes)
    if rule.met_from == "anchor" and rule.any_subkind:  # _met_event's commonest case, inlined
        met = None
        positions, events = meeting
        for i in range(0 if position is None or position < 0 else bisect_right(positions, position), len(events)):
            if events[i].date >= day:
                met = events[i]
                break
    else:
        met = _met_event(rule, scope, ctx, day, position, due, meeting)
    cancelled_on, reason = None, ""
    if stop is not None and (met is None or met.date > stop[0]):
        met = None if met is not None and met.date > stop[0] else met
        cancelled_on, reason = stop
    if calendar.first_year <= due.year <= calendar.last_year:
        if rule.soon:
            soon = count_due(calendar, day, rule.soon).due
            last_working_day = calendar.last_working_day(due)
        else:  # due soon from n working days before the due date (or the calendar's first day)
            last_working_day, soon = calendar.last_and_soon(due, ctx.soon_working_days)
    else:
        if rule.soon:
            soon = count_due(calendar, day, rule.soon).due
            last_working_day = due
        else:
            last_working_day = soon = due
        # a calendar-unit date years ahead: the legal date stands; which days are working is not yet known
        notes += (f"last working day not known: {due.year} is beyond the calendar's coverage "
                  f"({calendar.first_year}-{calendar.last_year})",)
    # the status on `as_of` (model.status_on, inlined: one call fewer per candidate)
    met_on, met_event_id = (None, "") if met is None else (met.date, met.event_id)
    if met_on is not None and met_on <= as_of:
        status = _MET if met_on <= due else _MET_LATE
    elif cancelled_on is not None and cancelled_on <= as_of:
        status = _MISSED if cancelled_on > due else _CANCELLED
    elif as_of > due:
        status = _OVERDUE
    elif as_of >= soon:
        status = _DUE_SOON
    else:
        status = _UPCOMING
    rule_id = rule.rule_id
    return Deadline(
        prefix + str(slot), ctx.case_id, rule_id, rule.obligation, due, last_working_day, status,
        event_kind, event_id, day, rule.citation, counting or count.words,
        soon if soon < due else due, met_on, met_event_id, cancelled_on, reason, skipped,
        (Contributor(rule_id, due, rule.scope, rule.pack),), notes,
    )


def _extend(rule: Rule, scope: Scope, ctx: Context, anchor_day: date, due: date) -> tuple[date, list[str]]:
    ext = rule.extended_by
    if ext is None:
        return due, []
    notes: list[str] = []
    used = 0
    for event in scope.of_kind(ext.event):
        if event.date < anchor_day:
            continue
        if ext.max_count is not None and used >= ext.max_count:
            ctx.ignored.setdefault(event.event_id, f"{rule.rule_id} allows {ext.max_count} extension(s) and "
                                                   f"already has them: the due date stands")
            continue
        if ext.only_in_force and event.date > due:
            ctx.ignored.setdefault(event.event_id, f"{rule.rule_id} expired on {due.isoformat()}, before this "
                                                   f"extension: only an approval in force can be extended")
            continue
        weeks = min(event.weeks if event.weeks is not None else ext.default_weeks, ext.max_weeks)
        due += timedelta(weeks=weeks)
        used += 1
        ctx.used.add(event.event_id)
        notes.append(f"extended by {weeks} weeks ({ext.event} {event.date.isoformat()}) to {due.isoformat()}")
    return due, notes


def _met_event(
    rule: Rule, scope: Scope, ctx: Context, anchor_day: date, position: int | None, due: date, meeting: Found
) -> Event | None:
    """The first event that meets the rule: after the anchor event (INT chains: the next one), or on/after the
    start of the configured window. A look-back window may reach before the scope opened (a plan agreed before
    the placement began). `meeting`: the scope's events of the kinds that meet the rule."""
    mode = rule.met_from
    if mode == "anchor":
        window = anchor_day
        positions, events = meeting
        start = 0 if position is None or position < 0 else bisect_right(positions, position)
        if rule.any_subkind:
            for i in range(start, len(events)):
                event = events[i]
                if event.date >= window:
                    return event
            return None
        for i in range(start, len(events)):
            event = events[i]
            if event.date >= window and rule.counts(event.kind, event.subkind):
                return event
        return None
    if mode.startswith("lookback:"):
        window = due - timedelta(days=int(mode.split(":", 1)[1]))
        return next(
            (e for e in ctx.scopes.indexed(rule.met_by).events
             if e.date >= window and (scope.end is None or e.date <= scope.end) and rule.counts(e.kind, e.subkind)),
            None,
        )
    elif mode == "scope_start":
        window = scope.start or date.min
    else:
        window = anchor_day
    positions, events = meeting
    first = position + 1 if mode == "anchor" and position is not None else 0
    for i in range(bisect_left(positions, first) if first else 0, len(events)):
        event = events[i]
        if event.date >= window and rule.counts(event.kind, event.subkind):
            return event
    return None

