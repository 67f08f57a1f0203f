"""One benchmark in its own process: `python -m benchmarks._worker NAME QUICK(0|1) RESULT_JSON`."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    name, quick, out = argv[0], argv[1] == "1", Path(argv[2])
    module = importlib.import_module(f"benchmarks.bench_{name}")
    result = module.run(quick)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
