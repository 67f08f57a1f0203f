"""The shape of a benchmark result, and the helpers every benchmark uses to fill it in.

`run(quick)` returns a dict:

    {"name": str, "params": {...}, "figures": [Figure...], "checks": {...}, "notes": [str...]}

Every figure is reported against a naive baseline measured in the same run: `ratio` is how many times better
ptrack is than the baseline (higher is better for rates, and for times too: baseline_time / time).
A baseline measured on a sample and extrapolated says so in `baseline_label`.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from typing import Any, TypedDict


class Figure(TypedDict):
    what: str
    value: float
    unit: str  # "dates/s" (higher is better) or "s" (lower is better)
    target: str
    meets_target: bool | None
    baseline_label: str
    baseline_value: float
    ratio: float  # times better than the baseline


def rate_figure(what: str, items: int, seconds: float, baseline_items: int, baseline_seconds: float,
                baseline_label: str, target_rate: float | None = None) -> Figure:
    rate = items / seconds
    base = baseline_items / baseline_seconds
    return Figure(
        what=what, value=rate, unit="items/s",
        target=f">= {target_rate:,.0f}/s" if target_rate else "",
        meets_target=None if target_rate is None else rate >= target_rate,
        baseline_label=baseline_label, baseline_value=base, ratio=rate / base,
    )


def time_figure(what: str, seconds: float, baseline_seconds: float, baseline_label: str,
                target_seconds: float | None = None) -> Figure:
    return Figure(
        what=what, value=seconds, unit="s",
        target=f"<= {target_seconds:g} s" if target_seconds else "",
        meets_target=None if target_seconds is None else seconds <= target_seconds,
        baseline_label=baseline_label, baseline_value=baseline_seconds, ratio=baseline_seconds / seconds,
    )


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of `repeats` timed calls: the least disturbed by the rest of the machine."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def self_peak_rss_mb() -> float:
    """This process's peak RSS so far (a high-water mark): read it right after the phase it should cover."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def log(message: str) -> None:
    """Progress on stderr, so the runner can show it while keeping stdout for the result."""
    print(f"  .. {message}", file=sys.stderr, flush=True)
