"""How often does each strategy find each bug? SCTBench ports and kernel scenarios, one table.

For every program of benchmarks/programs/ (bad and ok variants) and every built-in kernel
scenario (its BUGGY variant), and every strategy of ``emulator.engine.strategies.STRATEGIES``: run
seeds 0..N-1 (strategies that use a profile get the one ``pcemu run`` computes; rff's corpus lives
for one chunk of CHUNK seeds, as it would for one hunt) and print

- ``buggy %``: the share of the N seeds whose run ends in a violation (for an ok variant this
  must be 0; a hang or error counts too and is named in ``outcomes``);
- ``runs/bug``: expected runs to the first bug, estimated as N / hits (the mean of the geometric
  distribution; "-" when no seed of the N found it);
- ``1st``: the index of the first buggy seed (one sample of the same quantity);
- ``steps``: mean steps per run.

Each program ends with ``default/best``: the best strategy's hit rate over the default's
(``mix``), i.e. how many times more runs the default needs to its first bug; the target is 2.

A last row per program, ``verify``, runs ``emulator.engine.verify`` with preemption bound
``--bound`` (default 2): ``runs/bug`` is then the number of executions to the first
counterexample, and for a clean program the number of executions to exhaust the bound.

The last column holds published figures (mean schedules to the first bug, trials that found it
out of 20) for the same program where they exist: the SURW artifact (zhaohuanqdcn/SURW,
stats/period: 10,000 schedules or 5 min per trial) and the RFF artifact (dylanjwolff/RFF,
full-data.csv; PERIOD from its finalResults.csv). Our PCT is d=3 with k from the profiling
runs, our "random" is a uniform random walk over runnable threads, and every shared access of a
port is a scheduling point (a blocked request or a local step is none); their tools schedule at
pthread calls and instrumented accesses, so compare rankings, not absolute counts.

Usage: python benchmarks/search.py [--seeds 10000] [--kernel-seeds N] [-j 2] [--only NAME,...]
       [--no-kernel] [--no-programs]
"""

from __future__ import annotations

import argparse
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from emulator.engine.runtime import RunConfig, run_sync
from emulator.engine.strategies import (
    STRATEGIES,
    make_strategy,
    needs_horizon,
    needs_profile,
    new_campaign,
)
from emulator.engine.verify import verify
from emulator.run.catalog import builtin, load_script
from emulator.run.scenario import Scenario
from emulator.run.session import profile_of

PROGRAMS = Path(__file__).resolve().parent / "programs"
CHUNK = 250

# Published mean schedules to the first bug (found/20 trials); see the module docstring.
# Keys: program, then which of our strategies the figure sits beside.
PUBLISHED: dict[str, dict[str, str]] = {
    "reorder_10_bad": {
        "surw": "SURW 17 (20/20); N-S (URW) 74",
        "rff": "RFF 5.9; PERIOD 27",
        "pos": "POS none (0/20)",
        "pct": "PCT d=3 3225 (16/20), d=10 4462 (12/20); RFF-art. PCT 2356",
        "random": "RW none in 10,000 (0/20)",
    },
    "reorder_20_bad": {
        "surw": "SURW 6 (20/20); N-S (URW) 10",
        "rff": "RFF 5.9; PERIOD 39",
        "pos": "POS none (0/20)",
        "pct": "PCT d=3 3005 (20/20), d=10 3297 (17/20); RFF-art. PCT 2128",
        "random": "RW none in 10,000 (0/20)",
    },
    "twostage_100_bad": {
        "surw": "SURW 454 (20/20); N-S (URW) 2992 (18/20)",
        "rff": "RFF 56; PERIOD 690",
        "pos": "POS 6674 (3/20)",
        "pct": "PCT d=3 7466 (3/20), d=10 5726 (9/20); RFF-art. PCT 3888 (6/20)",
        "random": "RW none in 10,000 (0/20)",
    },
    "twostage_bad": {
        "surw": "SURW 8; N-S (URW) 9",
        "rff": "RFF 8.3; PERIOD 4",
        "pos": "POS 15",
        "pct": "PCT d=3 13, d=10 9; RFF-art. PCT 8.9",
        "random": "RW 464",
    },
    "reorder_3_bad": {
        "surw": "SURW 7; N-S (URW) 24",
        "rff": "RFF 6.7; PERIOD 6",
        "pos": "POS 86",
        "pct": "PCT d=3 185, d=10 148; RFF-art. PCT 241",
        "random": "RW none in 10,000 (0/20)",
    },
}


@dataclass(frozen=True)
class Job:
    source: str  # a script path, or a built-in scenario name
    variant: str
    strategy: str
    start: int
    count: int


@dataclass
class Tally:
    runs: int = 0
    hits: int = 0
    first: int | None = None
    steps: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


@cache
def scenario(source: str) -> Scenario:
    return load_script(Path(source)) if source.endswith(".py") else builtin()[source]


def work(job: Job) -> tuple[Job, Tally]:
    scen = scenario(job.source)
    t = Tally()
    if job.strategy == "verify":
        return job, verified(scen, job)
    opts = scen.default_options()
    windows = bool(scen.build(job.variant, opts).windows)
    prof = (
        profile_of(scen, job.variant, opts, scen.budget, needs_horizon(job.strategy, windows))
        if needs_profile(job.strategy)
        else None
    )
    campaign = new_campaign(job.strategy)
    for seed in range(job.start, job.start + job.count):
        setup = scen.build(job.variant, opts)
        strategy = make_strategy(
            job.strategy, seed, None, prof, campaign, windows=bool(setup.windows)
        )
        cfg = RunConfig(strategy=strategy, budget=scen.budget, windows=setup.windows)
        o = run_sync(setup.model, setup.actors, cfg).outcome
        t.runs += 1
        t.steps += o.steps
        what = o.violation.oracle if o.violation else o.status
        t.outcomes[what] += 1
        if o.failed:
            t.hits += 1
            if t.first is None:
                t.first = seed
    return job, t


