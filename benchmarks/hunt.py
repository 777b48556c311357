"""How fast does each strategy find each scenario's BUGGY variant, and does FIXED stay clean?

For every built-in scenario and every strategy: 20 hunts of the BUGGY variant from disjoint seed
ranges (hunt i starts at seed i * 100000), each counting the seeds up to and including the first
failing one (capped at --cap); the median and maximum of those counts; the mean steps per run;
and the violations of the FIXED variant over --fixed seeds. Targets: chaos finds every BUGGY
variant within 500 seeds with a median within 50; FIXED has 0 violations.

Usage: python benchmarks/hunt.py [--hunts 20] [--cap 500] [--fixed 2000] [--workers 2]
       [--only NAME,...] [--strategies chaos,pct,...]
"""

from __future__ import annotations

import argparse
import statistics
from concurrent.futures import ProcessPoolExecutor

from emulator.engine.strategies import STRATEGIES
from emulator.run.catalog import builtin
from emulator.run.session import run_once

SPACING = 100_000


def hunt(job: tuple[str, str, int, int]) -> tuple[str, str, int, int]:
    """Seeds tried until the first failure (cap + 1 = not found), and steps run."""
    name, strategy, start, cap = job
    steps = 0
    for i in range(cap):
        o = run_once(name, "buggy", start + i, strategy).outcome
        steps += o.steps
        if o.failed:
            return name, strategy, i + 1, steps
    return name, strategy, cap + 1, steps


def fixed(job: tuple[str, str, int, int]) -> tuple[str, str, int, int]:
    name, strategy, start, n = job
    bad = 0
    steps = 0
    for seed in range(start, start + n):
        o = run_once(name, "fixed", seed, strategy).outcome
        steps += o.steps
        bad += o.failed
    return name, strategy, bad, steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hunts", type=int, default=20)
    ap.add_argument("--cap", type=int, default=500)
    ap.add_argument("--fixed", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", default="")
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    a = ap.parse_args()
    strategies = [s for s in STRATEGIES if s in a.strategies.split(",")]
    names = sorted(builtin())
    if a.only:
        names = [n for n in names if n in a.only.split(",")]
    hunts = [(n, s, h * SPACING, a.cap) for n in names for s in strategies for h in range(a.hunts)]
    chunk = 250
    fixes = [
        (n, s, c, min(chunk, a.fixed - c))
        for n in names
        for s in strategies
        for c in range(0, a.fixed, chunk)
    ]
    with ProcessPoolExecutor(a.workers) as pool:
        hunt_res = list(pool.map(hunt, hunts, chunksize=4))
        fixed_res = list(pool.map(fixed, fixes, chunksize=2))
    print(
        f"{'scenario':<28} {'strategy':<7} {'median':>6} {'max':>5} {'found':>6} "
        f"{'steps/run':>9} {'fixed bad':>9}"
    )
    for n in names:
        for s in strategies:
            counts = [c for nn, ss, c, _ in hunt_res if (nn, ss) == (n, s)]
            steps = sum(st for nn, ss, _, st in hunt_res if (nn, ss) == (n, s))
            runs = sum(counts)
            bad = sum(b for nn, ss, b, _ in fixed_res if (nn, ss) == (n, s))
            found = sum(c <= a.cap for c in counts)
            med = statistics.median(counts)
            mx = max(counts)
            shown_max = f"{mx}" if mx <= a.cap else f">{a.cap}"
            print(
                f"{n:<28} {s:<7} {med:>6g} {shown_max:>5} {found:>3}/{len(counts):<2} "
                f"{steps / max(runs, 1):>9.0f} {bad:>4}/{a.fixed}"
            )


if __name__ == "__main__":
    main()
