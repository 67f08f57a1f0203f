"""The daemon (`ptrack run`, docs/deployment.md): APScheduler 3.x wiring over the service functions the CLI also calls.

Importing this package imports nothing heavy: `ptrack.tracker.config` reads `ptrack.tracker.daemon.settings` for every
command, and only `ptrack run` needs the scheduler (`ptrack.tracker.daemon.runner`)."""
