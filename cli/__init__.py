"""The ptrack command line (Typer): one module per command group, thin over tracker.services."""
