"""A case's timeline cut into the scopes rules live in: periods of care, placements, proceedings, private
fostering arrangements, placements for adoption, disputes, series of short breaks (reg 48), and the case as a
whole.

Events are ordered by date and cut a day at a time (docs/rules.md): on a day with an opening event, that day's
closing events end the scope already open, whatever the row order (a move: `placement_end` and
`placement_start` on one day; a new period: `looked_after_end` and `looked_after_start` on one day); the day's
other events then belong to the new scope. On a day with no opening event, the day's events still belong to
the scope that closes that day, so a visit on the day a placement ends counts for it. An event no scope can
take (a second `dispute_raised` while one is open) is listed in `CaseScopes.ignored` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import NamedTuple

from ptrack.calendars.counting import add_months
from ptrack.tracker.model import Event, Timeline

OPENERS = {
    "looked_after_start": 0, "placement_start": 1, "proceedings_issued": 1, "pf_notified": 1,
    "placed_for_adoption": 2, "dispute_raised": 1, "temporary_approval": 2,
}
CLOSERS = {
    "placement_end": 8, "proceedings_concluded": 8, "pf_end": 8, "dispute_resolved": 8, "looked_after_end": 9,
}
# Planned dates: known before they happen, so they are kept even when dated after the as-of date.
SCHEDULED_KINDS = frozenset({"final_care_plan_due", "panel_date"})


_ORDER = {**CLOSERS, **OPENERS}


def event_order(event: Event) -> int:
    return _ORDER.get(event.kind, 5)


@dataclass
class Scope:
    """One instance of a scope: [start, end] inclusive, with the events inside it in order."""

    within: str
    key: str  # stable identity: the event_id of the opening event ("case" for the whole case)
    start_event: Event | None
    end: date | None = None
    end_reason: str = ""
    events: list[Event] = field(default_factory=list)
    end_event: Event | None = None  # the event that closed it, if one did
    placement_kind: str = ""
    intended_until_18: bool | None = None
    short_break: bool = False
    # The events by kind, built on first use (by the engine, once the scope is complete).
    _index: dict[str | frozenset[str], Found] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def start(self) -> date | None:
        return self.start_event.date if self.start_event else None

    def contains(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    @cached_property
    def first_anniversary(self) -> date | None:
        """A year after the scope opened (a placement's first year ends the day before)."""
        return add_months(self.start, 12) if self.start is not None else None

    def of_kind(self, kind: str) -> list[Event]:
        return list(self.indexed(kind).events)

    def indexed(self, kinds: str | frozenset[str]) -> Found:
        """The events of one kind (or of any of `kinds`) in the scope's order, with their positions in `events`:
        what the engine looks for (anchors, meeting events, stops) without walking every event of the scope for
        every rule. Shared: never change what it returns."""
        index = self._index
        if index is None:
            index = {}
            get = index.get
            for i, e in enumerate(self.events):
                kind = e.kind
                found = get(kind)
                if found is None:
                    index[kind] = _found(Found, ([i], [e]))  # Found([i], [e]) without NamedTuple's __new__
                else:
                    found[0].append(i)
                    found[1].append(e)
            self._index = index
        found = index.get(kinds)
        if found is None:
            if isinstance(kinds, str):
                return _NONE
            groups = [index[k] for k in kinds if k in index]
            if len(groups) <= 1:
                found = groups[0] if groups else _NONE
            else:
                pairs = sorted((p for g in groups for p in zip(*g, strict=True)), key=lambda p: p[0])
                found = Found([i for i, _ in pairs], [e for _, e in pairs])
            index[kinds] = found
        return found


class Found(NamedTuple):
    """Events of the kinds looked for, in order, and their positions in the scope's events."""

    positions: list[int]
    events: list[Event]


_NONE = Found([], [])
_found = tuple.__new__

@dataclass
class CaseScopes:
    timeline: Timeline
    events: list[Event]
    by_within: dict[str, list[Scope]]
    ignored: dict[str, str] = field(default_factory=dict)  # event_id -> why no scope could use it

    @property
    def dob(self) -> date | None:
        return self.timeline.case.dob

    def scope_at(self, within: str, day: date) -> Scope | None:
        for scope in self.by_within.get(within, []):
            if scope.contains(day):
                return scope
        return None

    def in_proceedings(self, day: date) -> bool:
        return any(
            s.start is not None and s.start <= day and (s.end is None or day < s.end)
            for s in self.by_within.get("proceedings", [])
        )

    def proceedings_concluded(self, day: date) -> bool:
        return any(s.end is not None and s.end <= day for s in self.by_within.get("proceedings", []))

    def indexed(self, kinds: str | frozenset[str]) -> Found:
        """`Scope.indexed` over all the case's events."""
        return self.by_within["case"][0].indexed(kinds)

    def first_after(self, kind: str, day: date) -> Event | None:
        for event in self.indexed(kind).events:
            if event.date >= day:
                return event
        return None


def known_on(event: Event, as_of: date) -> bool:
    """Whether the engine reads `event` when computing as of `as_of`: dated by then, or a planned event."""
    return event.date <= as_of or event.kind in SCHEDULED_KINDS


def is_short_break_start(event: Event) -> bool:
    """A `looked_after_start` of a short-break arrangement (SSDA903 LS V3/V4, or events.csv kind=short_breaks)."""
    return event.short_break or event.subkind == "short_breaks"


def build_scopes(
    timeline: Timeline, as_of: date, count_additional_reviews: bool = True, short_break_gap_months: int = 12,
) -> CaseScopes:
    """Cut the timeline into scopes, ignoring events after `as_of` (except planned ones). Same-day changes
    follow docs/rules.md: an end and a start on one day, in any row order, end the old scope and open a new one."""
    events = [e for e in timeline.events if e.date <= as_of or e.kind in SCHEDULED_KINDS]  # known_on, inlined
    if not count_additional_reviews:
        events = [e for e in events if not (e.kind == "review_held" and e.subkind == "additional")]
    order = _ORDER.get
    events.sort(key=lambda e: (e.date, order(e.kind, 5)))  # (date, event_order)
    days = _days(events)
    ignored: dict[str, str] = {}
    placements = _spans(days, "placement", {"placement_start"},
                        {"placement_end": "placement ended", "looked_after_end": "left care"}, "move", ignored)
    by_within: dict[str, list[Scope]] = {
        "period": _spans(days, "period", {"looked_after_start"}, {"looked_after_end": "left care"},
                         "full_care", ignored),
        "proceedings": _spans(days, "proceedings", {"proceedings_issued"},
                              {"proceedings_concluded": "proceedings concluded"}, "supersede", ignored),
        "private_fostering": _spans(days, "private_fostering", {"pf_notified"},
                                    {"pf_end": "private fostering ended"}, "ignore", ignored),
        "dispute": _spans(days, "dispute", {"dispute_raised"}, {"dispute_resolved": "dispute resolved"},
                          "ignore", ignored),
        "placement": placements,
        "adoption": _adoption_spans(events, placements, ignored),
        "case": [Scope("case", "case", None, events=list(events))],
    }
    for period in by_within["period"]:
        period.short_break = bool(period.start_event and is_short_break_start(period.start_event))
    by_within["short_break_series"] = _short_break_series(by_within["period"], events, short_break_gap_months,
                                                          as_of, ignored)
    for placement in by_within["placement"]:
        assert placement.start_event is not None
        placement.placement_kind = placement.start_event.placement_kind
        placement.intended_until_18 = placement.start_event.intended_until_18
        home = next((p for p in reversed(by_within["period"]) if p.contains(placement.start_event.date)), None)
        placement.short_break = bool(home and home.short_break)
    return CaseScopes(timeline, events, by_within, ignored)


class _Day:
    """One day's events and the set of their kinds; or a run of days on which nothing opens or closes (no kinds):
    every span adds those days' events to the scope open, whichever day, so `_spans` takes them as one."""

    __slots__ = ("events", "kinds")

    def __init__(self, events: list[Event], kinds: frozenset[str] | set[str]) -> None:
        self.events = events
        self.kinds = kinds


_STRUCTURAL = frozenset(OPENERS) | frozenset(CLOSERS)  # every kind that may open or close a span
_NO_KINDS: frozenset[str] = frozenset()


def _days(events: list[Event]) -> list[_Day]:
    """The events (in date order) a day at a time for `_spans`, each run of consecutive days with no event of a
    `_STRUCTURAL` kind as one `_Day` with no kinds (most days: visits, reviews)."""
    structural = {e.date for e in events if e.kind in _STRUCTURAL}
    if not structural:
        return [_Day(events, _NO_KINDS)] if events else []
    days: list[_Day] = []
    plain: list[Event] = []
    group: list[Event] = []
    last: date | None = None
    for e in events:
        day = e.date
        if day in structural:
            if day != last:
                if plain:
                    days.append(_Day(plain, _NO_KINDS))
                    plain = []
                group = []
                days.append(_Day(group, _NO_KINDS))
                last = day
            group.append(e)
        else:
            plain.append(e)
    if plain:
        days.append(_Day(plain, _NO_KINDS))
    for d in days:
        if d.events and d.events[0].date in structural:
            d.kinds = {e.kind for e in d.events}
    return days


_REOPEN_REASON = {
    "move": "next placement started ({kind} {day})",
    "full_care": "entered full care ({kind} {day}): the full regime starts that day",
    "supersede": "never concluded: a new application was issued ({kind} {day})",
}


def _spans(
    days: list[_Day], within: str, openers: set[str], closers: dict[str, str],
    reopen: str, ignored: dict[str, str],
) -> list[Scope]:
    """Scopes opened by an opener event and closed by a closer, a day at a time. On a day with an opener, the
    day's closers end the scope already open (one of each kind: a move, a new period), whatever their row
    order; then the openers open; then the day's other events join the open scope; any closer left over
    closes it (a one-day scope). An opener while a scope is open: `move` and `supersede` close the open one
    and open a new one; `ignore` reports it as ignored; `full_care` (periods of care) closes an open short-break
    period when a full-care period starts and otherwise ignores, as `ignore` does."""
    scopes: list[Scope] = []
    current: Scope | None = None
    structural = openers | set(closers)
    for day in days:
        group = day.events
        if day.kinds.isdisjoint(structural):  # nothing opens or closes: the day's events join the open scope
            if current is not None:
                current.events.extend(group)
            continue
        opens = [e for e in group if e.kind in openers]
        closes = [e for e in group if e.kind in closers]
        if reopen == "full_care" and len(opens) > 1:
            opens = _one_start(opens, ignored)
        if current is not None and opens:
            first_of_kind = list({e.kind: e for e in reversed(closes)}.values())
            for event in first_of_kind:
                closes.remove(event)
            if first_of_kind:
                _close(current, min(first_of_kind, key=event_order), closers, first_of_kind)
                current = None
        for event in opens:
            if current is not None and (reopen == "ignore" or (reopen == "full_care" and not _to_full_care(
                    current, event))):
                assert current.start_event is not None
                ignored.setdefault(event.event_id, (
                    f"a second {event.kind} while the {within.replace('_', ' ')} opened by "
                    f"{current.start_event.kind} {current.start_event.date.isoformat()} is still open"))
                continue
            if current is not None:
                current.end = event.date
                current.end_reason = _REOPEN_REASON[reopen].format(kind=event.kind, day=event.date.isoformat())
            current = Scope(within, event.event_id, event)
            scopes.append(current)
        if current is None:
            continue
        current.events.extend(e for e in group if e.kind not in openers and e.kind not in closers)
        if closes:
            _close(current, closes[0], closers, closes[:1])
            current = None
    return scopes


def _close(scope: Scope, event: Event, closers: dict[str, str], closing: list[Event]) -> None:
    scope.events.extend(closing)
    scope.end = event.date
    scope.end_event = event
    scope.end_reason = f"{closers[event.kind]} ({event.kind} {event.date.isoformat()})"


def _adoption_spans(events: list[Event], placements: list[Scope], ignored: dict[str, str]) -> list[Scope]:
    """A child placed for adoption stays so until the placement they were in on that day ends (or they leave
    care): the adoption scope follows its placement, so a move into an adoptive placement keeps it open."""
    scopes: list[Scope] = []
    for event in events:
        if event.kind != "placed_for_adoption":
            continue
        current = scopes[-1] if scopes else None
        if current is not None and current.contains(event.date):
            ignored.setdefault(event.event_id, (
                f"a second placed_for_adoption while the child is already placed for adoption "
                f"(since {current.start.isoformat() if current.start else '?'})"))
            continue
        home = next((p for p in reversed(placements) if p.contains(event.date)), None)
        scope = Scope("adoption", event.event_id, event)
        if home is not None:
            scope.end, scope.end_reason, scope.end_event = home.end, home.end_reason, home.end_event
        else:
            left = next((e for e in events if e.kind == "looked_after_end" and e.date >= event.date), None)
            if left is not None:
                scope.end, scope.end_event = left.date, left
                scope.end_reason = f"left care (looked_after_end {left.date.isoformat()})"
        scope.events = [e for e in events if e is not event and scope.contains(e.date)]
        scopes.append(scope)
    return scopes


def _one_start(opens: list[Event], ignored: dict[str, str]) -> list[Event]:
    """Several period starts on one day (an SSD episode and its V3/V4 legal status) are one start: a short-break
    one carries the legal status and opens the period; the others are reported as the same start."""
    keep = next((e for e in opens if is_short_break_start(e)), opens[0])
    for event in opens:
        if event is not keep:
            ignored.setdefault(event.event_id, f"the same period start as {keep.event_id}"
                                               f"{' (short breaks)' if is_short_break_start(keep) else ''}")
    return [keep]


def _to_full_care(current: Scope, event: Event) -> bool:
    return current.start_event is not None and is_short_break_start(current.start_event) \
        and not is_short_break_start(event)


def _short_break_series(
    periods: list[Scope], events: list[Event], gap_months: int, as_of: date, ignored: dict[str, str],
) -> list[Scope]:
    """Reg 48: consecutive short-break periods form one series, whose reviews and visits carry on across the
    breaks, until a full-care period starts (the full regime begins that day) or no break follows within
    `gap_months` of the last one's end (the series ended on the day the gap became longer than that)."""
    series: list[Scope] = []
    current: Scope | None = None
    last_end: date | None = None
    for period in periods:
        assert period.start_event is not None and period.start is not None
        if current is not None and last_end is not None and period.start > add_months(last_end, gap_months):
            _end_series(current, add_months(last_end, gap_months), last_end, gap_months)
            current = None
        if not period.short_break:
            if current is not None:
                current.end, current.end_event = period.start, period.start_event
                current.end_reason = (f"entered full care (looked_after_start {period.start.isoformat()}): the "
                                      f"full regime starts that day")
                current = None
            continue
        if current is None:
            current = Scope("short_break_series", period.key, period.start_event, short_break=True)
            series.append(current)
        current.events.extend(period.events)
        last_end = period.end
        if last_end is None:
            break
    if current is not None and last_end is not None and as_of > add_months(last_end, gap_months):
        _end_series(current, add_months(last_end, gap_months), last_end, gap_months)
    for scope in series:
        placed = [p for p in periods if p.short_break and scope.contains(p.start or date.min)]
        between = [e for e in events if scope.contains(e.date) and not any(p.contains(e.date) for p in placed)]
        for event in between:
            if event.kind == "visit":
                ignored.setdefault(event.event_id, "a visit on a day the child was not on a short break: reg "
                                                   "48(3)(c) counts visits on days the child is in fact placed")
        scope.events = sorted([*scope.events, *(e for e in between if e.kind == "review_held")],
                              key=lambda e: (e.date, event_order(e)))
    return series


def _end_series(scope: Scope, end: date, last_end: date, gap_months: int) -> None:
    scope.end = end
    scope.end_reason = (f"no short break for {gap_months} months after the last one ended {last_end.isoformat()} "
                        f"(setting short_break_series_gap_months): the series ended")
