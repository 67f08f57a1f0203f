"""Reproducible benchmarks of ptrack's performance targets. Run `python -m benchmarks --help`; see the README.

A benchmark is a module `benchmarks/bench_<name>.py` exposing `run(quick: bool) -> dict` (see
`benchmarks.report`). The runner executes each one in its own subprocess and adds that process's peak RSS.
"""
