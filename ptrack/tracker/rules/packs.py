"""Rule packs: rules as reviewed data (TOML in `config/packs/`), loaded and checked before any date is computed.

A pack is `[pack]` (name, title, scope N|L, version) and `[rules.<id>]` tables. A rule says:

- `obligation`: what must happen. Rules sharing an obligation compete; for each occurrence the earliest due
  date wins (docs/rules.md), which is how a local pack makes a date earlier than the statutory one.
- `within`: the scope the rule lives in: `period` (of care), `placement`, `proceedings`, `private_fostering`,
  `adoption` (placed for adoption), `dispute`, `short_break_series` (consecutive short-break periods, reg 48),
  or `case`.
- `anchor`: where the count starts. `start` (the scope's opening event); `first:<event>`; `each:<event>` (every
  such event: INT, counted from the date it actually happened); `start_then_each:<event>`;
  `rule:<rule_id>` (the due date of another rule's deadline, moving with it); `age:<years>[:<months>]`;
  `eligible_16` (reg 40 eligibility, for the needs assessment); `review_after_age:<years>`;
  `first_then_each:<first>:<each>` (the first `<first>` event, then every `<each>` event after it: a care
  order, then the visits after it; its slots line up with the `<each>` chain of the scope, so the date after
  a care order competes with the one the last visit set). In `each`, `start_then_each` and `first_then_each`,
  `<each>` may name alternatives (`adoption_review_held|review_held`).
- `subkinds`: the `kind` values of anchor and meeting events that count (a health assessment of kind `other`
  meets nothing); events with no kind count too. A list, or `"{setting}"` naming a comma-separated setting.
- `count`: e.g. `"20 WD"`, `"3 MO"`, `"26 BW"`, `"6 BEFORE"`; `{setting}` placeholders take the documented
  ambiguity settings. `soon` optionally says when it becomes due soon (Enfield's 6-8 weeks).
- `met_by`: the event kinds that meet it; `met_from`: `anchor` (default), `scope_start`, `ref_anchor`,
  `lookback:<days>` (a window ending at any time, starting that many days before the due date).
- `applies_when`: conditions on the anchor date (placement_kind, intended_until_18, age_lt, age_gte,
  in_proceedings, proceedings_concluded, short_break, first_placement_year, after_event, before_event,
  slot_gte, interim_care_order (one in force on that date), anchor_event (the anchor's event kind), any_of
  (a list of condition tables, one of which must hold)). A value `"{setting}"` takes the named setting.
  `before_event = "carer_approved"` holds while no such event has happened in the placement (or the rule's own
  scope) on or before the anchor date: full approval ends the reg 28(4) regime from that day.
- `variants`: a list of `{when = {...}, count = "..."}` overriding the count when their conditions hold.
- `ends_when`: events that stop the rule (`"permanence_achieved"` or `{event=..., kinds=[...]}`); rules with
  `in_care = true` (the default for period and placement rules) also stop when the child leaves care. An open
  deadline at that point becomes `cancelled`, or `missed` if it was already overdue (docs/rules.md).
- `until_age`: the rule stops on that birthday (leaving-care rules: `until_age = 18`, CA 1989 Sch 2 para 19B):
  nothing is due on or after it. A whole number or `"{setting}"`.
- `extended_by`: `{event=..., default_weeks=8, max_weeks=8, max_count=N, only_in_force=false}` (proceedings,
  Reg 24 approvals). An extension past `max_count`, or with `only_in_force` one dated after the (extended) due
  date, is reported as ignored: reg 25 extends only an approval still in force.
- `audience`, `iro_relevant`: who is told (notification policy); `urgent = true`: reminded from the anchor
  day (a return home interview: the day the child comes back) and escalated on the first working day overdue.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from ptrack.calendars.counting import Count, Unit
from ptrack.calendars.errors import CountingError
from ptrack.tracker.errors import RulePackError
from ptrack.tracker.model import EVENT_KINDS, EVENT_SUBKINDS, PERMANENCE_KINDS, PLACEMENT_KINDS
from ptrack.tracker.rules.conditions import Compiled, compile_conditions
from ptrack.tracker.rules.settings import check_settings

SCOPES = frozenset({
    "period", "placement", "proceedings", "private_fostering", "adoption", "dispute", "short_break_series", "case",
})
AUDIENCES = frozenset({"worker", "manager", "iro"})
CONDITIONS = frozenset({
    "placement_kind", "intended_until_18", "age_lt", "age_gte", "in_proceedings", "proceedings_concluded",
    "short_break", "first_placement_year", "after_event", "before_event", "slot_gte", "slot",
    "interim_care_order", "anchor_event", "any_of",
})
META_KEYS = frozenset({
    "title", "obligation", "citation", "within", "anchor", "count", "soon", "met_by", "met_from", "applies_when",
    "variants", "ends_when", "in_care", "extended_by", "audience", "iro_relevant", "scope", "description",
    "until_age", "subkinds", "urgent",
})

_ANCHOR_RE = re.compile(
    r"^(start|eligible_16|first:\w+|each:\w+(\|\w+)*|start_then_each:\w+(\|\w+)*|rule:\w+|age:\d+(:\d+)?"
    r"|review_after_age:\d+|first_then_each:\w+:\w+(\|\w+)*)$"
)
_SETTING_RE = re.compile(r"^\{(\w+)\}$")


@dataclass(frozen=True)
class EndCondition:
    event: str
    kinds: frozenset[str] = frozenset()  # empty: any kind


@dataclass(frozen=True)
class Extension:
    event: str
    default_weeks: int
    max_weeks: int
    max_count: int | None
    only_in_force: bool = False


@dataclass(frozen=True)
class Variant:
    when: Mapping[str, object]
    count: Count
    checks: Compiled = field(init=False, repr=False, compare=False)  # `when`, compiled

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", compile_conditions(self.when))


@dataclass(frozen=True)
class Rule:
    rule_id: str
    pack: str
    scope: str  # "N" national, "L" local
    title: str
    obligation: str
    citation: str
    within: str
    anchor: str
    count: Count
    met_by: frozenset[str]
    soon: Count | None = None
    met_from: str = "anchor"
    applies_when: Mapping[str, object] = field(default_factory=dict)
    variants: tuple[Variant, ...] = ()
    ends_when: tuple[EndCondition, ...] = ()
    in_care: bool = True
    extended_by: Extension | None = None
    audience: frozenset[str] = frozenset({"worker"})
    iro_relevant: bool = False
    description: str = ""
    until_age: int | None = None  # the rule stops on this birthday (leaving-care rules: 18)
    subkinds: frozenset[str] = frozenset()  # `kind` values of anchor/meeting events that count; empty: any
    urgent: bool = False
    order: int = 0  # position in the rule set, for stable tie-breaks

    anchor_kind: str = field(init=False)
    anchor_arg: str = field(init=False)
    anchor_first: str = field(init=False)  # first_then_each: the first event's kind
    anchor_each: frozenset[str] = field(init=False)  # each / start_then_each / first_then_each: the chain's kinds
    anchor_kinds: frozenset[str] = field(init=False, repr=False, compare=False)  # first_then_each: both of them
    checks: Compiled = field(init=False, repr=False, compare=False)  # `applies_when`, compiled
    any_subkind: bool = field(init=False, repr=False, compare=False)  # no `subkinds`: `counts` is always true

    def __post_init__(self) -> None:
        kind, _, arg = self.anchor.partition(":")
        first, each = ("", arg)
        if kind == "first_then_each":
            first, _, each = arg.partition(":")
        object.__setattr__(self, "anchor_kind", kind)
        object.__setattr__(self, "anchor_arg", arg)
        object.__setattr__(self, "anchor_first", first)
        object.__setattr__(self, "anchor_each", frozenset(each.split("|")))
        object.__setattr__(self, "anchor_kinds", self.anchor_each | {first})
        object.__setattr__(self, "checks", compile_conditions(self.applies_when))
        object.__setattr__(self, "any_subkind", not self.subkinds)

    def counts(self, event_kind: str, event_subkind: str) -> bool:
        """Whether an anchor or meeting event counts for the rule: `subkinds` filters the events whose `kind`
        column is a checked vocabulary (health assessments, missing episodes); no kind always counts."""
        return (not self.subkinds or event_kind not in EVENT_SUBKINDS or not event_subkind
                or event_subkind in self.subkinds)


@dataclass(frozen=True)
class RuleSet:
    rules: Mapping[str, Rule]
    packs: tuple[str, ...]
    settings: Mapping[str, object]
    version: str

    @cached_property
    def ordered(self) -> tuple[Rule, ...]:
        """Rules in dependency order: rules anchored on another rule's due date come after it. Worked out once
        per rule set, not once per case."""
        plain = [r for r in self.rules.values() if r.anchor_kind not in ("rule", "review_after_age")]
        dependent = [r for r in self.rules.values() if r.anchor_kind in ("rule", "review_after_age")]
        return tuple(sorted(plain, key=lambda r: r.order) + sorted(dependent, key=lambda r: r.order))

    def get(self, rule_id: str) -> Rule | None:
        return self.rules.get(rule_id)


def packs_dir() -> Path:
    """Shipped packs are package data (`ptrack/config/packs/`, found through importlib.resources, so a plain
    wheel install finds them); PTRACK_PACKS_DIR points elsewhere."""
    env = os.environ.get("PTRACK_PACKS_DIR")
    if env:
        return Path(env)
    return Path(str(resources.files("ptrack") / "config" / "packs"))


def available_packs(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or packs_dir()).glob("*.toml"))


def load_ruleset(
    pack_names: Sequence[str], settings: Mapping[str, object] | None = None, directory: Path | None = None
) -> RuleSet:
    """Load and check the named packs. A wrong rule fails here, naming the pack, the rule and the reason."""
    merged = check_settings(settings or {})
    base = directory or packs_dir()
    rules: dict[str, Rule] = {}
    digest = hashlib.sha256()
    for name in pack_names:
        path = base / f"{name}.toml"
        if not path.is_file():
            raise RulePackError(name, "", f"no such pack (looked for {path}); available: {available_packs(base)}")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise RulePackError(name, "", f"cannot be read ({path}): {exc.strerror}") from None
        digest.update(raw)
        for rule in _parse_pack(name, raw, merged, start=len(rules)):
            if rule.rule_id in rules:
                raise RulePackError(name, rule.rule_id, f"already defined by pack {rules[rule.rule_id].pack!r}")
            rules[rule.rule_id] = rule
    _check_references(rules)
    digest.update(repr(sorted((k, str(v)) for k, v in merged.items())).encode())
    version = f"{'+'.join(pack_names)}@{digest.hexdigest()[:12]}"
    return RuleSet(rules=rules, packs=tuple(pack_names), settings=merged, version=version)


def _parse_pack(name: str, raw: bytes, settings: Mapping[str, object], start: int) -> list[Rule]:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulePackError(name, "", f"not valid TOML: {exc}") from None
    meta = data.get("pack", {})
    scope = meta.get("scope")
    if scope not in ("N", "L"):
        raise RulePackError(name, "", "[pack] scope must be 'N' (national) or 'L' (local)")
    rules = data.get("rules")
    if not isinstance(rules, dict) or not rules:
        raise RulePackError(name, "", "a pack needs at least one [rules.<id>] table")
    return [
        _parse_rule(name, scope, rule_id, body, settings, start + i)
        for i, (rule_id, body) in enumerate(rules.items())
    ]


def _parse_rule(
    pack: str, scope: str, rule_id: str, body: Any, settings: Mapping[str, object], order: int
) -> Rule:
    def fail(reason: str) -> RulePackError:
        return RulePackError(pack, rule_id, reason)

    if not isinstance(body, dict):
        raise fail("must be a table")
    unknown = set(body) - META_KEYS
    if unknown:
        raise fail(f"unknown key(s) {sorted(unknown)}")
    for key in ("title", "obligation", "citation", "within", "anchor", "count", "met_by"):
        if key not in body:
            raise fail(f"missing required key {key!r}")
    # A national pack may ship a council-policy rule with its default (scope "L"), e.g. the dispute stages.
    scope = body.get("scope", scope)
    if scope not in ("N", "L"):
        raise fail(f"scope {scope!r} must be 'N' or 'L'")
    within = body["within"]
    if within not in SCOPES:
        raise fail(f"within {within!r} is not one of {sorted(SCOPES)}")
    anchor = str(body["anchor"])
    if not _ANCHOR_RE.match(anchor):
        raise fail(f"anchor {anchor!r} is not a known anchor form")
    head, _, tail = anchor.partition(":")
    if head in ("first", "each", "start_then_each", "first_then_each"):
        for named in re.split(r"[:|]", tail):
            if named not in EVENT_KINDS:
                raise fail(f"anchor event {named!r} is not in the event vocabulary")
    met_by = _as_list(body["met_by"])
    for kind in met_by:
        if kind not in EVENT_KINDS:
            raise fail(f"met_by event {kind!r} is not in the event vocabulary")
    met_from = str(body.get("met_from", "anchor"))
    if met_from not in ("anchor", "scope_start", "ref_anchor") and not re.match(r"^lookback:\d+$", met_from):
        raise fail(f"met_from {met_from!r} must be anchor, scope_start, ref_anchor or lookback:<days>")
    audience = frozenset(_as_list(body.get("audience", ["worker"])))
    if not audience <= AUDIENCES:
        raise fail(f"audience {sorted(audience - AUDIENCES)} not in {sorted(AUDIENCES)}")
    return Rule(
        rule_id=rule_id, pack=pack, scope=scope, title=str(body["title"]), obligation=str(body["obligation"]),
        citation=str(body["citation"]), within=within, anchor=anchor,
        count=_parse_count(fail, str(body["count"]), settings),
        soon=_parse_count(fail, str(body["soon"]), settings) if "soon" in body else None,
        met_by=frozenset(met_by), met_from=met_from,
        applies_when=_parse_conditions(fail, body.get("applies_when", {}), settings),
        variants=tuple(
            Variant(_parse_conditions(fail, v.get("when", {}), settings),
                    _parse_count(fail, str(v.get("count")), settings))
            for v in body.get("variants", [])
        ),
        ends_when=tuple(_parse_end(fail, e) for e in _as_list(body.get("ends_when", []))),
        in_care=bool(body.get("in_care", within in ("period", "placement", "adoption"))),
        extended_by=_parse_extension(fail, body["extended_by"]) if "extended_by" in body else None,
        audience=audience, iro_relevant=bool(body.get("iro_relevant", False)),
        description=str(body.get("description", "")), order=order,
        until_age=_parse_until_age(fail, _setting(fail, body.get("until_age"), settings)),
        subkinds=_parse_subkinds(fail, body.get("subkinds", []), settings),
        urgent=bool(body.get("urgent", False)),
    )


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _parse_count(fail: Any, text: str, settings: Mapping[str, object]) -> Count:
    try:
        text = text.format(**settings)
    except (KeyError, IndexError) as exc:
        raise fail(f"count {text!r} names an unknown setting {exc}") from None
    parts = text.split()
    if len(parts) != 2:
        raise fail(f"count {text!r} must be '<amount> <unit>', e.g. '20 WD'")
    amount, unit_text = parts
    try:
        unit = Unit.parse(unit_text)
    except CountingError as exc:
        raise fail(f"count {text!r}: {exc}") from None
    if unit is Unit.AGE:
        years, _, months = amount.partition(":")
        if not years.isdigit() or (months and not months.isdigit()):
            raise fail(f"count {text!r}: AGE amount is years[:months]")
        return Count(unit, int(years), int(months or 0))
    if not amount.isdigit():
        raise fail(f"count {text!r}: amount must be a whole number ≥ 0")
    return Count(unit, int(amount))


def _setting(fail: Any, value: Any, settings: Mapping[str, object]) -> Any:
    """A `"{name}"` value takes the named setting; anything else is itself."""
    match = _SETTING_RE.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    if match.group(1) not in settings:
        raise fail(f"{value!r} names an unknown setting")
    return settings[match.group(1)]


def _parse_subkinds(fail: Any, value: Any, settings: Mapping[str, object]) -> frozenset[str]:
    value = _setting(fail, value, settings)
    kinds = [k.strip() for k in value.split(",")] if isinstance(value, str) else _as_list(value)
    if not all(isinstance(k, str) and k for k in kinds):
        raise fail(f"subkinds {value!r} must be a list of event kind values")
    return frozenset(kinds)


def _parse_conditions(fail: Any, conditions: Any, settings: Mapping[str, object]) -> dict[str, object]:
    if not isinstance(conditions, dict):
        raise fail("applies_when/when must be a table")
    unknown = set(conditions) - CONDITIONS
    if unknown:
        raise fail(f"unknown condition(s) {sorted(unknown)}; known: {sorted(CONDITIONS)}")
    conditions = {name: _setting(fail, value, settings) for name, value in conditions.items()}
    if "any_of" in conditions:
        options = conditions["any_of"]
        if not isinstance(options, list) or not options:
            raise fail("any_of must be a list of condition tables")
        conditions["any_of"] = [_parse_conditions(fail, option, settings) for option in options]
    named_anchor = conditions.get("anchor_event")
    if named_anchor is not None and named_anchor not in EVENT_KINDS:
        raise fail(f"anchor_event {named_anchor!r} is not in the event vocabulary")
    kinds = conditions.get("placement_kind")
    if kinds is not None and not set(_as_list(kinds)) <= PLACEMENT_KINDS:
        raise fail(f"placement_kind {kinds!r} not in {sorted(PLACEMENT_KINDS)}")
    for key in ("after_event", "before_event"):
        named = conditions.get(key)
        if named is not None and named not in EVENT_KINDS:
            raise fail(f"{key} {named!r} is not in the event vocabulary")
    return dict(conditions)


def _parse_end(fail: Any, value: Any) -> EndCondition:
    if isinstance(value, str):
        value = {"event": value}
    event = value.get("event")
    if event not in EVENT_KINDS:
        raise fail(f"ends_when event {event!r} is not in the event vocabulary")
    kinds = frozenset(value.get("kinds", []))
    if not kinds <= PERMANENCE_KINDS:
        raise fail(f"ends_when kinds {sorted(kinds - PERMANENCE_KINDS)} not in {sorted(PERMANENCE_KINDS)}")
    return EndCondition(event, kinds)


def _parse_extension(fail: Any, value: Any) -> Extension:
    if not isinstance(value, dict) or value.get("event") not in EVENT_KINDS:
        raise fail("extended_by needs an event from the vocabulary")
    max_count = value.get("max_count")
    return Extension(
        event=str(value["event"]), default_weeks=int(value.get("default_weeks", 8)),
        max_weeks=int(value.get("max_weeks", 8)), max_count=None if max_count is None else int(max_count),
        only_in_force=bool(value.get("only_in_force", False)),
    )


def _parse_until_age(fail: Any, value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 30:
        raise fail(f"until_age {value!r} must be an age in whole years")
    return value


def _check_references(rules: Mapping[str, Rule]) -> None:
    for rule in rules.values():
        if rule.anchor_kind == "rule":
            target = rules.get(rule.anchor_arg)
            if target is None:
                raise RulePackError(rule.pack, rule.rule_id, f"anchor rule {rule.anchor_arg!r} is not active")
            if target.anchor_kind in ("rule", "review_after_age"):
                raise RulePackError(rule.pack, rule.rule_id, "anchor rule must not itself be anchored on a rule")
            if target.within != rule.within:
                raise RulePackError(rule.pack, rule.rule_id, f"anchor rule {target.rule_id!r} is in another scope")
