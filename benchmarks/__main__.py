"""`python -m benchmarks [--quick] [names...]`: run benchmarks, print a table, write JSON to benchmarks/out/.

Each benchmark runs in a fresh subprocess; its peak resident memory is read from that child's resource usage
(`os.wait4`, the per-child form of `getrusage(RUSAGE_CHILDREN)`, so one benchmark's peak never masks another's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    meminfo = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    except OSError:
        pass
    packages = {}
    for name in ("numpy", "SQLAlchemy", "psycopg", "holidays"):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = "-"
    return {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpu": cpu, "cpus": os.cpu_count(), "memory": meminfo, "os": platform.platform(),
        "python": platform.python_version(), "packages": packages,
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def run_one(name: str, quick: bool) -> dict[str, Any]:
    """Run one benchmark in a subprocess; add its wall time, peak RSS and exit status."""
    with tempfile.TemporaryDirectory(prefix="ptrack-bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        argv = [sys.executable, "-m", "benchmarks._worker", name, "1" if quick else "0", str(result_file)]
        start = time.perf_counter()
        pid = os.posix_spawn(sys.executable, argv, dict(os.environ, PYTHONPATH=str(HERE.parent)))
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        result: dict[str, Any] = (
            json.loads(result_file.read_text()) if code == 0 and result_file.exists() else {"name": name}
        )
    result.update(
        name=name, exit_code=code, wall_s=round(wall, 2),
        peak_rss_mb=round(usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1),
    )
    return result


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.1f} ms"
    if unit == "MB":
        return f"{value:,.1f} MB"
    return f"{value:,.0f}/s"


def table(results: list[dict[str, Any]]) -> str:
    """A Markdown table, pasted as is into benchmarks/README.md."""
    lines = [
        "| benchmark | measure | ptrack | target | meets | baseline (same run) | baseline | ratio | peak RSS¹ |",
        "|---|---|---:|---|:-:|---|---:|---:|---:|",
    ]
    for r in results:
        if r["exit_code"] != 0:
            lines.append(f"| {r['name']} | FAILED (exit {r['exit_code']}) | | | | | | | |")
            continue
        for f in r.get("figures", []):
            meets = {True: "yes", False: "**no**", None: ""}[f["meets_target"]]
            lines.append(
                f"| {r['name']} | {f['what']} | {fmt(f['value'], f['unit'])} | {f['target']} | {meets} "
                f"| {f['baseline_label']} | {fmt(f['baseline_value'], f['unit'])} | {f['ratio']:,.1f}× "
                f"| {r.get('rss_main_mb', r['peak_rss_mb']):,.0f} MB |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(available())})")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not a measurement")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(available()))
        return 0
    unknown = sorted(set(args.names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(available())}")
    names = args.names or available()

    started = datetime.now(UTC)
    results = []
    for name in names:
        print(f"== {name}{' (quick)' if args.quick else ''}", file=sys.stderr, flush=True)
        results.append(run_one(name, args.quick))
    command = "python -m benchmarks" + (" --quick" if args.quick else "") + "".join(f" {n}" for n in args.names)
    report = {"command": command, "started_utc": started.isoformat(timespec="seconds"), "quick": args.quick,
              "machine": machine(), "results": results}

    OUT.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    for path in (OUT / f"results-{stamp}.json", OUT / "latest.json"):
        path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(table(results))
    print("\n¹ the ptrack phase summed over its processes where the benchmark samples it (rss_main_mb), else the"
          " benchmark process's peak (peak_rss_mb, from its rusage)")
    for r in results:
        for note in r.get("notes", []):
            print(f"- {r['name']}: {note}")
    print(f"\nJSON: {OUT / f'results-{stamp}.json'}")
    return 0 if all(r["exit_code"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
