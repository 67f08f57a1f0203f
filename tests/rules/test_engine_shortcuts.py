"""The engine's shortcuts change no result: a rule whose scope-wide conditions fail is not judged anchor by anchor
only when nothing judged before that failure could raise or record an event as used, and a scope's events looked
up by kind come back in the scope's order with their positions."""

from datetime import date

from ptrack.tracker.model import Event
from ptrack.tracker.rules.conditions import compile_conditions, fails_throughout
from ptrack.tracker.rules.scopes import Scope

DAY = date(2025, 3, 3)


def placement(kind: str, *, short_break: bool = False) -> Scope:
    start = Event("p1", "C1", "placement_start", DAY, placement_kind=kind)
    return Scope("placement", "p1", start, placement_kind=kind, short_break=short_break)


def test_a_scope_wide_condition_that_fails_rules_the_scope_out() -> None:
    foster = placement("foster")
    assert fails_throughout(compile_conditions({"placement_kind": "with_parent"}), foster)
    assert fails_throughout(compile_conditions({"short_break": True, "first_placement_year": True}), foster)
    assert fails_throughout(compile_conditions({"slot": 2, "placement_kind": ["with_parent"]}), foster)
    assert not fails_throughout(compile_conditions({"placement_kind": ["foster", "with_parent"]}), foster)


def test_any_of_fails_throughout_only_when_every_option_does() -> None:
    when = {"any_of": [{"placement_kind": "connected_person"},
                       {"placement_kind": "with_parent", "interim_care_order": True}],
            "before_event": "carer_approved"}
    assert fails_throughout(compile_conditions(when), placement("foster"))
    assert not fails_throughout(compile_conditions(when), placement("connected_person"))
    assert not fails_throughout(compile_conditions(when), placement("with_parent"))


def test_no_shortcut_past_a_condition_that_records_or_may_raise() -> None:
    foster = placement("foster")
    # interim_care_order and before_event record the events they read (the import report's accounting);
    # first_placement_year may count on the calendar; age conditions assert their setting: judged as before.
    for first in ({"interim_care_order": False}, {"before_event": "carer_approved"},
                  {"first_placement_year": True}, {"age_lt": 5}):
        assert not fails_throughout(compile_conditions({**first, "placement_kind": "with_parent"}), foster)
    # The placement kind of a rule living in the period is the placement's on the anchor date: not scope-wide.
    period = Scope("period", "l1", Event("l1", "C1", "looked_after_start", DAY))
    assert not fails_throughout(compile_conditions({"placement_kind": "with_parent"}), period)


def test_events_by_kind_keep_the_scope_order_and_positions() -> None:
    kinds = ["visit", "review_held", "visit", "pep_reviewed", "review_held", "visit"]
    scope = Scope("period", "l1", None, events=[Event(f"e{i}", "C1", k, DAY) for i, k in enumerate(kinds)])
    assert scope.indexed("visit").positions == [0, 2, 5]
    both = scope.indexed(frozenset({"visit", "review_held"}))
    assert both.positions == [0, 1, 2, 4, 5]
    assert [e.event_id for e in both.events] == ["e0", "e1", "e2", "e4", "e5"]
    assert scope.indexed(frozenset({"pep_reviewed"})).positions == [3]
    assert scope.indexed("missing_end").events == [] and scope.of_kind("review_held") == [
        scope.events[1], scope.events[4]]
