"""The daemon's jobs: each a thin call to the service function the CLI also runs, given the instant the
scheduler woke it (`now`, aware; the daemon is the edge that reads the clock). Each returns a one-line
summary of counts for the log and `ptrack status`: never a name, an address or a secret."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from calendars import WorkingDayCalendar
from notifiers.base import Notifier
from tracker.config import Config
from tracker.outbox.dispatch import dispatch
from tracker.outbox.service import remind
from tracker.outbox.stale import alert_stale_data
from tracker.policy.window import local_day
from tracker.rules import RuleSet
from tracker.services import recompute
from tracker.store import Store

# Where the services written alongside the daemon live; the first module that has the name wins.
DROP_FOLDER_IMPORT = ("tracker.services", "tracker.importing.dropfolder")
SEND_DIGESTS = ("tracker.services", "tracker.digest", "tracker.outbox.digest", "tracker.outbox.service")


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


def find_service(name: str, modules: tuple[str, ...]) -> Callable[..., Any] | None:
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found = getattr(module, name, None)
        if callable(found):
            return found  # type: ignore[no-any-return]
    return None


def import_job(ctx: JobContext, now: datetime) -> str:
    service = find_service("import_drop_folder", DROP_FOLDER_IMPORT)
    if service is None:
        return "skipped: the drop-folder import service (import_drop_folder) is not installed"
    if ctx.config.import_settings.drop_folder is None:
        return "skipped: no [import] drop_folder is configured"
    result = service(ctx.store, ctx.config, ctx.ruleset, ctx.calendar, local_day(now))
    return f"imported: {_summary(result)}"


def recompute_job(ctx: JobContext, now: datetime) -> str:
    report = recompute(ctx.store, ctx.ruleset, ctx.calendar, local_day(now))
    return f"recomputed: {_summary(report)}"


def remind_job(ctx: JobContext, now: datetime) -> str:
    today = local_day(now)
    if not ctx.calendar.is_delivery_day(today):
        why = "a council closure day" if ctx.calendar.is_closure_day(today) else "not a working day"
        return f"skipped: {today.isoformat()} is {why}"
    report = remind(ctx.store, ctx.config, ctx.ruleset, ctx.calendar, now, ctx.notifiers, worker_id=ctx.worker_id)
    sent = report.dispatched.sent if report.dispatched else 0
    return (f"decisions {sum(report.decisions.values())}, queued {sum(report.messages.values())}, "
            f"withdrawn {sum(report.withdrawn.values())}, sent {sent}")


def dispatch_job(ctx: JobContext, now: datetime) -> str:
    r = dispatch(ctx.store, ctx.notifiers, now, ctx.worker_id)
    return (f"sent {r.sent}, retrying {r.retrying}, failed {r.failed}, dead {r.dead}, released {r.released}, "
            f"reclaimed {r.reclaimed}, alerts {r.alerts}")


def digest_job(ctx: JobContext, now: datetime) -> str:
    service = find_service("send_digests", SEND_DIGESTS)
    if service is None:
        return "skipped: the digest service (send_digests) is not installed"
    return f"digests: {_summary(call_by_names(service, ctx, now))}"


def stale_check_job(ctx: JobContext, now: datetime) -> str:
    hours = ctx.config.daemon.stale_after_hours
    r = alert_stale_data(ctx.store, ctx.config, now, timedelta(hours=hours))
    state = "stale" if r.stale else "fresh"
    return f"data {state} ({r.age_hours:g} h since the last import; limit {hours:g} h), alerts queued {r.queued}"


def call_by_names(service: Callable[..., Any], ctx: JobContext, now: datetime) -> Any:
    """Call a service written alongside the daemon with the arguments its parameters name."""
    today = local_day(now)
    known: dict[str, Any] = {"store": ctx.store, "config": ctx.config, "ruleset": ctx.ruleset,
                             "calendar": ctx.calendar, "now": now, "today": today, "as_of": today,
                             "worker_id": ctx.worker_id}
    params = inspect.signature(service).parameters
    if "notifiers" in params:
        known["notifiers"] = ctx.notifiers
    args = {name: known[name] for name in params if name in known}
    return service(**args)


def _summary(result: object) -> str:
    """Counts from a service's report (dataclass fields or a list of reports), never its free text."""
    if isinstance(result, list | tuple):
        return f"{len(result)} report(s)" + (f"; {_summary(result[0])} ..." if len(result) == 1 else "")
    fields = getattr(result, "__dataclass_fields__", None)
    if not fields:
        return type(result).__name__
    counts = [f"{name} {getattr(result, name)}" for name in fields
              if isinstance(getattr(result, name), int) and not isinstance(getattr(result, name), bool)]
    return ", ".join(counts[:8]) or type(result).__name__


JOB_FUNCTIONS: dict[str, Callable[[JobContext, datetime], str]] = {
    "import": import_job,
    "recompute": recompute_job,
    "remind": remind_job,
    "dispatch": dispatch_job,
    "digest": digest_job,
    "stale_check": stale_check_job,
}
