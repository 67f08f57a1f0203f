"""ptrack: statutory and local deadline tracking for children's social care in England.

The one top-level import package of the distribution: `ptrack.calendars` (working-day calendars),
`ptrack.tracker` (the domain and its services), `ptrack.notifiers` (channels), `ptrack.cli` (the command line),
`ptrack.migrations` (Alembic) and `ptrack/config` (the shipped rule packs and the example config, package data)."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`ptrack.__version__`, read from the installed distribution on first use (importlib.metadata is not loaded
    on every `ptrack` start-up for it)."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("ptrack")
    except PackageNotFoundError:  # running from a checkout that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
