"""Which pending (not yet sent) notifications to withdraw because their deadline is no longer open.

A deadline met or cancelled on or before today withdraws its items; a message whose items are all withdrawn
is withdrawn as a whole, otherwise it is sent with the items that remain. A deadline that no longer exists
(a corrected event removed it) withdraws too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ptrack.tracker.policy.types import Reason


@dataclass(frozen=True)
class PendingItem:
    item_id: int
    message_id: int
    case_id: str
    deadline_key: str


@dataclass(frozen=True)
class DeadlineState:
    met_on: date | None = None
    cancelled_on: date | None = None


@dataclass(frozen=True)
class Withdrawals:
    items: dict[int, Reason] = field(default_factory=dict)  # item id -> why
    messages: dict[int, Reason] = field(default_factory=dict)  # message id -> why (every item withdrawn)
    shrunk: frozenset[int] = frozenset()  # messages that keep some items: their payload is rewritten


def withdrawals(
    pending: Sequence[PendingItem], states: Mapping[tuple[str, str], DeadlineState | None], today: date
) -> Withdrawals:
    by_message: dict[int, list[PendingItem]] = defaultdict(list)
    for p in pending:
        by_message[p.message_id].append(p)
    items: dict[int, Reason] = {}
    messages: dict[int, Reason] = {}
    shrunk: set[int] = set()
    for message_id, its in by_message.items():
        reasons = {p.item_id: _why(states.get((p.case_id, p.deadline_key)), today) for p in its}
        gone = {i: r for i, r in reasons.items() if r is not None}
        items.update(gone)
        if gone and len(gone) == len(its):
            kinds = set(gone.values())
            messages[message_id] = kinds.pop() if len(kinds) == 1 else Reason.WITHDRAWN
        elif gone:
            shrunk.add(message_id)
    return Withdrawals(items, messages, frozenset(shrunk))


def _why(state: DeadlineState | None, today: date) -> Reason | None:
    if state is None:
        return Reason.WITHDRAWN
    if state.met_on is not None and state.met_on <= today:
        return Reason.SUPPRESSED_MET
    if state.cancelled_on is not None and state.cancelled_on <= today:
        return Reason.SUPPRESSED_CANCELLED
    return None
