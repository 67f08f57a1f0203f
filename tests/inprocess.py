"""`ptrack ARGS` run inside the test process, as the console script would run it in a subprocess.

A subprocess costs a second of interpreter and import start-up; most CLI tests are about what a command prints
and stores, not about the process. `run` calls the console script's `main()` with what the subprocess would have:
`sys.argv` (program name `ptrack`), the environment (replaced, not merged), the working directory, the umask,
empty stdin, stdout and stderr as UTF-8 pipes read back in text mode (universal newlines, as `subprocess.run(...,
text=True)` reads them), fresh Rich consoles built from that environment (FORCE_COLOR, COLUMNS), Python's default
warning filters, and logging with no handler of pytest's (a warning logged goes to stderr as in a new process);
the exit code from `SystemExit`. Everything is restored afterwards. With `clock`, the clock travels there first (as
`test_cli_commands.TRAVEL` does in a subprocess).

Tests about the process itself (signals, kills, the daemon, peak memory, the wheel) start the real `ptrack`; so do
the Ptrack helpers with `process=True`, and tests/cli/test_cli_process.py checks that every command prints the same
both ways."""

from __future__ import annotations

import faulthandler
import io
import locale
import logging
import os
import subprocess
import sys
import types
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TextIO

import time_machine

# What the console script's module looks like to click, which names the program after it ("ptrack", not
# "python -m pytest").
_SCRIPT = types.ModuleType("__main__")
TIMEOUT_S = 120  # as the subprocess runs' `timeout=120`
_SCRIPT.__package__ = None


def _pipe(errors: str) -> io.TextIOWrapper:
    """A stream like a subprocess's redirected stdout (`errors="strict"`) or stderr (`"backslashreplace"`)."""
    return io.TextIOWrapper(io.BytesIO(), encoding=locale.getpreferredencoding(False), errors=errors,
                            line_buffering=False, write_through=True)


def _read_back(stream: io.TextIOWrapper) -> str:
    """What `subprocess.run(..., text=True)` reads from the pipe: decoded, universal newlines."""
    stream.flush()
    data = stream.buffer.getvalue()  # type: ignore[attr-defined]
    return io.TextIOWrapper(io.BytesIO(data), encoding=locale.getpreferredencoding(False)).read()


@contextmanager
def _default_warnings() -> Iterator[None]:
    """Python's default warning filters, shown on (the redirected) stderr, instead of pytest's recording."""
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category)
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        warnings.showwarning = _show_warning
        yield


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """Python's own `warnings.showwarning`: the formatted warning on stderr."""
    (file or sys.stderr).write(warnings.formatwarning(message, category, filename, lineno, line))


@contextmanager
def _no_test_logging() -> Iterator[None]:
    """The root logger as a new process has it: no handlers (pytest's capture handlers would swallow a warning
    that Python's last-resort handler prints on stderr)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.handlers = handlers
        root.setLevel(level)


def exit_code(exc: SystemExit, stderr: io.TextIOWrapper) -> int:
    """The process exit status `raise SystemExit(code)` gives (a message is printed on stderr, status 1)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=stderr)
    return 1


def run(args: Sequence[str], *, cwd: Path, env: Mapping[str, str], clock: str | None = None,
        umask: int | None = None) -> subprocess.CompletedProcess[str]:
    """`ptrack ARGS` in `cwd` with exactly `env`, as `subprocess.run([ptrack, *args], capture_output=True,
    text=True)` would report it."""
    from ptrack.cli import main as cli_main
    from ptrack.cli import output

    stdout, stderr = _pipe("strict"), _pipe("backslashreplace")
    saved_env, saved_cwd, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    saved_main = sys.modules["__main__"]
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_consoles, saved_state = (output.out, output.err), cli_main._current
    saved_umask = os.umask(umask) if umask is not None else None
    code = 0
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.argv = ["ptrack", *args]
        sys.modules["__main__"] = _SCRIPT
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(""), stdout, stderr
        output.out, output.err = output.consoles()
        cli_main._current = cli_main.AppState()  # as a new process starts (an error before the global options)
        travel = time_machine.travel(clock, tick=True) if clock is not None else nullcontext()
        # A subprocess run had a 120 s timeout; a command hung in this process would hang the suite instead, so
        # after TIMEOUT_S every thread's traceback goes to the real stderr and the test worker exits (pytest-xdist
        # then reports the test as crashed).
        faulthandler.dump_traceback_later(TIMEOUT_S, exit=True, file=sys.__stderr__)
        with _default_warnings(), _no_test_logging(), travel:
            try:
                cli_main.main()
            except SystemExit as exc:
                code = exit_code(exc, stderr)
    finally:
        faulthandler.cancel_dump_traceback_later()
        output.out, output.err = saved_consoles
        cli_main._current = saved_state
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.modules["__main__"] = saved_main
        sys.argv = saved_argv
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        if saved_umask is not None:
            os.umask(saved_umask)
    return subprocess.CompletedProcess(["ptrack", *args], code, _read_back(stdout), _read_back(stderr))
