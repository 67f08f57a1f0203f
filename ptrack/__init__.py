"""ptrack: statutory and local deadline tracking for children's social care in England.

The one top-level import package of the distribution: `ptrack.calendars` (working-day calendars),
`ptrack.tracker` (the domain and its services), `ptrack.notifiers` (channels), `ptrack.cli` (the command line),
`ptrack.migrations` (Alembic) and `ptrack/config` (the shipped rule packs and the example config, package data)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ptrack")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
