"""Synthetic Standard Safeguarding Dataset extracts built on `ptrack.tracker.synthetic` timelines, with the equivalent
canonical cases.csv / events.csv (the same facts, as far as the SSD tables carry them) and review due dates
that agree with ptrack's except for planted differences (`SsdFiles.planted`).

Names, postcodes and free text are planted in the columns that carry them (`PLANTED_NAME`): an import must
store none of them. Synthetic data only."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ptrack.calendars import WorkingDayCalendar
from ptrack.calendars.counting import add_months
from ptrack.tracker.model import Case, Event
from ptrack.tracker.synthetic import CaseloadShape, caseload
from ptrack.tracker.synthetic_903 import place_code

PLANTED_NAME = "Zebedee Quillfeather"
PLANTED_POSTCODE = "ZZ99 9QQ"
TABLES: dict[str, tuple[str, ...]] = {
    "ssd_person": ("pers_legacy_id", "pers_person_id", "pers_sex", "pers_gender", "pers_ethnicity", "pers_dob",
                   "pers_common_child_id", "pers_upn_unknown", "pers_send_flag", "pers_expected_dob",
                   "pers_death_date", "pers_is_mother", "pers_nationality"),
    "ssd_cla_episodes": ("clae_cla_episode_id", "clae_person_id", "clae_cla_placement_id",
                         "clae_cla_episode_start_date", "clae_cla_episode_start_reason", "clae_cla_primary_need_code",
                         "clae_cla_episode_ceased", "clae_cla_episode_ceased_reason", "clae_cla_id", "clae_referral_id",
                         "clae_cla_last_iro_contact_date", "clae_entered_care_date"),
    "ssd_cla_placement": ("clap_cla_placement_id", "clap_cla_id", "clap_person_id", "clap_cla_placement_start_date",
                          "clap_cla_placement_type", "clap_cla_placement_urn", "clap_cla_placement_distance",
                          "clap_cla_placement_provider", "clap_cla_placement_postcode", "clap_cla_placement_end_date",
                          "clap_cla_placement_change_reason"),
    "ssd_cla_reviews": ("clar_cla_review_id", "clar_cla_id", "clar_cla_review_due_date", "clar_cla_review_date",
                        "clar_cla_review_cancelled", "clar_cla_review_participation"),
    "ssd_cla_visits": ("clav_cla_visit_id", "clav_cla_id", "clav_person_id", "clav_cla_visit_date",
                       "clav_cla_visit_seen", "clav_cla_visit_seen_alone"),
    "ssd_permanence": ("perm_table_id", "perm_person_id", "perm_cla_id", "perm_placed_for_adoption_date",
                       "perm_permanence_order_date", "perm_permanence_order_type", "perm_decision_reversed_reason"),
    "ssd_involvements": ("invo_involvements_id", "invo_professional_id", "invo_professional_role_id",
                         "invo_professional_team", "invo_person_id", "invo_involvement_start_date",
                         "invo_involvement_end_date", "invo_worker_change_reason", "invo_referral_id"),
    "ssd_professionals": ("prof_professional_id", "prof_staff_id", "prof_professional_name",
                          "prof_social_worker_registration_no", "prof_agency_worker_flag",
                          "prof_professional_job_title", "prof_professional_caseload",
                          "prof_professional_department", "prof_full_time_equivalency", "prof_professional_email"),
}
CANONICAL_KINDS = frozenset({"looked_after_start", "looked_after_end", "placement_start", "placement_end",
                             "review_held", "visit", "placed_for_adoption", "permanence_achieved"})
_ORDERS = {"adoption_order": "Adoption Order", "sgo": "Special Guardianship Order", "cao": "Child Arrangements Order"}


@dataclass
class SsdFiles:
    folder: Path
    canonical_cases: Path
    canonical_events: Path
    planted: set[tuple[str, str]] = field(default_factory=set)  # (case_id, review_id) with a differing due date


def _iso(day: date | None) -> str:
    return "" if day is None else f"{day.isoformat()} 00:00:00.000"


class _Writer:
    def __init__(self, folder: Path, calendar: WorkingDayCalendar) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        self.events: list[tuple[str, ...]] = []
        self.cases: list[tuple[str, ...]] = []
        self.calendar = calendar
        self.planted: set[tuple[str, str]] = set()
        self.workers: dict[str, str] = {}

    def child(self, case: Case, events: Sequence[Event]) -> None:
        periods = _periods(events)
        if not periods:
            return
        cid = case.case_id
        self.rows["ssd_person"].append(("", cid, "M", "", "WBRI", _iso(case.dob), "", "", "", "", "", "N", ""))
        self.cases.append((cid, "", case.dob.isoformat() if case.dob else "", case.team, case.worker_email, "", ""))
        self.involvement(case, periods[0][0].date)
        for n, period in enumerate(periods):
            self.period(cid, f"{cid}-P{n}", period)

    def involvement(self, case: Case, start: date) -> None:
        worker = self.workers.setdefault(case.worker_email, f"PR{len(self.workers) + 1:04d}")
        self.rows["ssd_involvements"] += [
            (f"I{case.case_id}-0", "PR9999", "CW", case.team, case.case_id, _iso(start - timedelta(400)),
             _iso(start - timedelta(30)), f"{PLANTED_NAME} moved team", ""),
            (f"I{case.case_id}-1", worker, "CW", case.team, case.case_id, _iso(start), "", "", ""),
        ]

    def period(self, cid: str, cla: str, events: list[Event]) -> None:
        for event in events:
            if event.kind in CANONICAL_KINDS and not (event.kind == "permanence_achieved"
                                                       and event.subkind not in _ORDERS):
                kind = "foster" if event.placement_kind == "emergency_foster" else event.placement_kind  # no SSD code
                self.events.append((event.event_id, cid, event.kind, event.date.isoformat(), kind,
                                    "" if event.intended_until_18 is None else
                                    ("yes" if event.intended_until_18 else "no"), event.subkind))
        self.episodes(cid, cla, events)
        self.reviews(cid, cla, events)
        for v in (e for e in events if e.kind == "visit"):
            self.rows["ssd_cla_visits"].append((f"V{v.event_id}", cla, cid, _iso(v.date), "Y", "N"))
        for e in events:
            if e.kind == "placed_for_adoption":
                self.rows["ssd_permanence"].append((f"PA{e.event_id}", cid, cla, _iso(e.date), "", "", ""))
            elif e.kind == "permanence_achieved" and e.subkind in _ORDERS:
                self.rows["ssd_permanence"].append((f"PO{e.event_id}", cid, cla, "", _iso(e.date),
                                                    _ORDERS[e.subkind], f"{PLANTED_NAME} objected"))

    def episodes(self, cid: str, cla: str, events: list[Event]) -> None:
        start = events[0].date
        end = next((e.date for e in events if e.kind == "looked_after_end"), None)
        placements = [e for e in events if e.kind == "placement_start"]
        for n, p in enumerate(placements):
            nxt = placements[n + 1].date if n + 1 < len(placements) else None
            ended = next((e.date for e in events if e.kind == "placement_end" and p.date < e.date
                          and (nxt is None or e.date <= nxt)), None)
            ceased, reason = (nxt, "X1") if nxt is not None else (end, "E11" if end else "")
            self.rows["ssd_cla_episodes"].append((
                f"E{p.event_id}", cid, f"PL{p.event_id}", _iso(p.date), "S" if n == 0 else "P", "N1",
                _iso(ceased), reason, cla, "", "", _iso(start)))
            self.rows["ssd_cla_placement"].append((
                f"PL{p.event_id}", cla, cid, _iso(p.date), place_code(p), "SC000001", "3.2", "PR1",
                PLANTED_POSTCODE, _iso(ended), ""))

    def reviews(self, cid: str, cla: str, events: list[Event]) -> None:
        start, due = events[0].date, self.calendar.add_working_days(events[0].date, 20)
        held = [e for e in events if e.kind == "review_held"]
        for k, review in enumerate(held):
            self.review_row(cid, cla, f"R{review.event_id}", due, review.date, k)
            due = add_months(review.date, 3 if k == 0 else 6)
        if not any(e.kind == "looked_after_end" for e in events):
            self.review_row(cid, cla, f"R{cid}-{start.isoformat()}-next", due, None, len(held))

    def review_row(self, cid: str, cla: str, review_id: str, due: date, held: date | None, k: int) -> None:
        if sum(map(ord, review_id)) % 11 == 3:  # planted: the case system's date differs
            due = due + timedelta(days=7 if k else 8)
            self.planted.add((cid, review_id))
        self.rows["ssd_cla_reviews"].append((review_id, cla, _iso(due), _iso(held), "N", "PN1"))

    def professionals(self, teams: dict[str, str]) -> None:
        for email, pid in self.workers.items():
            self.rows["ssd_professionals"].append((pid, f"S{pid}", f"{PLANTED_NAME} {pid}", "SW123", "N",
                                                   "Social Worker", "12", teams.get(email, ""), "1.0", email))
        self.rows["ssd_professionals"].append(("PR9999", "SPR9999", PLANTED_NAME, "", "N", "", "", "", "", ""))


def _periods(events: Sequence[Event]) -> list[list[Event]]:
    """Each period of care: its events from looked_after_start to looked_after_end (inclusive)."""
    out: list[list[Event]] = []
    current: list[Event] | None = None
    for e in events:
        if e.kind == "looked_after_start":
            current = [e]
            out.append(current)
        elif current is not None:
            current.append(e)
            if e.kind == "looked_after_end":
                current = None
    return out


def write_ssd(folder: Path, shape: CaseloadShape, calendar: WorkingDayCalendar) -> SsdFiles:
    """`folder/ssd/<table>.csv` for every table, and `folder/canonical/{cases,events}.csv`."""
    writer = _Writer(folder, calendar)
    teams: dict[str, str] = {}
    for case, events in caseload(shape):
        writer.child(case, events)
        teams[case.worker_email] = case.team
    writer.professionals(teams)
    (folder / "ssd").mkdir(parents=True, exist_ok=True)
    (folder / "canonical").mkdir(parents=True, exist_ok=True)
    for table, columns in TABLES.items():
        _write(folder / "ssd" / f"{table}.csv", columns, writer.rows[table])
    files = SsdFiles(folder / "ssd", folder / "canonical" / "cases.csv", folder / "canonical" / "events.csv",
                     writer.planted)
    _write(files.canonical_cases, ("case_id", "initials", "dob", "team", "worker_email", "manager_email",
                                   "iro_email"), writer.cases)
    _write(files.canonical_events, ("event_id", "case_id", "event", "date", "placement_kind", "intended_until_18",
                                    "kind"), writer.events)
    return files


def _write(path: Path, header: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
