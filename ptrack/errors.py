"""The root of ptrack's one exception hierarchy. It lives here, outside `ptrack.tracker`, so that the pure
packages (`ptrack.calendars`, `ptrack.notifiers`) can raise its subclasses without importing the domain; the
whole tree is documented in `ptrack.tracker.errors`."""

from __future__ import annotations


class PtrackError(Exception):
    """Base of every error ptrack raises on purpose: the CLI prints str(error) as one line and exits 1."""
