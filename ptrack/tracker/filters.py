"""Command-line filters (`--team`, `--worker`, `--case`, a person's email) checked against what the store knows.

A filter that names nothing known is an error listing the closest known values, never an empty answer that
reads as an all-clear ("Nothing overdue"). Team names match case-insensitively; `Match.note` says when the
value used differs from the one typed."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from ptrack.tracker.config import Config
from ptrack.tracker.errors import NotFoundError
from ptrack.tracker.store import Store
from ptrack.tracker.store import known_values as known

CLOSEST = 5


@dataclass(frozen=True)
class Match:
    """The known value a filter selects; `note` says how it was matched when not exactly as typed."""

    value: str
    note: str = ""


def closest(typed: str, candidates: Iterable[str], n: int = CLOSEST) -> list[str]:
    """The known values nearest to `typed` (difflib, case-insensitive), best first."""
    by_folded: dict[str, str] = {}
    for candidate in sorted(candidates):
        by_folded.setdefault(candidate.casefold(), candidate)
    found = difflib.get_close_matches(typed.casefold(), list(by_folded), n=n, cutoff=0.4)
    return [by_folded[f] for f in found]


def unknown(what: str, option: str, typed: str, candidates: Collection[str]) -> NotFoundError:
    near = closest(typed, candidates)
    if near:
        hint = "closest known: " + ", ".join(repr(v) for v in near)
    elif 0 < len(candidates) <= CLOSEST * 2:
        hint = "known: " + ", ".join(repr(v) for v in sorted(candidates))
    elif candidates:
        hint = f"{len(candidates)} known, none close"
    else:
        hint = "none are known yet: import cases.csv and people.csv first"
    return NotFoundError(f"{option} {typed!r}: no such {what}; {hint}")


def match_team(store: Store, config: Config, typed: str, option: str = "--team") -> Match:
    """The team `typed` names: exactly, else the one team whose name matches ignoring case."""
    with store.reading("reading the known teams") as conn:
        teams = known.teams(conn) | set(config.teams)
    if typed in teams:
        return Match(typed)
    same = sorted(t for t in teams if t.casefold() == typed.strip().casefold())
    if len(same) == 1:
        return Match(same[0], f"{option} {typed!r} matched team {same[0]!r} (team names match ignoring case)")
    if same:
        raise NotFoundError(f"{option} {typed!r} matches several teams ignoring case: "
                            f"{', '.join(repr(t) for t in same)}; give the exact name")
    raise unknown("team", option, typed, teams)


def match_person(store: Store, typed: str, option: str) -> Match:
    """A person's email known to the store (people.csv or any case), compared ignoring case."""
    email = typed.strip().lower()
    with store.reading("reading the known people") as conn:
        emails = known.emails(conn)
    if email in emails:
        return Match(email)
    raise unknown("person (not in people.csv nor on any case)", option, typed, emails)


def match_case(store: Store, typed: str, option: str = "--case") -> Match:
    with store.reading("reading the known cases") as conn:
        if known.case_exists(conn, typed):
            return Match(typed)
        ids = known.case_ids(conn)
    raise unknown("case", option, typed, ids)
