"""bpo against Home Assistant's own scripts doing the same job, in HA's test harness.

``python benchmarks/ha.py [--n 1000 5000 10000] [--runs 3] [--persons both|yes|no]``

Each measurement runs in its own process (``pytest benchmarks/ha_case.py``, see there for what each side
does); bpo and native runs are interleaved, and the median of ``--runs`` is printed with the ratio
bpo/native: start s, items/s, RSS MB and KB per item, answer-all s, the longest event-loop stall seen by a
10 ms heartbeat (in wall time, and in CPU time of the loop's thread, which a loaded machine does not
stretch), bpo's longest full garbage collection, the share of tasks still open after a restart, the
ratios of the loop thread's CPU time per phase (robust to load) and the number of full collections. The
1-minute load average is printed with every row, since other work on the machine moves wall-clock figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def measure(side: str, n: int, persons: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        env = {
            **os.environ,
            "BENCH_SIDE": side,
            "BENCH_N": str(n),
            "BENCH_PERSONS": "1" if persons else "0",
            "BENCH_OUT": str(out),
        }
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "benchmarks/ha_case.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-o",
            "addopts=",
            "-o",
            "timeout=0",
            "-x",
        ]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not out.exists():
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise SystemExit(f"{side} N={n} persons={persons} failed:\n{tail}")
        figures: dict[str, float] = json.loads(out.read_text())
        return figures


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def full_gcs(figures: dict[str, Any]) -> int:
    """Full collections of Python's cyclic GC during both phases (each walks the whole process)."""
    return int(figures.get("gc_full_start_count", 0) + figures.get("gc_full_answer_count", 0))


def row(n: int, persons: bool, bpo: list[dict[str, float]], native: list[dict[str, float]]) -> str:
    b: dict[str, Any] = {k: median(bpo, k) for k in bpo[0]}
    v: dict[str, Any] = {k: median(native, k) for k in native[0]}
    stall = max(b["stall_start_s"], b["stall_answer_s"])
    native_stall = max(v["stall_start_s"], v["stall_answer_s"])
    return (
        f"| {n:,} | {'yes' if persons else 'no'} | {b['start_s']:.2f} | {v['start_s']:.2f} "
        f"| x{b['start_s'] / v['start_s']:.2f} | {n / b['start_s']:,.0f} | {n / v['start_s']:,.0f} "
        f"| {b['answer_s']:.2f} | {v['answer_s']:.2f} | x{b['answer_s'] / v['answer_s']:.2f} "
        f"| {b['rss_mb']:.1f} ({1000 * b['rss_mb'] / n:.1f} KB) "
        f"| {v['rss_mb']:.1f} ({1000 * v['rss_mb'] / n:.1f} KB) "
        f"| x{b['rss_mb'] / v['rss_mb'] if v['rss_mb'] > 0 else float('nan'):.2f} "
        f"| {1000 * stall:.0f} ms | {1000 * b.get('stall_cpu_s', 0.0):.0f} ms "
        f"| {1000 * b.get('gc_full_longest_s', 0.0):.0f} ms "
        f"| {1000 * native_stall:.0f} ms | {1000 * v.get('stall_cpu_s', 0.0):.0f} ms "
        f"| {100 * b['open_after_restart']:.0f} % | {100 * v['open_after_restart']:.0f} % "
        f"| x{b['start_cpu_s'] / v['start_cpu_s']:.2f} | x{b['answer_cpu_s'] / v['answer_cpu_s']:.2f} "
        f"| {full_gcs(b)} / {full_gcs(v)} "
        f"| {os.getloadavg()[0]:.2f} |"
    )


HEADER = (
    "| N | persons | bpo start s | native start s | ratio | bpo items/s | native items/s | bpo answer-all s "
    "| native answer-all s | ratio | bpo RSS MB (per item) | native RSS MB (per item) | ratio "
    "| bpo longest stall | bpo longest stall, CPU | bpo longest full GC | native longest stall "
    "| native longest stall, CPU | bpo open after restart | native | start, loop CPU ratio "
    "| answer-all, loop CPU ratio | full GCs bpo / native | load |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--persons", choices=["both", "yes", "no"], default="yes")
    args = parser.parse_args()
    persons_modes = {"both": [True, False], "yes": [True], "no": [False]}[args.persons]
    print(HEADER, flush=True)
    for persons in persons_modes:
        for n in args.n:
            bpo: list[dict[str, float]] = []
            native: list[dict[str, float]] = []
            for _ in range(args.runs):  # interleaved, so both sides see the same machine
                bpo.append(measure("bpo", n, persons))
                native.append(measure("native", n, persons))
            print(row(n, persons, bpo, native), flush=True)


if __name__ == "__main__":
    main()
