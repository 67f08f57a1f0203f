"""The daemon's log: text lines, or JSON lines (one object per line: time, level, job, message), on stderr
(journald keeps them under systemd). Messages carry counts and outcomes, never names, addresses or secrets;
every line also goes through `redact` with the secrets the channels were built with. A record logged with
`exc_info` (an unexpected error: a bug) carries its traceback, redacted too: indented lines after the text line,
or the "traceback" key of the JSON object."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import IO

from ptrack.notifiers.base import redact


class _Base(logging.Formatter):
    def __init__(self, secrets: Callable[[], Iterable[str]]) -> None:
        super().__init__()
        self.secrets = secrets

    def parts(self, record: logging.LogRecord) -> tuple[str, str, str, str]:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message}: {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        return when, record.levelname.lower(), str(getattr(record, "job", "-")), redact(message, list(self.secrets()))

    def traceback(self, record: logging.LogRecord) -> str:
        if not record.exc_info or record.exc_info[1] is None:
            return ""
        return redact(self.formatException(record.exc_info), list(self.secrets()))


class TextFormatter(_Base):
    def format(self, record: logging.LogRecord) -> str:
        when, level, job, message = self.parts(record)
        trace = self.traceback(record)
        indented = "".join(f"\n    {line}" for line in trace.splitlines())
        return f"{when} {level:<7} [{job}] {message}{indented}"


class JsonFormatter(_Base):
    def format(self, record: logging.LogRecord) -> str:
        when, level, job, message = self.parts(record)
        entry = {"time": when, "level": level, "job": job, "message": message}
        trace = self.traceback(record)
        if trace:
            entry["traceback"] = trace
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str, secrets: Callable[[], Iterable[str]], stream: IO[str] | None = None) -> None:
    """Send every logger's records (ptrack's, APScheduler's warnings, the notifiers') through one handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets) if log_format == "json" else TextFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # its per-run lines repeat ours
