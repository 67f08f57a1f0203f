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
    "ssd_legal_status": ("lega_legal_status_id", "lega_person_id", "lega_legal_status", "lega_legal_status_start_date",
                         "lega_legal_status_end_date"),
    "ssd_missing": ("miss_table_id", "miss_person_id", "miss_missing_episode_start_date", "miss_missing_episode_type",
                    "miss_missing_episode_end_date", "miss_missing_rhi_offered", "miss_missing_rhi_accepted"),
    "ssd_cla_health": ("clah_health_check_id", "clah_person_id", "clah_health_check_type", "clah_health_check_date",
                       "clah_health_check_status"),
    "ssd_care_leavers": ("clea_table_id", "clea_person_id", "clea_care_leaver_eligibility", "clea_care_leaver_in_touch",
                         "clea_care_leaver_latest_contact", "clea_care_leaver_accommodation",
                         "clea_care_leaver_accom_suitable", "clea_care_leaver_activity",
                         "clea_pathway_plan_review_date", "clea_care_leaver_personal_advisor",
                         "clea_care_leaver_allocated_team", "clea_care_leaver_worker_id"),
    "ssd_professionals": ("prof_professional_id", "prof_staff_id", "prof_professional_name",
                          "prof_social_worker_registration_no", "prof_agency_worker_flag",
                          "prof_professional_job_title", "prof_professional_caseload",
                          "prof_professional_department", "prof_full_time_equivalency", "prof_professional_email"),
}
CANONICAL_KINDS = frozenset({"looked_after_start", "looked_after_end", "placement_start", "placement_end",
                             "review_held", "visit", "placed_for_adoption", "permanence_achieved", "missing_start",
                             "missing_end", "health_assessment"})
# The council's map of its free-text health check types (config [import.health_check_types]); the extract also
# holds one type the map leaves out, which the import must reject, not guess (`SsdFiles.unmapped`).
HEALTH_CHECK_TYPES = {"initial health assessment": "initial", "review health assessment": "review",
                      "dental check": "dental", "health check": "other"}
UNMAPPED_HEALTH_CHECK = "Optician check"
_HEALTH_TEXT = {"initial": "Initial Health Assessment", "review": "Review Health Assessment"}
_ORDERS = {"adoption_order": "Adoption Order", "sgo": "Special Guardianship Order", "cao": "Child Arrangements Order"}


@dataclass
class SsdFiles:
    folder: Path
    canonical_cases: Path
    canonical_events: Path
    planted: set[tuple[str, str]] = field(default_factory=set)  # (case_id, review_id) with a differing due date
    unmapped: int = 0  # the line of ssd_cla_health.csv whose check type the config does not map


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
        self.unmapped = 0

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
            self.statuses(cid, f"{cid}-P{n}", period)
        self.care_leaver(case, events)

    def statuses(self, cid: str, cla: str, events: list[Event]) -> None:
        """Legal status, missing episodes and health checks of one period."""
        start, end = events[0], next((e.date for e in events if e.kind == "looked_after_end"), None)
        short = start.subkind == "short_breaks"
        self.rows["ssd_legal_status"].append((f"L{cla}", cid, "V3" if short else "C2", _iso(start.date), _iso(end)))
        missing = [e for e in events if e.kind in ("missing_start", "missing_end")]
        for e in (e for e in missing if e.kind == "missing_start"):
            back = next((m for m in missing if m.kind == "missing_end" and m.date >= e.date), None)
            rhi = any(x.kind == "return_home_interview" and back is not None and x.date >= back.date
                      for x in events)
            self.rows["ssd_missing"].append((f"M{e.event_id}", cid, _iso(e.date), e.subkind.title(),
                                             _iso(back.date if back else None), "Y" if rhi else "N",
                                             "Y" if rhi else ("N" if back else "")))
        for e in (e for e in events if e.kind == "health_assessment"):
            self.rows["ssd_cla_health"].append((f"H{e.event_id}", cid, _HEALTH_TEXT.get(e.subkind, "Health check"),
                                                _iso(e.date), "Completed"))
            if sum(map(ord, e.event_id)) % 5 == 0:  # a dental check and a booked one: no health assessment
                self.rows["ssd_cla_health"] += [
                    (f"D{e.event_id}", cid, "Dental Check", _iso(e.date), "Completed"),
                    (f"B{e.event_id}", cid, "Review Health Assessment", _iso(e.date), "Booked")]
        if not self.unmapped and any(e.kind == "health_assessment" for e in events):
            self.rows["ssd_cla_health"].append((f"U{cid}", cid, UNMAPPED_HEALTH_CHECK, _iso(events[0].date),
                                                "Completed"))
            self.unmapped = len(self.rows["ssd_cla_health"]) + 1  # line 1 is the header row

    def care_leaver(self, case: Case, events: Sequence[Event]) -> None:
        """ssd_care_leavers holds the latest contact and pathway plan review only: so does the canonical twin."""
        contacts = [e for e in events if e.kind == "pa_visit"]
        plans = [e for e in events if e.kind == "pathway_plan_reviewed"]
        if not contacts and not plans:
            return
        cid = case.case_id
        latest = [x[-1] for x in (contacts, plans) if x]
        for e in latest:
            self.events.append((e.event_id, cid, e.kind, e.date.isoformat(), "", "", ""))
        self.rows["ssd_care_leavers"].append((
            f"CL{cid}", cid, "Relevant", "Yes", _iso(contacts[-1].date if contacts else None), "S", "Y", "F2",
            _iso(plans[-1].date if plans else None), PLANTED_NAME, case.team, ""))

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
        if events[0].subkind == "short_breaks":  # reg 48: the case system's reg 33 due dates do not apply
            for review in (e for e in events if e.kind == "review_held"):
                self.rows["ssd_cla_reviews"].append((f"R{review.event_id}", cla, "", _iso(review.date), "N", "PN1"))
            return
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
    """Each period of care: its events from looked_after_start to looked_after_end (inclusive), and for a short
    break the reviews held before the next break."""
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
        elif out and out[-1][0].subkind == "short_breaks" and e.kind == "review_held":
            out[-1].append(e)  # a review of a series of short breaks held between two breaks
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
                     writer.planted, writer.unmapped)
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
