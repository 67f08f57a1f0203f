"""Rules as data and the pure engine that turns a case timeline into explained deadlines."""

from ptrack.tracker.rules.accounting import CaseResult
from ptrack.tracker.rules.engine import compute, compute_case
from ptrack.tracker.rules.explain import explain, explain_ignored
from ptrack.tracker.rules.packs import Rule, RuleSet, available_packs, load_ruleset, packs_dir
from ptrack.tracker.rules.settings import DEFAULT_SETTINGS

__all__ = [
    "DEFAULT_SETTINGS",
    "CaseResult",
    "Rule",
    "RuleSet",
    "available_packs",
    "compute",
    "compute_case",
    "explain",
    "explain_ignored",
    "load_ruleset",
    "packs_dir",
]
