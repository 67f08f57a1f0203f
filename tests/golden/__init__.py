"""Golden file of expected deadlines for a set of reference timelines (vacanza/holidays' snapshots idea).

`cases.csv` and `events.csv` here are reviewed reference timelines: the SPEC §3 examples plus seeded
synthetic children, and hand-made children T1-T4 for the health, education, missing, emergency placement,
reg 28(4)/(5), adoption and care-leaver rules. `expected_deadlines.csv` is what the engine computes for them
with every shipped pack on `AS_OF`. A rule or calendar change shows up as a reviewable diff of that file.
Regenerate it with:

    .venv/bin/python -m tests.golden --regenerate
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from ptrack.calendars import england_and_wales
from ptrack.tracker.model import Case, Event, Timeline
from ptrack.tracker.rules import compute, load_ruleset

HERE = Path(__file__).parent
EXPECTED = HERE / "expected_deadlines.csv"
AS_OF = date(2026, 11, 25)
PACKS = ["england", "tameside", "somerset", "enfield", "cheshire_east", "halton"]
COLUMNS = ["case_id", "key", "rule_id", "due", "last_working_day", "status", "met_on", "cancelled_on",
           "anchor_event", "anchor_date", "counting", "contributors"]


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def load_timelines() -> list[Timeline]:
    with (HERE / "cases.csv").open(newline="", encoding="utf-8") as f:
        cases = {r["case_id"]: Case(r["case_id"], r["initials"], _day(r["dob"]), r["team"], r["worker_email"])
                 for r in csv.DictReader(f)}
    events: dict[str, list[Event]] = {cid: [] for cid in cases}
    with (HERE / "events.csv").open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            u18 = {"yes": True, "no": False}.get(r["intended_until_18"])
            day = _day(r["date"])
            assert day is not None
            events[r["case_id"]].append(Event(
                r["event_id"], r["case_id"], r["event"], day, r["placement_kind"], u18, r["kind"],
                int(r["weeks"]) if r["weeks"] else None))
    return [Timeline(cases[cid], tuple(evs)) for cid, evs in events.items()]


def render() -> str:
    ruleset, calendar = load_ruleset(PACKS), england_and_wales()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for timeline in load_timelines():
        for d in sorted(compute(timeline, ruleset, calendar, AS_OF), key=lambda x: (x.due, x.key)):
            w.writerow([d.case_id, d.key, d.rule_id, d.due, d.last_working_day, d.status.value, d.met_on or "",
                        d.cancelled_on or "", d.anchor_event, d.anchor_date, d.counting,
                        " ".join(f"{c.rule_id}={c.due}" for c in d.contributors)])
    return out.getvalue()
