"""How fast does each strategy find each scenario's BUGGY variant, and does FIXED stay clean?

For every built-in scenario and every strategy: 20 hunts of the BUGGY variant from disjoint seed
ranges (hunt i starts at seed i * 100000), each counting the seeds up to and including the first
failing one (capped at --cap); the median and maximum of those counts; the mean steps per run;
and the violations of the FIXED variant over --fixed seeds. Targets: the default strategy finds
every BUGGY variant within 500 seeds with a median within 50, and within twice the median of
the best strategy; FIXED has 0 violations.

``--relative F`` measures the default strategy (mix) first and caps every other strategy's
hunts of a scenario at F times the default's median (at least 10 seeds): enough to tell which
strategy beats the default by how much (a capped median is shown as ">cap"), at a fraction of
the runs a strategy that never finds the bug would cost. Rows are printed as cells finish.

Usage: python benchmarks/hunt.py [--hunts 20] [--cap 500] [--fixed 2000] [--workers 2]
       [--only NAME,...] [--strategies chaos,pct,...] [--relative F]
"""

from __future__ import annotations

import argparse
import math
import statistics
from concurrent.futures import ProcessPoolExecutor, as_completed

from emulator.engine.strategies import STRATEGIES
from emulator.run.catalog import builtin
from emulator.run.many import run_many
from emulator.run.session import run_once

SPACING = 100_000
DEFAULT = "mix"


def hunts(job: tuple[str, str, int, int]) -> tuple[str, str, list[int], int]:
    """Seeds tried until the first failure in each hunt (cap + 1 = not found), steps run."""
    name, strategy, n, cap = job
    counts: list[int] = []
    steps = 0
    for h in range(n):
        start = h * SPACING
        found = cap + 1
        for i, r in enumerate(
            run_many(
                name, "buggy", range(start, start + cap), strategy, until=lambda r: r.outcome.failed
            )
        ):
            steps += r.outcome.steps
            if r.outcome.failed:
                found = i + 1
        counts.append(found)
    return name, strategy, counts, steps


def fixed(job: tuple[str, str, int, int]) -> tuple[str, str, int, int]:
    name, strategy, start, n = job
    bad = 0
    steps = 0
    for seed in range(start, start + n):
        o = run_once(name, "fixed", seed, strategy).outcome
        steps += o.steps
        bad += o.failed
    return name, strategy, bad, steps


def row(name: str, strategy: str, counts: list[int], steps: int, cap: int) -> str:
    found = sum(c <= cap for c in counts)
    med = statistics.median(counts)
    mx = max(counts)
    shown_med = f"{med:g}" if med <= cap else f">{cap}"
    shown_max = f"{mx}" if mx <= cap else f">{cap}"
    return (
        f"{name:<28} {strategy:<7} {shown_med:>6} {shown_max:>5} {found:>3}/{len(counts):<2} "
        f"{steps / max(sum(min(c, cap) for c in counts), 1):>9.0f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hunts", type=int, default=20)
    ap.add_argument("--cap", type=int, default=500)
    ap.add_argument("--fixed", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", default="")
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--relative", type=float, default=0.0)
    a = ap.parse_args()
    strategies = [s for s in STRATEGIES if s in a.strategies.split(",")]
    names = sorted(builtin())
    if a.only:
        names = [n for n in names if n in a.only.split(",")]
    print(
        f"{'scenario':<28} {'strategy':<7} {'median':>6} {'max':>5} {'found':>6} {'steps/run':>9}",
        flush=True,
    )
    caps = {(n, s): a.cap for n in names for s in strategies}
    with ProcessPoolExecutor(a.workers) as pool:
        first = [s for s in strategies if a.relative and s == DEFAULT]
        if first:
            todo = [pool.submit(hunts, (n, DEFAULT, a.hunts, a.cap)) for n in names]
            for f in as_completed(todo):
                n, s, counts, steps = f.result()
                print(row(n, s, counts, steps, a.cap), flush=True)
                cap = max(10, math.ceil(a.relative * statistics.median(counts)))
                for other in strategies:
                    caps[(n, other)] = min(a.cap, cap)
        jobs = [(n, s, a.hunts, caps[(n, s)]) for n in names for s in strategies if s not in first]
        for f in as_completed([pool.submit(hunts, j) for j in jobs]):
            n, s, counts, steps = f.result()
            print(row(n, s, counts, steps, caps[(n, s)]), flush=True)
        chunk = 250
        fixes = [
            (n, s, c, min(chunk, a.fixed - c))
            for n in names
            for s in strategies
            for c in range(0, a.fixed, chunk)
        ]
        fixed_res = list(pool.map(fixed, fixes, chunksize=2))
    if a.fixed:
        print(f"{'scenario':<28} {'strategy':<7} fixed bad")
        for n in names:
            for s in strategies:
                bad = sum(b for nn, ss, b, _ in fixed_res if (nn, ss) == (n, s))
                print(f"{n:<28} {s:<7} {bad:>4}/{a.fixed}")


if __name__ == "__main__":
    main()
