"""Soak throughput: runs/s and steps/s with 1 and 2 worker processes over the same seeds (the
speedup), against the floor of running the same seeds one after the other in this process (the
supervisor's overhead), all measured in the same run.

Workload: anon-vma-reuse, BUGGY and FIXED, chaos, seeds [0, N) (2N runs; BUGGY fails on ~4% of
seeds, so findings, dedup and artifact writing are part of it). Self-check off, so every mode
makes exactly the same runs; the script checks that they also make the same steps.

- floor: ``session.execute`` for each seed in this process, nothing else
- run_item: what a worker does per seed (execute + classify + artifacts), in this process
- soak, W workers: the real supervisor (trio, SQLite commits, W worker processes), including
  worker start-up, from start to summary

Wall-clock rates give the speedup (target: 2 workers >= 1.8x one worker on a quiet machine).
The supervisor's share is its CPU time (this process) over the whole tree's (this process plus
its reaped workers); target <= 5 %. CPU seconds barely move with other load on a shared
machine; wall-clock figures do, so every line carries the 1-minute load average measured
around it. Modes are interleaved and each one's best of REPS is kept.

Usage: python benchmarks/soak.py [N [REPS]]   (default 1500 seeds, best of 2)
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trio

from emulator.run.session import execute
from emulator.soak.jobs import SoakConfig
from emulator.soak.plan import Lane, Plan
from emulator.soak.progress import Progress
from emulator.soak.store import Store
from emulator.soak.supervisor import Supervisor
from emulator.soak.worker import run_item

LANES = (Lane("anon-vma-reuse", "buggy", "chaos"), Lane("anon-vma-reuse", "fixed", "chaos"))


@dataclass(frozen=True)
class Measure:
    wall: float
    cpu: float  # the whole process tree
    own: float  # this process alone (for a soak: the supervisor)
    load: float  # 1-minute load average when the measure ended
    runs: int
    steps: int
    findings: int = 0


def cpu_seconds() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = me.ru_utime + me.ru_stime
    return own + kids.ru_utime + kids.ru_stime, own


def measured(body: Callable[[], tuple[int, int, int]]) -> Measure:
    (c0, o0), t0 = cpu_seconds(), time.perf_counter()
    runs, steps, found = body()
    (c1, o1), t1 = cpu_seconds(), time.perf_counter()
    return Measure(t1 - t0, c1 - c0, o1 - o0, os.getloadavg()[0], runs, steps, found)


def floor(seeds: int) -> tuple[int, int, int]:
    steps = sum(execute(lane.spec(s))[1].outcome.steps for lane in LANES for s in range(seeds))
    return len(LANES) * seeds, steps, 0


def inline_worker(seeds: int, out: Path) -> tuple[int, int, int]:
    known: dict[str, tuple[int, str]] = {}
    steps = sum(run_item(ln, s, False, out, known).steps for ln in LANES for s in range(seeds))
    return len(LANES) * seeds, steps, len(known)


def soak(seeds: int, workers: int, out: Path) -> tuple[int, int, int]:
    plan = Plan(LANES, batch=50, seeds=seeds, selfcheck=0.0)
    store = Store(out)
    try:
        sup = Supervisor(SoakConfig(out=out, workers=workers, listen=None), plan, store, Progress())
        s = trio.run(sup.run)
    finally:
        store.close()
    return s.final.snap.runs, s.final.snap.steps, len(s.findings)


def line(name: str, m: Measure, note: str = "") -> None:
    print(
        f"{name:<22} {m.runs / m.wall:7.1f} runs/s {m.steps / m.wall:9.0f} steps/s "
        f"{m.wall:6.2f} s wall {m.cpu:6.2f} s cpu  load {m.load:4.2f}  {note}"
    )


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    print(
        f"anon-vma-reuse buggy+fixed, chaos, seeds [0, {seeds}): {len(LANES) * seeds} runs; "
        f"{os.cpu_count()} cores; best of {reps}, modes interleaved; "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )
    best: dict[str, Measure] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(reps):
            runs: dict[str, Callable[[], tuple[int, int, int]]] = {
                "floor": lambda: floor(seeds),
                "run_item": lambda rep=rep: inline_worker(seeds, Path(tmp) / f"inline{rep}"),
                "soak1": lambda rep=rep: soak(seeds, 1, Path(tmp) / f"soak1-{rep}"),
                "soak2": lambda rep=rep: soak(seeds, 2, Path(tmp) / f"soak2-{rep}"),
            }
            for name, body in runs.items():
                m = measured(body)
                if name in best and (m.runs, m.steps) != (best[name].runs, best[name].steps):
                    raise SystemExit(f"{name}: other runs than before: not deterministic")
                if name not in best or m.wall < best[name].wall:
                    best[name] = m
    f = best["floor"]
    for name in ("run_item", "soak1", "soak2"):
        if (best[name].runs, best[name].steps) != (f.runs, f.steps):
            raise SystemExit(f"{name} made other runs or steps than the floor")
    line("floor (execute)", f)
    line("in-process run_item", best["run_item"], f"cpu {best['run_item'].cpu / f.cpu:.2f}x floor")
    for w in (1, 2):
        m = best[f"soak{w}"]
        line(
            f"soak, {w} worker{'s' if w > 1 else ' '}",
            m,
            f"cpu {m.cpu / f.cpu:.2f}x floor, wall {m.wall / f.wall:.2f}x, {m.findings} findings, "
            f"supervisor {m.own / m.cpu * 100:.1f}% of the tree's cpu",
        )
    s1, s2 = best["soak1"], best["soak2"]
    print(
        f"speedup 2 workers vs 1 (wall): {s1.wall / s2.wall:.2f}x (target >= 1.8 on a quiet "
        f"machine; load {s1.load:.2f} / {s2.load:.2f} on {os.cpu_count()} cores)"
    )
    print(
        f"supervisor share of cpu: {s1.own / s1.cpu * 100:.1f}% (1 worker), "
        f"{s2.own / s2.cpu * 100:.1f}% (2 workers); target <= 5%"
    )
    print(
        f"overhead vs floor, 1 worker: {(s1.wall / f.wall - 1) * 100:+.0f}% wall, "
        f"{(s1.cpu / f.cpu - 1) * 100:+.0f}% cpu (worker start-up included)"
    )


if __name__ == "__main__":
    main()
