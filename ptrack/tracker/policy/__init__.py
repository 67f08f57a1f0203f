"""Who is told what and when: pure functions of plain data and the clock (no SQL, no network).

`Router(absences, calendar, settings, now)`: `route(items)` decides what each open deadline owes today
(reminders, overdue nudges, escalations, absence cover, the delivery window) and `select(routed,
already_queued)` drops what is already queued and groups the rest into messages; the reminder pass runs exactly
this. Withdrawing what a met or cancelled deadline no longer owes is set-based SQL
(`ptrack.tracker.store.outbox_queries.withdraw_closed`). What a message says is `ptrack.notifiers.render`."""

from __future__ import annotations

from ptrack.tracker.policy.decide import NAGGABLE, PERMANENCE_RULE, GroupKey, Router, Selection, owed_for
from ptrack.tracker.policy.types import (
    Absence,
    Decision,
    Kind,
    OpenItem,
    PolicySettings,
    Reason,
    Window,
    dedup_key,
)
from ptrack.tracker.policy.window import LONDON, delivery_slot, local_day, next_delivery_day

__all__ = [
    "LONDON", "NAGGABLE", "PERMANENCE_RULE", "Absence", "Decision", "GroupKey", "Kind", "OpenItem",
    "PolicySettings", "Reason", "Router", "Selection", "Window", "dedup_key", "delivery_slot", "local_day",
    "next_delivery_day", "owed_for",
]
