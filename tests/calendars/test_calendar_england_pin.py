"""Pin the England calendar: fail loudly when a `holidays` upgrade (or a code change) alters any day.

The snapshot `england_2000_2040.txt` is reviewed data, one `YYYY-MM-DD name` per line. When this test fails,
read the diff it prints, check each changed day against https://www.gov.uk/bank-holidays (and the proclamation
for a one-off day), then regenerate and commit the snapshot with the change:

    .venv/bin/python tests/calendars/test_calendar_england_pin.py --regenerate

A changed calendar changes `calendar.version`, so open deadlines are recomputed on the next run.
"""

from __future__ import annotations

import difflib
import sys
from importlib.metadata import version
from pathlib import Path

from ptrack.calendars import england_and_wales

HOLIDAYS_VERSION = version("holidays")
SNAPSHOT = Path(__file__).with_name("england_2000_2040.txt")
FIRST_YEAR, LAST_YEAR = 2000, 2040
REGENERATE = ".venv/bin/python tests/calendars/test_calendar_england_pin.py --regenerate"


def current_lines() -> list[str]:
    calendar = england_and_wales(FIRST_YEAR, LAST_YEAR)
    return [f"{day.isoformat()} {name}" for day, name in sorted(calendar.holidays.items())]


def snapshot_lines() -> list[str]:
    text = SNAPSHOT.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def write_snapshot() -> None:
    header = [
        f"# England & Wales non-working days {FIRST_YEAR}-{LAST_YEAR}"
        f" (holidays {HOLIDAYS_VERSION}, subdiv ENG).",
        "# Weekend holidays are listed for naming. Regenerate only after reviewing the diff:",
        f"#   {REGENERATE}",
    ]
    SNAPSHOT.write_text("\n".join(header + current_lines()) + "\n", encoding="utf-8")


def test_england_calendar_matches_the_reviewed_snapshot() -> None:
    expected, actual = snapshot_lines(), current_lines()
    if expected != actual:
        now = f"holidays {HOLIDAYS_VERSION}"
        diff = "\n".join(difflib.unified_diff(expected, actual, "snapshot", now, lineterm="", n=0))
        raise AssertionError(
            f"The England working-day calendar changed (holidays {HOLIDAYS_VERSION}).\n"
            f"Review every line below against https://www.gov.uk/bank-holidays; if it is right, run\n"
            f"    {REGENERATE}\n"
            f"and commit {SNAPSHOT.name} with the upgrade. Diff (- snapshot, + now):\n{diff}"
        )


def test_snapshot_holds_the_spec_days() -> None:
    lines = set(snapshot_lines())
    for line in (
        "2022-06-02 Spring Bank Holiday",
        "2022-06-03 Platinum Jubilee of Elizabeth II",
        "2022-09-19 State Funeral of Queen Elizabeth II",
        "2023-05-08 Coronation of Charles III",
        "2022-12-27 Christmas Day (observed)",
    ):
        assert line in lines
    assert not any(line.startswith("2022-05-30 ") for line in lines)


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(f"usage: {REGENERATE}")
    write_snapshot()
    print(f"wrote {SNAPSHOT} ({len(current_lines())} days); review `git diff` before committing")
