"""Properties of the engine over random timelines: forward rules never fall due before their anchor, WD
rules fall due on working days, statuses agree with their dates, and compute is deterministic."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from law import ALL_PACKS, calendar, ruleset

from ptrack.calendars import Unit
from ptrack.tracker.model import Case, Event, Status, Timeline
from ptrack.tracker.rules import compute

KINDS = ["review_held", "visit", "ppm_held", "placement_start", "looked_after_end", "looked_after_start",
         "permanence_achieved", "proceedings_issued", "proceedings_concluded", "temporary_approval",
         "approval_extended", "placement_support_meeting", "assessment_completed", "pf_notified", "pf_visit",
         "dispute_raised", "dispute_stage_started", "final_care_plan_due", "panel_date"]

events = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 2000),
              st.sampled_from(["foster", "connected_person", "with_parent", "residential"]), st.booleans()),
    min_size=0, max_size=30,
)


def timeline(dob_offset: int, raw: list[tuple[str, int, str, bool]]) -> Timeline:
    start = date(2020, 1, 6)
    evs = [Event("s", "P", "looked_after_start", start)] + [
        Event(f"e{i}", "P", kind, start + timedelta(days=off), placement_kind=pk, intended_until_18=u18,
              subkind="sgo" if kind == "permanence_achieved" else "")
        for i, (kind, off, pk, u18) in enumerate(raw)
    ]
    return Timeline(Case("P", "AB", start - timedelta(days=dob_offset)), tuple(evs))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 365 * 17), events, st.integers(0, 2500))
def test_engine_invariants(dob_offset: int, raw: list[tuple[str, int, str, bool]], as_of_offset: int) -> None:
    rs = ruleset(ALL_PACKS)
    as_of = date(2020, 1, 6) + timedelta(days=as_of_offset)
    tl = timeline(dob_offset, raw)
    got = compute(tl, rs, calendar(), as_of)
    assert got == compute(tl, rs, calendar(), as_of)
    keys = [d.key for d in got]
    assert len(keys) == len(set(keys)), "one deadline per obligation occurrence"
    for d in got:
        rule = rs.rules[d.rule_id]
        if rule.count.unit is not Unit.BEFORE and rule.anchor_kind not in ("rule", "review_after_age"):
            assert d.due >= d.anchor_date, f"{d.rule_id} due {d.due} before its anchor {d.anchor_date}"
        if rule.count.unit is Unit.WD and not rule.variants and rule.extended_by is None and d.due > d.anchor_date:
            assert calendar().is_working_day(d.due)
        assert d.last_working_day <= d.due and calendar().is_working_day(d.last_working_day)
        assert d.status == d.status_on(as_of)
        if d.met_on is not None and d.met_on <= as_of:  # a planned panel date may "meet" in the future
            assert d.status in (Status.MET, Status.MET_LATE)
        assert d.contributors[0].rule_id == d.rule_id
        assert all(c.due >= d.due for c in d.contributors), "the earliest due date wins"
