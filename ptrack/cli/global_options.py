"""Global options after the command (README.md): `ptrack deadlines --as-of 2025-01-01` works like
`ptrack --as-of 2025-01-01 deadlines`.

`PtrackGroup` is the root command: before parsing, it moves each global option that follows the command to just
before it, for the commands that option affects. After a command it does not affect, the option stays where it
is and the command rejects it ("No such option"), rather than accepting a value it would ignore."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

WITH_VALUE = ("--db", "--config", "--as-of")
FLAGS = ("--verbose", "-v")
# The commands (first word) each option does NOT affect; every other command accepts it after its name too.
NOT_AFFECTED: dict[str, frozenset[str]] = {
    "--db": frozenset({"calendar", "rules", "demo"}),  # the demo keeps its own database in --dir
    "--as-of": frozenset({"init", "calendar", "rules", "outbox", "people", "status"}),
    "--config": frozenset(),
    "--verbose": frozenset(),
    "-v": frozenset(),
}
HELP_KEY = "ptrack.help_requested"


def hoist(args: list[str], group_commands: dict[str, Any]) -> list[str]:
    """`args` with the global options given after the command moved to just before it."""
    start = _command_index(args)
    if start is None:
        return args
    command = args[start]
    end = start + 1
    sub = group_commands.get(command)
    if getattr(sub, "commands", None) and end < len(args) and not args[end].startswith("-"):
        end += 1  # a group's subcommand name: `ptrack dispute list --as-of ...`
    moved: list[str] = []
    rest: list[str] = []
    i = end
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        name = token.split("=", 1)[0]
        applies = name in NOT_AFFECTED and command not in NOT_AFFECTED[name]
        if applies and name in WITH_VALUE and "=" not in token and i + 1 < len(args):
            moved += [token, args[i + 1]]
            i += 2
            continue
        if applies and (name in FLAGS or "=" in token):
            moved.append(token)
        else:
            rest.append(token)
        i += 1
    return [*args[:start], *moved, *args[start:end], *rest]


def _command_index(args: list[str]) -> int | None:
    """Where the command name is: the first word that is neither an option nor a global option's value."""
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            return None
        if token in WITH_VALUE:
            i += 2
        elif token.startswith("-"):
            i += 1
        else:
            return i
    return None


class PtrackGroup(TyperGroup):
    """The root `ptrack` command: global options are accepted after the command too (see `hoist`)."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        ctx.meta[HELP_KEY] = "--help" in args
        return super().parse_args(ctx, hoist(list(args), dict(self.commands)))
