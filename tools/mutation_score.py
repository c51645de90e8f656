"""Print the share of mutants killed, from mutmut's ``export-cicd-stats`` file.

mutmut export-cicd-stats && python tools/mutation_score.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TARGET = 90.0


def main() -> int:
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    total = stats["total"]
    killed = stats["killed"] + stats.get("timeout", 0)  # a mutant that hangs the tests is caught
    share = 100 * killed / total if total else 0.0
    survived = stats.get("survived", 0)
    untested = stats.get("no_tests", 0)
    print(
        f"mutants killed: {killed} of {total} ({share:.1f}%; {survived} survived, "
        f"{untested} not covered by any test); target >= {TARGET:g}%: "
        f"{'yes' if share >= TARGET else 'NO'}"
    )
    return 0 if share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
