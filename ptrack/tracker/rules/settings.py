"""The documented ambiguity settings of the rule packs (docs/rules.md, `[rules.settings]`), their defaults and
their checks. A wrong setting fails at load, naming the key and the reason."""

from __future__ import annotations

from collections.abc import Mapping

from ptrack.tracker.errors import RulePackError

# The documented ambiguity settings and their defaults; docs/rules.md explains each.
DEFAULT_SETTINGS: dict[str, object] = {
    "anchor_day_counts": False,  # is the anchor day itself day 1? (default: no, it is day 0)
    "tameside_20_days": "CD",  # Tameside's "20 days" for the initial PPM: CD or WD
    "somerset_5_days": "CD",  # Somerset's "5 days" for the pre-placement meeting: CD or WD
    "visit_interval_at_anniversary": "last_visit",  # or "due_date": interval in force on the visit's due date
    "reg24_expiry": "112 CD",  # 16 weeks as 112 days; "16 BW" counts the approval day as day 1
    "extra_review_counts_as_second": True,  # a review marked kind=additional still counts in the sequence
    "due_soon_working_days": 10,  # how many working days before due a deadline is "due soon"
    "iro_dispute_stage_sla": 5,  # working days per dispute stage
    "iro_dispute_total": 20,  # working days for the whole formal process
    "pep_age_from": 3,  # PEP: youngest age (on becoming looked after / the last PEP) a PEP is due for
    "pep_age_to": 18,  # PEP: no PEP is due from this age
    "pep_initial_working_days": 20,  # PEP in place within N working days of becoming looked after
    "pep_review_months": 4,  # PEP reviewed each term: at most N months after the last one
    "health_review_age": 5,  # review health assessments 6-monthly before this birthday, then 12-monthly
    "rhi_missing_kinds": "missing",  # missing_end kinds that call for a return home interview ("missing,away")
    "care_leaver_until_age": 21,  # pathway plan reviews and PA visits stop on this birthday (25 on request)
    "short_break_series_gap_months": 12,  # a longer gap between short breaks ends the series (reg 48)
}


def check_settings(settings: Mapping[str, object]) -> dict[str, object]:
    merged = dict(DEFAULT_SETTINGS)
    for key, value in settings.items():
        if key not in DEFAULT_SETTINGS:
            raise RulePackError("settings", key, f"unknown setting; known: {', '.join(sorted(DEFAULT_SETTINGS))}")
        if type(value) is not type(DEFAULT_SETTINGS[key]):
            raise RulePackError("settings", key, f"must be {type(DEFAULT_SETTINGS[key]).__name__}, got {value!r}")
        merged[key] = value
    for key in ("tameside_20_days", "somerset_5_days"):
        if merged[key] not in ("CD", "WD"):
            raise RulePackError("settings", key, "must be 'CD' or 'WD'")
    ages = merged["pep_age_from"], merged["pep_age_to"]
    if not (isinstance(ages[0], int) and isinstance(ages[1], int) and 0 <= ages[0] < ages[1] <= 25):
        raise RulePackError("settings", "pep_age_from", "PEP ages must satisfy 0 <= pep_age_from < pep_age_to <= 25")
    if not set(str(merged["rhi_missing_kinds"]).split(",")) <= {"missing", "away"}:
        raise RulePackError("settings", "rhi_missing_kinds", "must be 'missing' or 'missing,away'")
    if merged["visit_interval_at_anniversary"] not in ("last_visit", "due_date"):
        raise RulePackError("settings", "visit_interval_at_anniversary", "must be 'last_visit' or 'due_date'")
    return merged
