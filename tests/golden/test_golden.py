"""The engine's output for the reference timelines equals the reviewed golden file."""

import difflib

from tests.golden import EXPECTED, render


def test_golden_deadlines_unchanged() -> None:
    fresh, expected = render(), EXPECTED.read_text(encoding="utf-8")
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), fresh.splitlines(), "expected", "computed",
                                          lineterm="", n=0))
    assert fresh == expected, (
        "deadlines for the golden timelines changed. If the change is intended, review and regenerate with "
        f"`.venv/bin/python -m tests.golden --regenerate`:\n{diff[:4000]}"
    )
