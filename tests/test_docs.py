"""Every command and option has help text, and every command is documented in README.md or docs/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from ptrack.cli.main import app

REPO = Path(__file__).resolve().parents[1]


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, (*path, name))


ALL = list(commands(typer.main.get_command(app)))
_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DOCS = "\n".join(p.read_text() for p in _FILES).replace("\\|", "|")  # unescape Markdown table pipes


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "ptrack" for p, _ in ALL])
def test_command_and_its_parameters_have_help(path: tuple[str, ...], command: Any) -> None:
    assert (command.help or "").strip(), f"ptrack {' '.join(path)} has no help text"
    for param in command.params:
        if param.name == "help":
            continue
        assert (getattr(param, "help", None) or "").strip(), f"ptrack {' '.join(path)}: {param.name} has no help"


@pytest.mark.parametrize("path", [p for p, c in ALL if p and not getattr(c, "commands", None)],
                         ids=lambda p: " ".join(p))
def test_every_command_is_documented(path: tuple[str, ...]) -> None:
    assert f"ptrack {' '.join(path)}" in DOCS or f"{' '.join(path)}" in _documented_groups(path), (
        f"`ptrack {' '.join(path)}` is not mentioned in README.md or docs/*.md"
    )


def _documented_groups(path: tuple[str, ...]) -> str:
    """`ptrack rules list|show ID` documents both `rules list` and `rules show`."""
    if len(path) < 2:
        return ""
    prefix = f"ptrack {' '.join(path[:-1])} "
    found = [line for line in DOCS.splitlines() if prefix in line]
    return " ".join(path) if any(f"|{path[-1]}" in ln or f"{path[-1]}|" in ln for ln in found) else ""


def test_global_options_are_documented() -> None:
    for option in ("--db", "--config", "--as-of", "--verbose", "PTRACK_DATABASE_URL", "PTRACK_CONFIG"):
        assert option in DOCS, f"{option} is not documented"


def test_user_facing_text_is_self_contained() -> None:
    """The product spec is not shipped: docs, the example config and the starter config say what they mean
    instead of citing its sections."""
    from ptrack.tracker.config import STARTER_CONFIG

    shipped = [*_FILES, REPO / "ptrack" / "config" / "ptrack.toml"]
    for path in shipped:
        assert "SPEC §" not in path.read_text(), f"{path.relative_to(REPO)} cites the SPEC, which is not shipped"
    assert "SPEC §" not in STARTER_CONFIG
