"""`python -m tests.golden --regenerate` rewrites expected_deadlines.csv; without the flag, shows the diff."""

import difflib
import sys

from tests.golden import EXPECTED, render


def main() -> int:
    fresh = render()
    if "--regenerate" in sys.argv:
        EXPECTED.write_text(fresh, encoding="utf-8")
        print(f"wrote {EXPECTED} ({fresh.count(chr(10)) - 1} deadlines); review the diff before committing")
        return 0
    old = EXPECTED.read_text(encoding="utf-8") if EXPECTED.exists() else ""
    diff = list(difflib.unified_diff(old.splitlines(), fresh.splitlines(), "expected", "computed", lineterm=""))
    print("\n".join(diff) if diff else "golden file up to date")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
