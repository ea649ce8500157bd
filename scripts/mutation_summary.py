"""Per-module summary of ``mutmut results --all true`` (used by scripts/mutation).

"no tests": no selected test even runs the mutated function, so it counts as a survivor; "equivalent":
a survivor listed (in backquotes) in mutation-equivalents.md; score = killed / (mutants - equivalent -
unchecked). Usage: ``python scripts/mutation_summary.py results.txt mutation-equivalents.md``.
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

NAME = re.compile(r"([\w.]+?)\.x[ǁ_].*__mutmut_\d+$")


def main(results: str, equivalents: str) -> None:
    text = Path(equivalents).read_text(encoding="utf-8")
    equivalent = set(re.findall(r"`([^`\s]+__mutmut_\d+)`", text))
    rows: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in Path(results).read_text(encoding="utf-8").splitlines():
        name, _, status = line.strip().partition(": ")
        m = NAME.match(name)
        if not m:
            continue
        if status in ("survived", "no tests") and name in equivalent:
            status = "equivalent"
        elif status in ("timeout", "caught by type check"):
            status = "killed"
        rows[m.group(1).removeprefix("custom_components.bpo.")][status] += 1
    head = ("module", "mutants", "killed", "survived", "no tests", "equiv", "unchecked", "score")
    print("{:28} {:>7} {:>6} {:>8} {:>8} {:>5} {:>9} {:>6}".format(*head))
    for module, c in sorted(rows.items()):
        total = sum(c.values())
        unchecked = total - c["killed"] - c["survived"] - c["no tests"] - c["equivalent"]
        scored = total - c["equivalent"] - unchecked
        score = f"{100 * c['killed'] / scored:.1f}%" if scored else "-"
        row = (module, total, c["killed"], c["survived"], c["no tests"], c["equivalent"], unchecked, score)
        print("{:28} {:7} {:6} {:8} {:8} {:5} {:9} {:>6}".format(*row))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
