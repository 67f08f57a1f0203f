"""Issue 8 point 5 through the installed CLI: after a rule-pack or calendar change, `ptrack doctor` fails ("computed
with another rule-set/calendar version") and `ptrack deadlines` recomputes first, giving exactly what a site
that always had the new config shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.fs_harness import Ptrack, write_cases, write_events

AS_OF = "2026-11-25"
EVENTS = [("X1-0", "X1", "looked_after_start", "2024-12-19"), ("X2-0", "X2", "looked_after_start", "2022-05-28"),
          ("X3-0", "X3", "looked_after_start", "2024-12-19"), ("X3-1", "X3", "review_held", "2025-01-21"),
          ("X4-0", "X4", "looked_after_start", "2023-11-01"), ("X4-1", "X4", "review_held", "2023-11-30"),
          ("X5-0", "X5", "looked_after_start", "2024-01-05"), ("X5-1", "X5", "proceedings_issued", "2024-01-08")]
CHANGES = {
    "rule pack": 'rule_packs = ["england", "tameside"]\n',
    "calendar": '[calendar]\nclosure_days = ["2025-01-20"]\nextra_holidays = {"2025-01-21" = "A one-off day"}\n',
}


def site(where: Path, config: str | None) -> Ptrack:
    where.mkdir()
    ptrack = Ptrack(where)
    ptrack("init")
    if config is not None:
        (where / "ptrack.toml").write_text(config)
    write_cases(where / "cases.csv", ["X1", "X2", "X3", "X4", "X5"])
    write_events(where / "events.csv", EVENTS)
    ptrack("--as-of", AS_OF, "import", "cases.csv", "events.csv")
    return ptrack


def deadlines_row(doctor_out: str) -> str:
    return next(line for line in doctor_out.splitlines() if line.strip("│┃ ").startswith("deadlines"))


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_config_change_fails_doctor_and_deadlines_recompute_first(tmp_path: Path, change: str) -> None:
    old = site(tmp_path / "old", None)
    assert " ok " in deadlines_row(old("doctor", ok=False).stdout)
    (old.cwd / "ptrack.toml").write_text(CHANGES[change])
    doctor = old("doctor", ok=False)
    assert doctor.returncode == 1
    said = " ".join(doctor.stdout.replace("│", " ").split())
    assert "computed with another rule-set/calendar version" in said
    listed = old("--as-of", AS_OF, "deadlines", "--status", "all", "--format", "csv")
    assert "recomputed 5 stale cases first" in listed.stderr
    fresh = site(tmp_path / "new", CHANGES[change])
    assert listed.stdout == fresh("--as-of", AS_OF, "deadlines", "--status", "all", "--format", "csv").stdout
    assert " ok " in deadlines_row(old("doctor", ok=False).stdout)
    assert "recomputed" not in old("--as-of", AS_OF, "deadlines").stderr, "once is enough"
