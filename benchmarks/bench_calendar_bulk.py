"""Working-day arithmetic in bulk (target: >= 1,000,000 dates/s).

ptrack: `WorkingDayCalendar.add_working_days_bulk` over days-since-1970 int64 arrays (one `searchsorted` over
the table of working days). Baselines, measured in the same run on the same anchors and counts:
- a naive day-by-day Python loop (step one day, test weekday and holiday set), on a sample;
- ptrack's own scalar path (`add_working_days`, a bisect per date), on a sample.
Every bulk answer is checked against both before anything is timed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks.report import best_of, log, rate_figure, self_peak_rss_mb
from ptrack.calendars import england_and_wales, from_days

TARGET_RATE = 1_000_000.0


def naive_add_working_days(anchor: date, n: int, holidays: frozenset[date]) -> date:
    """What a first attempt looks like: walk the calendar a day at a time."""

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    day = anchor
    if n == 0:
        while not working(day):
            day -= timedelta(days=1)
        return day
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if working(day):
            counted += 1
    return day


def workload(size: int, seed: int = 20261125) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Anchors spread over 2000-2035 and counts of 0-130 working days (the statutory counts are 5-20)."""
    rng = np.random.default_rng(seed)
    lo = (date(2000, 1, 4) - date(1970, 1, 1)).days
    hi = (date(2035, 12, 31) - date(1970, 1, 1)).days
    return rng.integers(lo, hi, size, dtype=np.int64), rng.integers(0, 131, size, dtype=np.int64)


def run(quick: bool) -> dict[str, Any]:
    size, naive_size, scalar_size, repeats = (
        (100_000, 2_000, 20_000, 3) if quick else (2_000_000, 20_000, 200_000, 7)
    )
    calendar = england_and_wales()
    holidays = frozenset(calendar.holidays)
    anchors, counts = workload(size)
    anchor_dates = from_days(anchors[:scalar_size])
    count_list = [int(c) for c in counts[:scalar_size]]

    log(f"checking the bulk path against the scalar path ({scalar_size:,}) and the naive loop ({naive_size:,})")
    bulk = calendar.add_working_days_bulk(anchors, counts)
    scalar = [calendar.add_working_days(a, n) for a, n in zip(anchor_dates, count_list, strict=True)]
    naive = [naive_add_working_days(a, n, holidays) for a, n in
             zip(anchor_dates[:naive_size], count_list[:naive_size], strict=True)]
    assert from_days(bulk[:scalar_size]) == scalar, "bulk and scalar paths disagree"
    assert scalar[:naive_size] == naive, "scalar path and naive loop disagree"

    log(f"timing bulk on {size:,} dates, best of {repeats}")
    bulk_s = best_of(repeats, lambda: calendar.add_working_days_bulk(anchors, counts))
    rss_after_bulk = self_peak_rss_mb()
    log("timing the scalar bisect path and the naive loop")
    scalar_s = best_of(3, lambda: [calendar.add_working_days(a, n)
                                   for a, n in zip(anchor_dates, count_list, strict=True)])
    naive_s = best_of(3, lambda: [naive_add_working_days(a, n, holidays)
                                  for a, n in zip(anchor_dates[:naive_size], count_list[:naive_size], strict=True)])
    weekday_holidays = np.array(sorted(d for d in holidays if d.weekday() < 5), dtype="datetime64[D]")
    as_dates = anchors.astype("datetime64[D]")
    numpy_s = best_of(repeats, lambda: np.busday_offset(as_dates, counts, roll="backward",
                                                         holidays=weekday_holidays))
    return {
        "name": "calendar_bulk",
        "params": {"dates": size, "counts": "0-130 working days", "anchors": "2000-2035",
                   "naive_sample": naive_size, "scalar_sample": scalar_size, "repeats": repeats},
        "figures": [
            rate_figure("add_working_days_bulk", size, bulk_s, naive_size, naive_s,
                        f"naive day-by-day loop ({naive_size:,}-date sample)", TARGET_RATE),
            rate_figure("add_working_days_bulk vs scalar", size, bulk_s, scalar_size, scalar_s,
                        f"scalar bisect path ({scalar_size:,}-date sample)"),
        ],
        "checks": {"bulk == scalar": scalar_size, "scalar == naive": naive_size,
                   "rss_after_bulk_mb": round(rss_after_bulk, 1)},
        "notes": [f"reference, not a baseline: numpy.busday_offset on the same {size:,} dates runs at "
                  f"{size / numpy_s:,.0f}/s"],
    }
