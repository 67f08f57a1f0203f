"""The daemon's jobs: each a thin call to the service function the CLI also runs, given the instant the
scheduler woke it (`now`, aware; the daemon is the edge that reads the clock). Each returns a one-line
summary of counts for the log and `ptrack status`: never a name, an address or a secret."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ptrack.calendars import WorkingDayCalendar
from ptrack.notifiers.base import Notifier
from ptrack.tracker.config import Config
from ptrack.tracker.digest.service import send_digests
from ptrack.tracker.disputes.service import prompt_overdue_disputes
from ptrack.tracker.drop_folder import import_drop_folder
from ptrack.tracker.errors import PtrackError
from ptrack.tracker.freshness import refresh
from ptrack.tracker.outbox.dispatch import dispatch
from ptrack.tracker.outbox.service import remind
from ptrack.tracker.outbox.stale import alert_stale_data
from ptrack.tracker.policy.window import local_day
from ptrack.tracker.rules import RuleSet
from ptrack.tracker.store import Store

log = logging.getLogger("ptrack.daemon")


@dataclass
class JobContext:
    """What every job needs, built once when the daemon starts (the notifiers lazily: building them reads
    secrets from the environment, which a stand-by never needs)."""

    store: Store
    config: Config
    ruleset: RuleSet
    calendar: WorkingDayCalendar
    worker_id: str
    build_notifiers: Callable[[], Mapping[str, Notifier]]
    _notifiers: Mapping[str, Notifier] | None = field(default=None, repr=False)

    @property
    def notifiers(self) -> Mapping[str, Notifier]:
        if self._notifiers is None:
            self._notifiers = self.build_notifiers()
        return self._notifiers


def import_job(ctx: JobContext, now: datetime) -> str:
    """The night's drop folder (`ptrack import --drop-folder`); the daemon chains `recompute_job` after it."""
    if ctx.config.import_settings.drop_folder is None:
        return "skipped: no [import] drop_folder is configured"
    report = import_drop_folder(ctx.store, ctx.config, ctx.ruleset, ctx.calendar, local_day(now), now=now)
    outcomes = Counter(f.status for f in report.files)
    if report.failed:
        raise ImportFailed(f"files by outcome: {_counts(outcomes)}")
    return f"files by outcome: {_counts(outcomes) or 'none waiting'}"


class ImportFailed(PtrackError):
    """A drop-folder file could not be imported: the run is an error (the file is moved aside, see
    docs/importing.md), and the last successful import stays where it was."""


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))


def recompute_job(ctx: JobContext, now: datetime) -> str:
    """At start (after a restart for a config change) and after the import (which recomputed the cases it
    touched): whatever is stale, i.e. cases an interrupted import or recompute left marked, or every case when
    the rule set or calendar is not the one the deadlines were computed with. Deadlines store dates, not
    statuses, so the passing of days needs no recompute. An error if anything stays stale."""
    r = refresh(ctx.store, ctx.ruleset, ctx.calendar, local_day(now), now)
    if r.error:
        raise StaleDeadlines(f"could not recompute stale deadlines ({r.before.describe()}): {r.error}")
    if not r.before.stale:
        return "nothing stale: deadlines are up to date"
    detail = f"recomputed {r.recomputed} stale cases ({r.before.describe()})"
    if r.after.stale:
        raise StaleDeadlines(f"{detail}; still stale: {r.after.describe()}")
    return detail


class StaleDeadlines(PtrackError):
    """The stale deadlines could not all be recomputed: the run is an error, and doctor says so too."""


def _refresh_first(ctx: JobContext, now: datetime) -> None:
    """Before sending: recompute what is stale (an import run by hand may have been killed during the day);
    the sending goes on whatever happens, since the other cases' deadlines are right, but the log says so."""
    r = refresh(ctx.store, ctx.ruleset, ctx.calendar, local_day(now), now)
    if r.error or r.after.stale:
        log.warning("deadlines still stale before sending: %s%s", r.after.describe(),
                    f"; {r.error}" if r.error else "")
    elif r.recomputed:
        log.info("recomputed %d stale cases before sending (%s)", r.recomputed, r.before.describe())


def remind_job(ctx: JobContext, now: datetime) -> str:
    today = local_day(now)
    if not ctx.calendar.is_delivery_day(today):
        why = "a council closure day" if ctx.calendar.is_closure_day(today) else "not a working day"
        return f"skipped: {today.isoformat()} is {why}"
    _refresh_first(ctx, now)
    report = remind(ctx.store, ctx.config, ctx.ruleset, ctx.calendar, now, ctx.notifiers, worker_id=ctx.worker_id)
    sent = report.dispatched.sent if report.dispatched else 0
    # The IRO is prompted when a dispute stage's SLA has passed (ptrack never advances a dispute itself).
    prompts = prompt_overdue_disputes(ctx.store, ctx.config, ctx.calendar, now, ctx.notifiers,
                                      worker_id=ctx.worker_id)
    return (f"decisions {sum(report.decisions.values())}, queued {sum(report.messages.values())}, "
            f"withdrawn {sum(report.withdrawn.values())}, sent {sent}, dispute prompts {prompts.queued}")


def dispatch_job(ctx: JobContext, now: datetime) -> str:
    r = dispatch(ctx.store, ctx.notifiers, now, ctx.worker_id, calendar=ctx.calendar)
    return (f"sent {r.sent}, retrying {r.retrying}, failed {r.failed}, dead {r.dead}, released {r.released}, "
            f"reclaimed {r.reclaimed}, alerts {r.alerts}")


def digest_job(ctx: JobContext, now: datetime) -> str:
    """The weekly manager digests (`ptrack digest --send`): queued once per manager per ISO week, then sent."""
    _refresh_first(ctx, now)
    r = send_digests(ctx.store, ctx.config, ctx.ruleset, ctx.calendar, now, ctx.notifiers, worker_id=ctx.worker_id)
    sent = r.dispatched.sent if r.dispatched else 0
    return (f"week {r.week}: queued {len(r.queued)}, already queued {len(r.already_queued)}, teams without a "
            f"manager {len(r.teams_without_manager)}, sent {sent}")


def stale_check_job(ctx: JobContext, now: datetime) -> str:
    hours = ctx.config.daemon.stale_after_hours
    r = alert_stale_data(ctx.store, ctx.config, ctx.calendar, now, timedelta(hours=hours))
    state = "stale" if r.stale else "fresh"
    return f"data {state} ({r.age_hours:g} h since the last import; limit {hours:g} h), alerts queued {r.queued}"


JOB_FUNCTIONS: dict[str, Callable[[JobContext, datetime], str]] = {
    "import": import_job,
    "recompute": recompute_job,
    "remind": remind_job,
    "dispatch": dispatch_job,
    "digest": digest_job,
    "stale_check": stale_check_job,
}
