"""The ptrack command line (Typer): one module per command group, thin over ptrack.tracker.services."""
