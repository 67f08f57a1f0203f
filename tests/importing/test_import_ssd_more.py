"""The SSD tables behind the rest of the timetable, row by row: health check types mapped by the council's config
(unmapped ones rejected, not guessed; only Completed checks; dental checks are not health assessments), missing
episodes with what can and cannot be judged of the return home interview, care leavers' latest dates, and
involvements naming the worker by prof_staff_id."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker.importing.formats import ExtractOptions
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.services import import_paths
from ptrack.tracker.store import Store
from ptrack.tracker.store import schema as t
from ptrack.tracker.store.extract_schema import worker_allocations

TODAY = date(2026, 11, 25)
TYPES = {"ha - initial": "initial", "ha - review": "review", "dental": "dental"}


def _files(where: Path, write_csv: Any) -> list[Path]:
    ts = " 00:00:00.000"
    return [
        write_csv(where / "ssd_person.csv", ["pers_person_id", "pers_dob"], [["P9", "2012-01-01" + ts]]),
        write_csv(where / "ssd_cla_health.csv", ["clah_health_check_id", "clah_person_id", "clah_health_check_type",
                                                 "clah_health_check_date", "clah_health_check_status"], [
            ["1", "P9", "HA -  Initial", "2025-02-01" + ts, "Completed"],
            ["2", "P9", "HA - Review", "2025-08-01" + ts, "Booked"],
            ["3", "P9", "Dental", "2025-08-02" + ts, "Completed"],
            ["4", "P9", "Optician", "2025-08-03" + ts, "Completed"],
        ]),
        write_csv(where / "ssd_missing.csv", ["miss_table_id", "miss_person_id", "miss_missing_episode_start_date",
                                              "miss_missing_episode_type", "miss_missing_episode_end_date",
                                              "miss_missing_rhi_offered", "miss_missing_rhi_accepted"], [
            ["1", "P9", "2025-03-01" + ts, "Missing", "2025-03-02" + ts, "Y", "N"]]),
        write_csv(where / "ssd_care_leavers.csv", ["clea_table_id", "clea_person_id",
                                                   "clea_care_leaver_latest_contact", "clea_pathway_plan_review_date",
                                                   "clea_care_leaver_personal_advisor"], [
            ["1", "P9", "2026-10-01" + ts, "2026-06-01" + ts, "Zebedee Quillfeather"]]),
        write_csv(where / "ssd_professionals.csv", ["prof_professional_id", "prof_staff_id"], [["PR1", "SW77"]]),
        write_csv(where / "ssd_involvements.csv", ["invo_involvements_id", "invo_professional_id", "invo_person_id",
                                                   "invo_professional_role_id", "invo_involvement_start_date",
                                                   "invo_involvement_end_date"], [
            ["I1", "PR1", "P9", "SW", "2025-01-01" + ts, ""]]),
    ]


def test_the_ssd_tables_give_what_they_can_and_say_what_they_cannot(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path, write_csv: Any,
) -> None:
    reports = import_paths(store, _files(tmp_path, write_csv), today=TODAY, ruleset=ruleset, calendar=calendar,
                           options=ExtractOptions(health_check_types=TYPES))
    rejects = [str(x) for r in reports for x in r.rejects]
    assert rejects == ["ssd_cla_health.csv:5: clah_health_check_type: 'optician' is not mapped: add it to "
                       "[import.health_check_types] in ptrack.toml as initial, review, dental or other (it is "
                       "never guessed)"]
    with store.reading() as conn:
        events = {(r.kind, r.date.isoformat(), r.subkind): r.note for r in conn.execute(
            select(t.events.c.kind, t.events.c.date, t.events.c.subkind, t.events.c.note))}
        allocations = conn.execute(select(worker_allocations.c.case_id, worker_allocations.c.sw_id)).all()
        dump = repr(conn.execute(select(t.events)).all())
    assert set(events) == {
        ("health_assessment", "2025-02-01", "initial"),  # booked and dental checks are no health assessment
        ("missing_start", "2025-03-01", "missing"), ("missing_end", "2025-03-02", "missing"),
        ("pa_visit", "2026-10-01", ""), ("pathway_plan_reviewed", "2026-06-01", ""),
    }
    assert "offered (Y) and accepted (N), not its date" in events[("missing_end", "2025-03-02", "missing")]
    assert "cannot be judged" in events[("missing_end", "2025-03-02", "missing")]
    assert "anchors the next due date only" in events[("pa_visit", "2026-10-01", "")]
    assert allocations == [("P9", "SW77")]  # no email in the extract: people.csv sw_id names the worker
    assert "Quillfeather" not in dump
