"""`ptrack demo`: the whole product on the embedded default, with a synthetic caseload and nothing configured."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ptrack.cli import output
from ptrack.cli.state import state

if TYPE_CHECKING:
    from ptrack.calendars import WorkingDayCalendar
    from ptrack.tracker.config import Config
    from ptrack.tracker.rules import RuleSet
    from ptrack.tracker.store import DeadlineRow, Store

DEMO_FILES = ("ptrack.db", "ptrack.db-wal", "ptrack.db-shm", "cases.csv", "people.csv", "events.csv", "digest.html")
DISPUTE_RULES = ("permanence_plan_by_second_review", "cla_review_subsequent", "cla_review_second")


def demo(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Option(
        "--dir", metavar="DIR", help="Working directory for the demo database and CSV files.",
    )] = Path("demo"),
    children: Annotated[int, typer.Option("--children", min=1, help="How many children to generate.")] = 60,
    teams: Annotated[int, typer.Option("--teams", min=1, max=26, help="How many teams.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic caseload.")] = 1,
    show: Annotated[int, typer.Option("--show", min=0, help="At most this many deadlines in the list.")] = 25,
) -> None:
    """A self-contained demonstration: synthetic caseload, import, deadlines due soon or overdue, the morning's
    reminders into DIR/outbox/, two IRO disputes, and the weekly digest (printed, and as DIR/digest.html)."""
    # Imported here, not at the top: every other command starts without the demo's modules.
    from ptrack.cli.deadlines import print_table
    from ptrack.cli.digest import print_digest
    from ptrack.cli.dispute import print_list
    from ptrack.cli.importing import print_reports
    from ptrack.cli.notify import print_remind
    from ptrack.notifiers.folder import FolderNotifier
    from ptrack.tracker import services
    from ptrack.tracker.config import Config
    from ptrack.tracker.digest import render
    from ptrack.tracker.digest.service import load_digest, rule_titles
    from ptrack.tracker.disputes.ladder import Ladder
    from ptrack.tracker.disputes.service import list_disputes, prompt_overdue_disputes
    from ptrack.tracker.model import Status
    from ptrack.tracker.outbox.service import policy_settings, remind
    from ptrack.tracker.policy.window import LONDON
    from ptrack.tracker.synthetic import CaseloadShape, write_csvs

    s = state(ctx)
    config = s.config if s.config_path is not None else Config()
    directory.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:  # a fresh run each time; only the demo's own files are removed
        (directory / name).unlink(missing_ok=True)
    shutil.rmtree(directory / "outbox", ignore_errors=True)
    shape = CaseloadShape(children=children, teams=teams, seed=seed, as_of=s.as_of)
    # The demo configures no channel (everything goes to DIR/outbox/), so its people choose none either.
    files = write_csvs(directory, shape, channels=False)
    output.line(f"Generated {files.children} children, {files.event_count} events in {directory}/ "
                f"(synthetic: initials only, @example.org addresses)")
    url = f"sqlite:///{(directory / 'ptrack.db').resolve()}"
    services.init_database(url)
    store = services.open_store(url)
    try:
        calendar, ruleset = config.calendar(), config.ruleset()
        reports = services.import_paths(store, [files.cases, files.people, files.events], fmt="auto",
                                        dry_run=False, today=s.as_of, ruleset=ruleset, calendar=calendar,
                                        now=datetime.now(UTC))
        print_reports(reports)
        untracked = services.untracked_rules(store, ruleset, config.import_settings.complete_sources)
        rows = services.query_deadlines(store, s.as_of, statuses=[Status.DUE_SOON, Status.OVERDUE],
                                        untracked=untracked)
        morning = datetime.combine(s.as_of, policy_settings(config).window.opens, tzinfo=LONDON)
        folder = FolderNotifier("folder", directory / "outbox")
        reminders = remind(store, config, ruleset, calendar, morning, {"folder": folder}, worker_id="demo")
        disputes = open_demo_disputes(store, config, ruleset, calendar, rows, morning)
        prompts = prompt_overdue_disputes(store, config, calendar, morning, {"folder": folder}, worker_id="demo")
        listed = list_disputes(store, Ladder(config.disputes, calendar), s.as_of)
        weekly = load_digest(store, config, s.as_of, untracked=untracked)
    finally:
        store.close()
    output.line()
    print_table(rows, f"Due soon or overdue on {s.as_of.isoformat()}", limit=show)
    output.line()
    overdue_summary([r for r in rows if r.status is Status.OVERDUE])
    output.line()
    print_remind(reminders)
    output.line(f"The morning's reminders are in {directory / 'outbox'}/ (one .txt and one .json per message)")
    output.line()
    output.line(f"Opened {len(disputes)} IRO dispute(s) on cases with overdue reviews or plans; "
                f"{prompts.queued} IRO prompt(s) for a stage past its SLA in {directory / 'outbox'}/")
    print_list(listed, f"IRO disputes on {s.as_of.isoformat()}", config.disputes.total_working_days)
    output.line()
    titles = rule_titles(ruleset)
    print_digest(weekly, titles, items=5)
    (directory / "digest.html").write_text(render.as_html(weekly, titles, config.local_authority,
                                                                link=config.link_for), encoding="utf-8")
    output.line(f"The weekly digest as the managers' email: {directory / 'digest.html'}")
    output.line()
    output.line(f"Explore: ptrack --db {url} deadlines --status all")
    output.line(f"         ptrack --db {url} explain {rows[0].case_id if rows else 'C000001'}")


def open_demo_disputes(store: Store, config: Config, ruleset: RuleSet, calendar: WorkingDayCalendar,
                       rows: list[DeadlineRow], morning: datetime) -> list[int]:
    """Two disputes on the first cases with an overdue review or plan: one raised 7 working days ago (its
    first stage is past its SLA, so the IRO is prompted), one raised today."""
    from ptrack.tracker.disputes.service import Ctx, open_dispute
    from ptrack.tracker.model import Status

    cases = sorted({r.case_id for r in rows if r.status is Status.OVERDUE and r.rule_id in DISPUTE_RULES})[:2]
    today = morning.date()
    opened = []
    for case_id, on in zip(cases, (calendar.add_working_days(today, -7), today), strict=False):
        ctx = Ctx(store, config, ruleset, calendar, on, morning)
        opened.append(open_dispute(ctx, case_id, "Demo: drift in care planning (synthetic)").dispute.id)
    return opened


def overdue_summary(rows: list[DeadlineRow]) -> None:
    """A cross-tab of overdue deadlines: one row per rule, one column per team."""
    counts = Counter((r.rule_id, r.team) for r in rows)
    teams = sorted({r.team for r in rows})
    rules = sorted({r.rule_id for r in rows}, key=lambda rule: (-sum(counts[rule, t] for t in teams), rule))
    table_rows = [(rule, *(counts[rule, t] or "" for t in teams), sum(counts[rule, t] for t in teams))
                  for rule in rules]
    table_rows.append(("total", *(sum(counts[rule, t] for rule in rules) for t in teams), len(rows)))
    output.table("Overdue by team and rule", ("rule", *teams, "total"), table_rows)
