"""Who is told what and when: pure functions of plain data and the clock (no SQL, no network).

`decide(items, absences, calendar, settings, now, already_queued) -> Plan` (reminders, overdue nudges,
escalations, absence cover, the delivery window); `withdrawals(...)` for met or cancelled deadlines;
`content.render(...)` for what a message says."""

from __future__ import annotations

from ptrack.tracker.policy.decide import PERMANENCE_RULE, Plan, decide, owed_for
from ptrack.tracker.policy.types import (
    DEFERRED,
    Absence,
    Decision,
    Kind,
    OpenItem,
    PlannedMessage,
    PolicySettings,
    Reason,
    Window,
    dedup_key,
)
from ptrack.tracker.policy.window import LONDON, delivery_slot, local_day, next_delivery_day
from ptrack.tracker.policy.withdraw import DeadlineState, PendingItem, Withdrawals, withdrawals

__all__ = [
    "DEFERRED", "LONDON", "PERMANENCE_RULE", "Absence", "DeadlineState", "Decision", "Kind", "OpenItem",
    "PendingItem", "Plan", "PlannedMessage", "PolicySettings", "Reason", "Window", "Withdrawals", "decide",
    "dedup_key", "delivery_slot", "local_day", "next_delivery_day", "owed_for", "withdrawals",
]