def verified(scen: Scenario, job: Job) -> Tally:
    """Bounded exhaustive search (job.start = the preemption bound, job.count = the limit)."""

    def build() -> object:
        setup = scen.build(job.variant, scen.default_options())
        return setup.model, setup.actors

    v = verify(build, lambda r: r.outcome.failed, job.start, scen.budget, job.count)  # type: ignore[arg-type]
    t = Tally(runs=v.executions, hits=1 if v.witness is not None else 0)
    t.outcomes.update(v.outcomes)
    if v.witness is not None:
        t.first = v.executions
    elif not v.complete:
        t.outcomes["limit"] += 1
    return t


def merge(into: Tally, part: Tally) -> None:
    into.runs += part.runs
    into.hits += part.hits
    into.steps += part.steps
    into.outcomes.update(part.outcomes)
    if part.first is not None and (into.first is None or part.first < into.first):
        into.first = part.first


def targets(a: argparse.Namespace) -> list[tuple[str, str, str, int]]:
    """(label, source, variant, seeds) in table order."""
    out: list[tuple[str, str, str, int]] = []
    if not a.no_programs:
        for path in sorted(PROGRAMS.glob("*.py")):
            scen = scenario(str(path))
            out += [(v, str(path), v, a.seeds) for v in scen.variants]
    if not a.no_kernel:
        n = a.kernel_seeds or a.seeds
        out += [(name, name, "buggy", n) for name in sorted(builtin())]
    if a.only:
        keep = a.only.split(",")
        out = [t for t in out if any(k in t[0] for k in keep)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10_000, help="seeds per program and strategy")
    ap.add_argument("--kernel-seeds", type=int, default=0, help="seeds per kernel scenario")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--only", default="", help="comma-separated name fragments")
    ap.add_argument("--no-kernel", action="store_true")
    ap.add_argument("--no-programs", action="store_true")
    ap.add_argument("--bound", type=int, default=2, help="verify's preemption bound")
    ap.add_argument("--verify-limit", type=int, default=20_000, help="verify's execution cap")
    a = ap.parse_args()
    rows = targets(a)
    jobs = [
        Job(src, variant, s, c, min(CHUNK, n - c))
        for _label, src, variant, n in rows
        for s in STRATEGIES
        for c in range(0, n, CHUNK)
    ]
    jobs += [Job(src, variant, "verify", a.bound, a.verify_limit) for _l, src, variant, _n in rows]
    tallies: dict[tuple[str, str, str], Tally] = {}
    with ProcessPoolExecutor(a.jobs) as pool:
        for job, part in pool.map(work, jobs, chunksize=1):
            merge(tallies.setdefault((job.source, job.variant, job.strategy), Tally()), part)
    print(
        "buggy % = share of seeds 0..N-1 that fail; runs/bug = N / hits (expected runs to the "
        "first bug); 1st = first failing seed; published = mean schedules to first bug"
    )
    head = ("program / scenario", "strategy", "N", "buggy %", "runs/bug", "1st", "steps")
    print(
        f"{head[0]:<32} {head[1]:<7} {head[2]:>6} {head[3]:>8} {head[4]:>9} {head[5]:>6} "
        f"{head[6]:>6}  outcomes  |  published"
    )
    for label, src, variant, _n in rows:
        for s in (*STRATEGIES, "verify"):
            t = tallies[(src, variant, s)]
            rate = f"{100 * t.hits / t.runs:.1f}" if s != "verify" else "-"
            per = f"{t.runs / t.hits:.1f}" if t.hits else "-"
            if s == "verify":
                per = str(t.first) if t.first is not None else f"({t.runs})"
            first = str(t.first) if t.first is not None else "-"
            steps = f"{t.steps / t.runs:.0f}" if t.runs else "-"
            seen = " ".join(f"{k}:{v}" for k, v in sorted(t.outcomes.items()))
            pub = PUBLISHED.get(label, {}).get(s, "")
            line = (
                f"{label:<32} {s:<7} {t.runs:>6} {rate:>8} {per:>9} {first:>6} {steps:>6}  {seen}"
            )
            print(f"{line}  |  {pub}" if pub else line)
        print(default_vs_best(label, {s: tallies[(src, variant, s)] for s in STRATEGIES}))


DEFAULT = "mix"  # the CLI's default strategy


def default_vs_best(label: str, by: dict[str, Tally]) -> str:
    """The target line of one program: the default strategy's expected runs to the first bug
    over the best strategy's (their hit rates' ratio), which should be at most 2."""
    rate = {s: t.hits / t.runs for s, t in by.items() if t.runs}
    best = max(rate, key=lambda s: rate[s], default=None)
    if best is None or rate[best] == 0:
        return f"{label:<32} default/best: no strategy found a bug"
    if rate.get(DEFAULT, 0) == 0:
        return f"{label:<32} default/best: the default found none; {best} {100 * rate[best]:.1f} %"
    ratio = rate[best] / rate[DEFAULT]
    flag = "" if ratio <= 2 else "   > 2x: over target"
    return f"{label:<32} default/best = {ratio:.2f} (best: {best}){flag}"


if __name__ == "__main__":
    main()
