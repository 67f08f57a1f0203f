"""The digest use cases the CLI and the daemon call: `load_digest` (read and build) and `send_digests` (the
Monday 08:00 job, and `ptrack digest --send`): each manager's digest of their teams, queued through the outbox
once per manager per ISO week (the dedup key), then dispatched through their channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ptrack.calendars import WorkingDayCalendar
from ptrack.notifiers.base import Notifier
from ptrack.tracker.config import Config
from ptrack.tracker.coverage import judge, untracked_rules
from ptrack.tracker.digest import render
from ptrack.tracker.digest.build import (
    HORIZON_DAYS,
    MISSED_WITHIN_DAYS,
    Digest,
    DigestDeadline,
    build_digest,
    managers_digests,
)
from ptrack.tracker.outbox.dispatch import DispatchReport, dispatch
from ptrack.tracker.outbox.prerendered import Prerendered, channel_for, message_row
from ptrack.tracker.policy import Window, local_day
from ptrack.tracker.policy.types import digest as hash_key
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store
from ptrack.tracker.store import digest_queries as dq
from ptrack.tracker.store import message_queries as mq
from ptrack.tracker.store import outbox_queries as oq
from ptrack.tracker.store.coverage_queries import cached_supply
from ptrack.tracker.store.notify_queries import contacts


def rule_titles(ruleset: RuleSet) -> dict[str, str]:
    return {rid: r.title for rid, r in ruleset.rules.items()}


def load_digest(store: Store, config: Config, as_of: date, team: str | None = None,
                horizon_days: int = HORIZON_DAYS, untracked: frozenset[str] = frozenset()) -> Digest:
    """The digest on `as_of` (one team, or all), from the store. Deadlines of `untracked` rules (no source
    supplies their evidence: `ptrack coverage`) are left out: they cannot be judged overdue."""
    horizon_end = as_of + timedelta(days=horizon_days)
    with store.reading("reading deadlines for the digest") as conn:
        rows, cases = dq.split_rows(dq.open_deadlines_until(conn, as_of, horizon_end, team))
        missed, missed_cases = dq.split_rows(dq.missed_between(
            conn, as_of - timedelta(days=MISSED_WITHIN_DAYS - 1), as_of, team))
        people = dq.people(conn)
    managers = {name: t.manager_email for name, t in config.teams.items() if t.manager_email}
    deadlines = [DigestDeadline(case_id, rule_id, due, anchor) for case_id, rule_id, due, anchor in rows
                 if rule_id not in untracked]
    deadlines += [DigestDeadline(case_id, rule_id, due, ended, cancelled_on=ended, due_soon_from=due)
                  for case_id, rule_id, due, ended in missed if rule_id not in untracked]
    return build_digest(deadlines, {**missed_cases, **cases}, people, as_of, horizon_days=horizon_days,
                        team_managers=managers)


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(manager: str, day: date) -> str:
    return hash_key("digest", manager.lower(), week_of(day))


@dataclass
class DigestSendReport:
    as_of: date
    week: str
    queued: list[str] = field(default_factory=list)  # managers whose digest was queued now
    already_queued: list[str] = field(default_factory=list)  # this week's digest was queued before
    teams_without_manager: list[str] = field(default_factory=list)
    dispatched: DispatchReport | None = None


def send_digests(
    store: Store,
    config: Config,
    ruleset: RuleSet,
    calendar: WorkingDayCalendar,
    now: datetime,
    notifiers: Mapping[str, Notifier] | None = None,
    *,
    team: str | None = None,
    worker_id: str = "digest",
    dry_run: bool = False,
) -> DigestSendReport:
    """Queue each manager's digest for the week of `now` (at most once per manager per ISO week) and dispatch
    if `notifiers` are given. A team with no manager recorded anywhere is reported, not silently skipped.
    `dry_run`: report what would be queued, write and send nothing."""
    today = local_day(now)
    with store.reading("reading which event kinds have arrived") as conn:
        untracked = untracked_rules(judge(ruleset, cached_supply(conn), config.import_settings.complete_sources))
    digest = load_digest(store, config, today, team, untracked=untracked)
    report = DigestSendReport(today, week_of(today))
    report.teams_without_manager = [t.team for t in digest.teams if not t.managers]
    titles = rule_titles(ruleset)
    per_manager = managers_digests(digest)
    window = Window.parse(config.notify.window)
    with store.transaction("queueing the weekly digests") as conn:
        existing = mq.existing_message_keys(conn, [digest_key(m, today) for m in per_manager])
        people = contacts(conn)
        rows = []
        for manager, theirs in per_manager.items():
            if digest_key(manager, today) in existing:
                report.already_queued.append(manager)
                continue
            message = digest_message(manager, theirs, titles, config)
            rows.append(message_row(message, channel_for(config, people, manager, message.team), calendar,
                                    window, now))
            report.queued.append(manager)
        if not dry_run:
            oq.queue(conn, rows, [[] for _ in rows])
    if notifiers and rows and not dry_run:
        report.dispatched = dispatch(store, notifiers, now, worker_id, calendar=calendar)
    return report


def digest_message(manager: str, digest: Digest, titles: Mapping[str, str], config: Config) -> Prerendered:
    """One manager's digest: the text, the HTML (case references link to the case system) and the council."""
    teams = [t.team for t in digest.teams]
    names = teams[0] if len(teams) == 1 else f"{len(teams)} teams"
    subject = (f"ptrack weekly digest, {names}: {digest.overdue} overdue, {digest.due_soon} due in the next 14 days"
               f" (week {week_of(digest.as_of)})")
    return Prerendered(digest_key(manager, digest.as_of), "digest", manager, digest.as_of, subject,
                       render.text(digest, titles),
                       render.as_html(digest, titles, config.local_authority, link=config.link_for),
                       team=teams[0] if len(teams) == 1 else "", council=config.local_authority)
