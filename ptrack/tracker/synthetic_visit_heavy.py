"""The visit-heavy synthetic caseload: timelines shaped like a real case system's, where the cost of a caseload
is its visits and reviews over years in care.

Each child came into care on a day between 1 January 2019 and the as-of date, has one placement (foster,
residential or connected person) from that day, a first review 15-40 days after entry, then reviews every
120-200 days and visits every 25-50 days; 30% have left care in the last two years (placement and period
ended on the same day).
As in `synthetic`, child `i` is the same whatever the caseload size (its own seeded stream), and only initials
and `@example.org` addresses appear. Select it with `CaseloadShape(timelines="visit_heavy")`.
"""

from __future__ import annotations

import random
from datetime import date

from ptrack.tracker.model import Case
from ptrack.tracker.synthetic import _LETTERS, CaseloadShape, _team_tag
from ptrack.tracker.synthetic_extras import RawEvent

FIRST_ENTRY = date(2019, 1, 1)
_KINDS = ("foster", "residential", "connected_person")
LEAVING_SHARE = 0.30


def visit_heavy_child(shape: CaseloadShape, i: int) -> tuple[Case, list[RawEvent]]:
    """Child `i` of a visit-heavy caseload and its events, oldest first (ties in the order they happened)."""
    rng = random.Random(shape.seed * 2_000_003 + i)
    t = rng.randrange(shape.teams)
    tag = _team_tag(t)
    today = shape.as_of.toordinal()
    start = rng.randint(FIRST_ENTRY.toordinal(), today)
    dob = start - int(rng.uniform(0.1, 17.0) * 365.25)
    worker = rng.randrange(shape.workers_per_team) + 1
    case = Case(
        case_id=f"C{i + 1:06d}", initials=rng.choice(_LETTERS) + rng.choice(_LETTERS),
        dob=date.fromordinal(dob), team=shape.team_name(t), worker_email=f"worker.{tag}{worker}@example.org",
        manager_email=f"manager.{tag}@example.org", iro_email=f"iro.{tag}@example.org",
    )
    kind = rng.choice(_KINDS)
    leaves = rng.random() < LEAVING_SHARE and today - start > 60
    stop = rng.randint(max(start + 30, today - 730), today) if leaves else today  # left in the last 2 years
    events: list[RawEvent] = [("looked_after_start", start, "", "", "", ""),
                              ("placement_start", start, kind, "no", "", "")]
    dated: list[RawEvent] = []
    review = start + rng.randint(15, 40)
    while review <= stop:
        dated.append(("review_held", review, "", "", "", ""))
        review += rng.randint(120, 200)
    visit = start + rng.randint(25, 50)
    while visit <= stop:
        dated.append(("visit", visit, "", "", "", ""))
        visit += rng.randint(25, 50)
    dated.sort(key=lambda e: e[1])  # stable: a review and a visit on one day keep that order
    events += dated
    if leaves:
        events += [("placement_end", stop, "", "", "", ""), ("looked_after_end", stop, "", "", "", "")]
    return case, events
