"""The new rules through the real reminder path (events.csv imported, deadlines computed by the engine, `remind`
over SQLite and PostgreSQL): a return home interview is urgent, so its first reminder goes the day the child
returns and its manager escalation the first working day it is overdue; IRO-relevant rules (health assessments,
PEPs, emergency placements, reviews of a child waiting for adoption) escalate to the IRO, the others do not; the
weekly digest counts them by rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from outbox_helpers import at
from sqlalchemy import select

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker import services
from ptrack.tracker.config import Config, NotifyConfig
from ptrack.tracker.digest.service import load_digest
from ptrack.tracker.outbox.service import remind
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import notify_schema as n

CASES_HEADER = ["case_id", "initials", "dob", "team", "worker_email", "manager_email", "iro_email"]
PEOPLE_HEADER = ["email", "name", "role", "team", "slack_user_id", "channel"]
EVENTS_HEADER = ["event_id", "case_id", "event", "date", "kind"]
CASES = [["R1", "AB", "2012-03-01", "CiC 1", "worker@example.org", "manager@example.org", "iro@example.org"]]
PEOPLE = [["worker@example.org", "W", "worker", "CiC 1", "", ""],
          ["manager@example.org", "M", "manager", "CiC 1", "", ""], ["iro@example.org", "I", "iro", "", "", ""]]
# Looked after since 2026-09-01 with health assessment, PEP and IRO all in hand; the child went missing on
# Wed 18 Nov 2026 and came back on Fri 20 Nov: the interview is due Mon 23 Nov (72 hours).
EVENTS = [
    ["e1", "R1", "looked_after_start", "2026-09-01", ""], ["e2", "R1", "iro_allocated", "2026-09-02", ""],
    ["e3", "R1", "health_assessment", "2026-09-20", "initial"], ["e4", "R1", "pep_reviewed", "2026-09-25", ""],
    ["e5", "R1", "review_held", "2026-09-28", ""], ["e6", "R1", "missing_start", "2026-11-18", "missing"],
    ["e7", "R1", "missing_end", "2026-11-20", "missing"],
    ["e8", "R1", "return_home_interview", "2026-01-05", ""],  # an earlier episode's: tells coverage it is supplied
]


def load(store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path,
         write_csv: Callable[..., Path], today: date, events: list[list[str]] = EVENTS) -> None:
    paths = [write_csv(tmp_path / "cases.csv", CASES_HEADER, CASES),
             write_csv(tmp_path / "people.csv", PEOPLE_HEADER, PEOPLE),
             write_csv(tmp_path / "events.csv", EVENTS_HEADER, [e for e in events if e[3] <= today.isoformat()])]
    reports = services.import_paths(store, paths, today=today, ruleset=ruleset, calendar=calendar)
    assert not any(r.has_rejects for r in reports)


def queued(store: Store) -> list[tuple[str, str, str]]:
    i = n.outbox_items.c
    with store.reading() as conn:
        return sorted((r.rule_id, r.kind, r.person_email)
                      for r in conn.execute(select(i.rule_id, i.kind, i.person_email)))


def test_the_first_return_home_interview_reminder_goes_the_day_the_child_returns(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path, write_csv: Callable[..., Path],
) -> None:
    load(store, ruleset, calendar, tmp_path, write_csv, date(2026, 11, 20))
    # only the due-day reminder configured: the urgent rule is still reminded from the anchor day
    config = Config(notify=NotifyConfig(remind_working_days_before=(0,)))
    remind(store, config, ruleset, calendar, at("2026-11-19", "08:00"))
    assert not [q for q in queued(store) if q[0] == "return_home_interview"]  # not back yet
    remind(store, config, ruleset, calendar, at("2026-11-20", "08:00"))
    assert ("return_home_interview", "reminder", "worker@example.org") in queued(store)


def test_unmet_it_escalates_to_the_manager_the_first_working_day_overdue_and_never_to_the_iro(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path, write_csv: Callable[..., Path],
) -> None:
    load(store, ruleset, calendar, tmp_path, write_csv, date(2026, 11, 24))
    remind(store, Config(), ruleset, calendar, at("2026-11-24", "08:00"))  # Tue: the first working day overdue
    rhi = [q for q in queued(store) if q[0] == "return_home_interview"]
    assert ("return_home_interview", "escalation_manager", "manager@example.org") in rhi
    assert not [q for q in rhi if q[1] == "escalation_iro"]
    digest = load_digest(store, Config(), date(2026, 11, 24))
    assert digest.teams[0].counts_by_rule["return_home_interview"].overdue == 1


def test_an_overdue_health_assessment_escalates_to_the_iro(
    store: Store, ruleset: RuleSet, calendar: WorkingDayCalendar, tmp_path: Path, write_csv: Callable[..., Path],
) -> None:
    events = [e for e in EVENTS if e[2] != "health_assessment"] + [["h0", "R1", "health_assessment", "2026-01-05",
                                                                    "other"]]
    load(store, ruleset, calendar, tmp_path, write_csv, date(2026, 11, 25), events)
    # looked after Tue 1 Sep 2026: 20 working days -> Tue 29 Sep; overdue since Wed 30 Sep
    remind(store, Config(), ruleset, calendar, at("2026-11-25", "08:00"))
    got = queued(store)
    assert ("health_assessment_initial", "escalation_iro", "iro@example.org") in got
    assert ("health_assessment_initial", "escalation_manager", "manager@example.org") in got
    assert not [q for q in got if q[0] in ("iro_allocated", "pep_initial")]  # met in time: nobody is told
