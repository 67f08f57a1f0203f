"""The shape of a benchmark result, and the helpers every benchmark uses to fill it in.

`run(quick)` returns a dict:

    {"name": str, "params": {...}, "figures": [Figure...], "checks": {...}, "notes": [str...]}

Every figure is reported against a naive baseline measured in the same run: `ratio` is how many times better
ptrack is than the baseline (higher is better for rates, and for times too: baseline_time / time).
A baseline measured on a sample and extrapolated says so in `baseline_label`.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
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


class TreePeakRss:
    """Peak of the summed RSS of this process and all its descendants (e.g. recompute worker processes),
    sampled every `interval` seconds from /proc while the `with` block runs. `ru_maxrss` cannot give this:
    it is one process's peak. On systems without /proc, `peak_mb` stays at this process's own peak."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self.descendant_cpu: dict[int, float] = {}  # pid -> its last sampled user + system CPU seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreePeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self_peak_rss_mb() if not Path("/proc/self/status").exists() else 0.0)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(os.getpid(), self.descendant_cpu))
            self._stop.wait(self.interval)

    @property
    def descendants_cpu_s(self) -> float:
        """CPU seconds of the worker processes started inside the block, as last sampled (each worker's final
        0.1 s may be missed): `cpu_seconds()` counts a worker only once it has been waited for."""
        return sum(self.descendant_cpu.values())


def _tree_rss_mb(root: int, cpu: dict[int, float] | None = None) -> float:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total_kb = 0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in tree:
        if cpu is not None and pid != root:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            except (OSError, IndexError, ValueError):
                pass
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            continue
    return total_kb / 1024


def cpu_seconds() -> float:
    """User + system CPU of this process and its reaped children (e.g. a finished worker pool): the difference
    across a phase says how much work it did, whatever else the machine was running meanwhile."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def own_cpu_seconds() -> float:
    """User + system CPU of this process alone (add `TreePeakRss.descendants_cpu_s` for its workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime
