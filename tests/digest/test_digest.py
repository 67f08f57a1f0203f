"""The weekly digest against a real database (SQLite and PostgreSQL): its counts equal a direct count from
`query_deadlines` on the same as-of date, overall, by team, by worker and by rule; items are ordered as the
managers read them; `send_digests` queues one digest per manager per week and delivers it with its HTML."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from ptrack.calendars import WorkingDayCalendar
from ptrack.tracker import services
from ptrack.tracker.config import Config, TeamConfig
from ptrack.tracker.digest.build import UNALLOCATED, DigestDeadline, build_digest
from ptrack.tracker.digest.service import load_digest, send_digests
from ptrack.tracker.model import Case, Person, Status
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.synthetic import CaseloadShape, write_csvs
from tests.outbox.outbox_helpers import Recorder, at

AS_OF = date(2026, 11, 25)


@pytest.fixture
def caseload(store: Store, tmp_path: Path, ruleset: RuleSet, calendar: WorkingDayCalendar) -> Store:
    files = write_csvs(tmp_path / "data", CaseloadShape(children=150, teams=3, seed=7, as_of=AS_OF))
    services.import_paths(store, [files.cases, files.people, files.events], today=AS_OF, ruleset=ruleset,
                          calendar=calendar)
    return store


@pytest.mark.parametrize("as_of", [AS_OF, date(2026, 6, 1), date(2027, 1, 4)])
def test_digest_counts_equal_a_direct_count_of_the_deadlines(caseload: Store, as_of: date) -> None:
    digest = load_digest(caseload, Config(), as_of)
    rows = services.query_deadlines(caseload, as_of, statuses=[Status.UPCOMING, Status.DUE_SOON, Status.OVERDUE])
    overdue = [r for r in rows if r.status is Status.OVERDUE]
    soon = [r for r in rows if r.status is not Status.OVERDUE and r.due <= as_of + timedelta(days=14)]
    assert overdue and soon
    assert len(overdue) == len(services.query_deadlines(caseload, as_of, statuses=[Status.OVERDUE]))
    assert (digest.overdue, digest.due_soon) == (len(overdue), len(soon))
    assert {r: (n.overdue, n.due_soon) for r, n in digest.counts_by_rule.items()} == {
        r: (Counter(x.rule_id for x in overdue)[r], Counter(x.rule_id for x in soon)[r])
        for r in {x.rule_id for x in overdue + soon}}
    by_team = {t.team: (t.overdue, t.due_soon) for t in digest.teams}
    assert by_team == {team: (sum(r.team == team for r in overdue), sum(r.team == team for r in soon))
                       for team in {r.team for r in overdue + soon}}
    by_worker = Counter({(t.team, w.worker): len(w.overdue) for t in digest.teams for w in t.workers})
    assert +by_worker == Counter((r.team, r.worker_email.lower() or UNALLOCATED) for r in overdue)
    for team in digest.teams:
        assert team.managers, f"{team.team} has no manager"
        for w in team.workers:
            assert [i.due for i in w.overdue] == sorted(i.due for i in w.overdue)  # oldest first
            assert all(i.days == (as_of - i.due).days >= 1 for i in w.overdue)
            assert all(0 <= i.days <= 14 for i in w.due_soon)


def test_one_team(caseload: Store) -> None:
    digest = load_digest(caseload, Config(), AS_OF, team="Team B")
    assert [t.team for t in digest.teams] == ["Team B"]
    assert digest.overdue == len(services.query_deadlines(caseload, AS_OF, team="Team B",
                                                          statuses=[Status.OVERDUE]))


def test_send_queues_each_managers_digest_once_a_week(caseload: Store, ruleset: RuleSet,
                                                      calendar: WorkingDayCalendar) -> None:
    folder = Recorder("folder")
    monday = at("2026-11-23")
    first = send_digests(caseload, Config(), ruleset, calendar, monday, {"folder": folder})
    again = send_digests(caseload, Config(), ruleset, calendar, at("2026-11-25"), {"folder": folder})
    assert len(first.queued) == 3 and first.dispatched is not None and first.dispatched.sent == 3
    assert (again.queued, sorted(again.already_queued)) == ([], sorted(first.queued))
    next_week = send_digests(caseload, Config(), ruleset, calendar, at("2026-11-30"), {"folder": folder})
    assert len(next_week.queued) == 3
    message = folder.sent[0]
    assert message.kind == "digest" and message.recipient_email in first.queued
    assert message.html.startswith("<!DOCTYPE html>") and "<svg" in message.html
    assert "http://" not in message.html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "overdue" in message.subject and message.team.startswith("Team ")


def test_config_manager_wins_and_a_team_without_one_is_reported() -> None:
    cases = {"C1": Case("C1", "AB", None, "T1", "w@example.org", "case.manager@example.org"),
             "C2": Case("C2", "CD", None, "T2", "", "")}
    rows = [DigestDeadline("C1", "visit_year1", date(2026, 11, 20), date(2026, 10, 1)),
            DigestDeadline("C2", "visit_year1", date(2026, 11, 26), date(2026, 10, 1)),
            DigestDeadline("C2", "visit_year1", date(2026, 12, 20), date(2026, 10, 1)),  # beyond 14 days
            DigestDeadline("C1", "care_plan", date(2026, 11, 1), date(2026, 10, 1), met_on=date(2026, 11, 2)),
            DigestDeadline("C1", "care_plan", date(2026, 11, 1), date(2026, 12, 1))]  # not visible yet
    people = [Person("people.manager@example.org", role="manager", team="T1")]
    d = build_digest(rows, cases, people, AS_OF, team_managers={"T1": "Config.Manager@example.org"})
    assert [(t.team, t.managers, t.overdue, t.due_soon) for t in d.teams] == [
        ("T1", ("config.manager@example.org",), 1, 0), ("T2", (), 0, 1)]
    assert d.teams[1].workers[0].worker == UNALLOCATED
    assert build_digest(rows, cases, people, AS_OF).teams[0].managers == ("people.manager@example.org",)
    assert build_digest(rows, cases, [], AS_OF).teams[0].managers == ("case.manager@example.org",)


def test_send_to_the_configured_manager(caseload: Store, ruleset: RuleSet, calendar: WorkingDayCalendar) -> None:
    config = Config(teams={"Team A": TeamConfig("Team A", manager_email="head@example.org")})
    report = send_digests(caseload, config, ruleset, calendar, at("2026-11-23"), team="Team A")
    assert report.queued == ["head@example.org"]
