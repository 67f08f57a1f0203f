"""Reproducible benchmarks for ptrack (SPEC §10). Run `python -m benchmarks --help`; see benchmarks/README.md.

A benchmark is a module `benchmarks/bench_<name>.py` exposing `run(quick: bool) -> dict` (see
`benchmarks.report`). The runner executes each one in its own subprocess and adds that process's peak RSS.
"""
