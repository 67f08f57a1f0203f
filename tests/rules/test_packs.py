"""The shipped packs hold every rule of SPEC §4 with its citation; a wrong pack fails at load, named."""

from pathlib import Path

import pytest

from ptrack.tracker.errors import RulePackError
from ptrack.tracker.rules import available_packs, load_ruleset

# SPEC §4: rule id -> (pack, N/L)
CATALOGUE = {
    "cla_review_first": ("england", "N"), "cla_review_second": ("england", "N"),
    "cla_review_subsequent": ("england", "N"), "cla_review_under5": ("somerset", "L"),
    "permanence_plan_by_second_review": ("england", "N"), "permanence_plan_by_4_months": ("halton", "L"),
    "visit_first_week": ("england", "N"), "visit_year1": ("england", "N"), "visit_after_year1": ("england", "N"),
    "visit_connected_or_parent": ("england", "N"), "reg24_expiry": ("england", "N"),
    "placement_plan": ("england", "N"), "care_plan": ("england", "N"),
    "care_proceedings_26_weeks": ("england", "N"), "ppm_initial": ("tameside", "L"),
    "ppm_recurring": ("tameside", "L"), "ppm_before_final_care_plan": ("tameside", "L"),
    "ppm_in_proceedings": ("enfield", "L"), "ppm_post_proceedings": ("enfield", "L"),
    "ppm_before_second_review": ("somerset", "L"), "pre_placement_meeting": ("somerset", "L"),
    "placement_support_meeting": ("somerset", "L"), "cf_assessment_refresh": ("tameside", "L"),
    "panel_invitation": ("halton", "L"), "panel_paperwork": ("halton", "L"),
    "panel_annual_review": ("halton", "L"), "pathway_plan_by_15_5": ("cheshire_east", "L"),
    "needs_assessment_16": ("england", "N"), "staying_put_review": ("tameside", "L"),
    "pf_initial_visit": ("england", "N"), "pf_visit": ("england", "N"), "adoption_review": ("england", "N"),
    "iro_dispute_stage": ("england", "L"), "iro_dispute_total": ("england", "N"),
    "short_break_review_first": ("england", "N"), "short_break_review_subsequent": ("england", "N"),
    "short_break_visit": ("england", "N"),
}
# The rest of the statutory timetable (the short-break rules are added with the short-break regime).
CATALOGUE.update({rule_id: ("england", "N") for rule_id in (
    "health_assessment_initial", "health_assessment_review", "pep_initial", "pep_review",
    "return_home_interview", "placement_notification", "emergency_placement_limit", "visit_with_parent_reg19",
    "visit_care_order_with_parent", "adoption_review_authorised", "adoption_visit", "pathway_plan_review",
    "personal_adviser_visit", "iro_allocated",
)})
ALL = ["england", "tameside", "somerset", "enfield", "cheshire_east", "halton"]


def test_the_six_packs_are_shipped() -> None:
    assert set(ALL) <= set(available_packs())


def test_every_catalogue_rule_is_shipped_with_citation_and_flag() -> None:
    rules = load_ruleset(ALL).rules
    assert set(rules) == set(CATALOGUE)
    for rule_id, (pack, scope) in CATALOGUE.items():
        rule = rules[rule_id]
        assert (rule.pack, rule.scope) == (pack, scope), rule_id
        assert rule.citation and rule.title and rule.description, rule_id
        assert rule.audience, rule_id


def test_ruleset_version_changes_with_packs_and_settings() -> None:
    a = load_ruleset(["england"]).version
    assert a == load_ruleset(["england"]).version
    assert a != load_ruleset(["england", "tameside"]).version
    assert a != load_ruleset(["england"], {"reg24_expiry": "16 BW"}).version


GOOD = """
[pack]
name = "x"
scope = "L"
[rules.x_rule]
title = "T"
obligation = "o"
citation = "C"
within = "period"
anchor = "start"
count = "5 WD"
met_by = "review_held"
"""


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (('count = "5 WD"', 'count = "5 FORTNIGHTS"'), "unknown counting unit"),
        (('count = "5 WD"', 'count = "five WD"'), "amount must be a whole number"),
        (('met_by = "review_held"', 'met_by = "tea_party"'), "met_by event 'tea_party' is not in the event vocabulary"),
        (('within = "period"', 'within = "galaxy"'), "within 'galaxy' is not one of"),
        (('anchor = "start"', 'anchor = "rule:nope"'), "anchor rule 'nope' is not active"),
        (('anchor = "start"', 'anchor = "sometime"'), "not a known anchor form"),
        (('title = "T"\n', ''), "missing required key 'title'"),
        (('title = "T"', 'title = "T"\ncolour = "red"'), "unknown key(s) ['colour']"),
        (('title = "T"', 'title = "T"\napplies_when = { moon = "full" }'), "unknown condition(s) ['moon']"),
        (('scope = "L"', 'scope = "Q"'), "scope must be 'N'"),
    ],
)
def test_a_wrong_rule_fails_at_load_naming_pack_rule_and_reason(
    tmp_path: Path, change: tuple[str, str], reason: str
) -> None:
    (tmp_path / "x.toml").write_text(GOOD.replace(*change))
    with pytest.raises(RulePackError) as caught:
        load_ruleset(["x"], directory=tmp_path)
    assert "rule pack 'x'" in str(caught.value)
    assert reason in str(caught.value)
    if "scope must be" not in reason:
        assert "rule x_rule" in str(caught.value)


def test_the_good_pack_loads(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text(GOOD)
    assert list(load_ruleset(["x"], directory=tmp_path).rules) == ["x_rule"]


def test_unknown_pack_and_duplicate_rule_ids(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="no such pack"):
        load_ruleset(["narnia"])
    (tmp_path / "x.toml").write_text(GOOD)
    (tmp_path / "y.toml").write_text(GOOD.replace('name = "x"', 'name = "y"'))
    with pytest.raises(RulePackError, match="rule x_rule: already defined by pack 'x'"):
        load_ruleset(["x", "y"], directory=tmp_path)


@pytest.mark.parametrize(
    ("settings", "reason"),
    [({"anchor_day_count": True}, "unknown setting"), ({"tameside_20_days": "WK"}, "must be 'CD' or 'WD'"),
     ({"anchor_day_counts": "yes"}, "must be bool"), ({"pep_age_from": 18}, "pep_age_from < pep_age_to"),
     ({"rhi_missing_kinds": "missing,absent"}, "'missing' or 'missing,away'"),
     ({"care_leaver_until_age": "21"}, "must be int")],
)
def test_settings_are_checked(settings: dict[str, object], reason: str) -> None:
    with pytest.raises(RulePackError, match=reason):
        load_ruleset(["england"], settings)
