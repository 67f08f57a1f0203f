"""The weekly manager digest (docs/digest-and-disputes.md), pure: open deadlines + cases + people + the date → per team
and worker, the items overdue (oldest first, with days overdue) and those due in the next 14 days, with counts by rule.
No SQL, no clock: the store query (`ptrack.tracker.store.digest_queries`) hands the rows in.

An item is overdue on `as_of` when it is open and its due date has passed (`status_on`: doing it on the due day
is in time), and "due soon" when it is open and due from `as_of` to `as_of + horizon_days` inclusive. Only
deadlines visible on `as_of` count (anchor on or before it), as in `ptrack deadlines`. A breach that became
`missed` in the week to `as_of` (its scope ended while it was overdue, docs/rules.md) is listed as missed: it is
never nagged, but the manager sees it once, and it counts as a breach."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from ptrack.tracker.model import Case, Person, Status, status_on

HORIZON_DAYS = 14
MISSED_WITHIN_DAYS = 7  # a missed breach is shown in the digest of the week it happened
UNALLOCATED = "(unallocated)"


@dataclass(frozen=True, slots=True)
class DigestDeadline:
    """The little of a stored deadline the digest needs."""

    case_id: str
    rule_id: str
    due: date
    anchor_date: date
    met_on: date | None = None
    cancelled_on: date | None = None
    due_soon_from: date | None = None


@dataclass(frozen=True, slots=True)
class DigestItem:
    case_id: str
    initials: str
    rule_id: str
    due: date
    days: int  # overdue: days past due (>= 1); due soon: days left (0 = due today); missed: days past due when
    # its scope ended


@dataclass(frozen=True)
class RuleCount:
    overdue: int = 0
    due_soon: int = 0


def _counts(overdue: Iterable[DigestItem], due_soon: Iterable[DigestItem]) -> dict[str, RuleCount]:
    o = Counter(i.rule_id for i in overdue)
    s = Counter(i.rule_id for i in due_soon)
    rules = sorted(set(o) | set(s), key=lambda r: (-o[r], -s[r], r))
    return {r: RuleCount(o[r], s[r]) for r in rules}


@dataclass
class WorkerDigest:
    worker: str  # the worker's email, or UNALLOCATED
    overdue: list[DigestItem] = field(default_factory=list)  # oldest first
    due_soon: list[DigestItem] = field(default_factory=list)  # soonest first
    missed: list[DigestItem] = field(default_factory=list)  # breaches whose scope ended this week

    @property
    def counts_by_rule(self) -> dict[str, RuleCount]:
        return _counts(self.overdue, self.due_soon)


@dataclass
class TeamDigest:
    team: str
    managers: tuple[str, ...]
    workers: list[WorkerDigest]  # most overdue first

    @property
    def overdue(self) -> int:
        return sum(len(w.overdue) for w in self.workers)

    @property
    def due_soon(self) -> int:
        return sum(len(w.due_soon) for w in self.workers)

    @property
    def missed(self) -> int:
        return sum(len(w.missed) for w in self.workers)

    @property
    def counts_by_rule(self) -> dict[str, RuleCount]:
        return _counts((i for w in self.workers for i in w.overdue), (i for w in self.workers for i in w.due_soon))


@dataclass
class Digest:
    as_of: date
    horizon_end: date
    teams: list[TeamDigest]  # by team name

    @property
    def overdue(self) -> int:
        return sum(t.overdue for t in self.teams)

    @property
    def due_soon(self) -> int:
        return sum(t.due_soon for t in self.teams)

    @property
    def missed(self) -> int:
        return sum(t.missed for t in self.teams)

    @property
    def breaches(self) -> int:
        """Overdue now plus missed this week: what a performance report counts as breaches."""
        return self.overdue + self.missed

    @property
    def counts_by_rule(self) -> dict[str, RuleCount]:
        return _counts((i for t in self.teams for w in t.workers for i in w.overdue),
                       (i for t in self.teams for w in t.workers for i in w.due_soon))

    def overdue_by_worker(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for t in self.teams:
            for w in t.workers:
                out[w.worker] += len(w.overdue)
        return {k: v for k, v in sorted(out.items(), key=lambda kv: (-kv[1], kv[0])) if v}

    def for_teams(self, teams: Iterable[str]) -> Digest:
        wanted = set(teams)
        return Digest(self.as_of, self.horizon_end, [t for t in self.teams if t.team in wanted])


def build_digest(
    deadlines: Iterable[DigestDeadline],
    cases: Mapping[str, Case],
    people: Iterable[Person],
    as_of: date,
    *,
    horizon_days: int = HORIZON_DAYS,
    team_managers: Mapping[str, str] | None = None,
) -> Digest:
    """The digest on `as_of`. A deadline whose case is not in `cases` is left out (it has no team). Managers
    of a team: the config's `[teams."T"] manager_email`, else people with role manager in the team, else the
    managers recorded on the team's cases."""
    horizon_end = as_of + timedelta(days=horizon_days)
    by_worker: dict[tuple[str, str], WorkerDigest] = {}
    case_managers: dict[str, set[str]] = defaultdict(set)
    for d in deadlines:
        case = cases.get(d.case_id)
        if case is None or d.anchor_date > as_of or d.due > horizon_end:
            continue
        status = status_on(d.due, d.due_soon_from or d.due, d.met_on, d.cancelled_on, as_of)
        missed = status is Status.MISSED and d.cancelled_on is not None \
            and (as_of - d.cancelled_on).days < MISSED_WITHIN_DAYS
        if status not in (Status.OVERDUE, Status.DUE_SOON, Status.UPCOMING) and not missed:
            continue
        worker = case.worker_email.lower() or UNALLOCATED
        wd = by_worker.get((case.team, worker))
        if wd is None:
            wd = by_worker[case.team, worker] = WorkerDigest(worker)
        if case.manager_email:
            case_managers[case.team].add(case.manager_email.lower())
        if missed:
            assert d.cancelled_on is not None
            wd.missed.append(DigestItem(d.case_id, case.initials, d.rule_id, d.due, (d.cancelled_on - d.due).days))
        elif status is Status.OVERDUE:
            wd.overdue.append(DigestItem(d.case_id, case.initials, d.rule_id, d.due, (as_of - d.due).days))
        else:
            wd.due_soon.append(DigestItem(d.case_id, case.initials, d.rule_id, d.due, (d.due - as_of).days))
    managers = _managers(people, team_managers or {}, case_managers)
    teams: dict[str, list[WorkerDigest]] = defaultdict(list)
    for (team, _), wd in by_worker.items():
        wd.overdue.sort(key=lambda i: (i.due, i.case_id, i.rule_id))
        wd.due_soon.sort(key=lambda i: (i.due, i.case_id, i.rule_id))
        wd.missed.sort(key=lambda i: (i.due, i.case_id, i.rule_id))
        teams[team].append(wd)
    return Digest(as_of, horizon_end, [
        TeamDigest(team, managers.get(team, ()),
                   sorted(workers, key=lambda w: (-len(w.overdue), -len(w.due_soon), w.worker)))
        for team, workers in sorted(teams.items())
    ])


def _managers(people: Iterable[Person], configured: Mapping[str, str],
              from_cases: Mapping[str, set[str]]) -> dict[str, tuple[str, ...]]:
    by_role: dict[str, set[str]] = defaultdict(set)
    for p in people:
        if p.role == "manager" and p.team:
            by_role[p.team].add(p.email.lower())
    out: dict[str, tuple[str, ...]] = {}
    for team in set(configured) | set(by_role) | set(from_cases):
        chosen = ({configured[team].lower()} if configured.get(team) else set()) or by_role.get(team) \
            or from_cases.get(team, set())
        out[team] = tuple(sorted(chosen))
    return out


def managers_digests(digest: Digest) -> dict[str, Digest]:
    """Each manager's digest: the teams they manage (one message per manager, however many teams)."""
    teams_of: dict[str, list[str]] = defaultdict(list)
    for t in digest.teams:
        for manager in t.managers:
            teams_of[manager].append(t.team)
    return {m: digest.for_teams(teams) for m, teams in sorted(teams_of.items())}
