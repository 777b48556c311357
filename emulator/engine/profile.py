"""Profiling runs: what a program does under uniform random scheduling, measured once.

PCT needs the number of scheduling decisions of a run (its ``k``), URW and SURW the number of
steps each actor makes (in all and per key), chaos the labels of steps that conflict with
another actor's, and ``mix`` whether a random walk already fails. A profile is a pure function
of the program: a few runs of a fixed-seed random walk, so every run that uses it stays a
function of its own seed (and replays from its recorded choices alone; a ``mix`` replay also
needs the profile, which decides the strategy that ran).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.engine.config import RunConfig
from emulator.engine.coverage import Coverage
from emulator.engine.events import PARKED_REPLY
from emulator.engine.footprint import ANY
from emulator.engine.model import Model
from emulator.engine.port import ActorSpec
from emulator.engine.strategies import RandomStrategy

Build = Callable[[], tuple[Model, Sequence[ActorSpec]]]

PROFILE_RUNS = 4
PROFILE_STREAM = 0x5EED
# PCT's k must bound the decisions of the runs that reach the bug, and a random walk may take
# the long path rarely: cow-early-unlock-truncate's fault reaches the race in 1 walk in 4, so 4
# walks all stayed short on 1 program in 3 (k 7 where the race needs ~26: PCT never found it).
# A profile for PCT (``horizon``) counts decisions over up to HORIZON_RUNS walks in all, the
# extra ones at most HORIZON_STEPS steps together, so a program of a thousand steps a run pays
# for two more walks, not twelve. Other strategies do not read ``decisions`` and do not run
# them: every walk runs the user's program, and one that reaches a path where the program hangs
# or exits would stop every seed's run, not only the seeds that reach it.
HORIZON_RUNS = 16
HORIZON_STEPS = 2000


@dataclass(frozen=True)
class Profile:
    runs: int
    decisions: int  # the most scheduling decisions one walk made (up to HORIZON_RUNS: horizon)
    steps: int  # the most steps one run made
    counts: dict[str, int]  # actor name -> steps with a shared footprint (the most in one run)
    key_counts: dict[str, dict[Hashable, int]]  # actor name -> key -> steps touching it
    parents: dict[str, str]  # actor name -> the actor whose step first woke it (spawned it)
    racy_labels: tuple[str, ...]  # labels of steps that conflicted with another actor's
    coverage: Coverage = field(default_factory=Coverage)
    failures: int = 0  # runs that ended in a violation (or a hang): a random walk finds the bug


class _Walk(RandomStrategy):
    """A random walk that only counts its scheduling decisions (the horizon walks)."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.decisions = 0

    def pick(self, runnable: Sequence[int], step: int) -> int:
        self.decisions += 1
        return self.rng.below(len(runnable))


class _Profiler(RandomStrategy):
    wants_coverage = True

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.decisions = 0
        self.counts: dict[int, int] = {}
        self.keys: dict[int, dict[Hashable, int]] = {}

    def pick(self, runnable: Sequence[int], step: int) -> int:
        self.decisions += 1
        return self.rng.below(len(runnable))

    def applied(self, actor: int, forced: bool) -> None:
        if forced:
            return
        self.counts[actor] = self.counts.get(actor, 0) + 1
        per = self.keys.setdefault(actor, {})
        for key, _w in self.hub.footprint(actor):
            if key != ANY:
                per[key] = per.get(key, 0) + 1


def profile(build: Build, budget: int, runs: int = PROFILE_RUNS, horizon: bool = False) -> Profile:
    """Run ``build``'s program ``runs`` times under a fixed-seed random walk and measure it
    (``horizon``: and more walks counting decisions, for PCT's k)."""
    from emulator.engine.runtime import run_batch

    profilers = [_Profiler(PROFILE_STREAM + i) for i in range(runs)]

    def jobs() -> Any:
        for p in profilers:
            model, actors = build()
            yield model, actors, RunConfig(strategy=p, budget=budget)

    results = run_batch(jobs())
    decisions = max((p.decisions for p in profilers), default=0)
    steps = max((r.outcome.steps for r in results), default=0)
    extra = min(HORIZON_RUNS - runs, HORIZON_STEPS // max(1, steps)) if horizon else 0
    if extra > 0:
        walks = [_Walk(PROFILE_STREAM + runs + i) for i in range(extra)]

        def walk_jobs() -> Any:
            for w in walks:
                model, actors = build()
                yield model, actors, RunConfig(strategy=w, budget=budget)

        run_batch(walk_jobs(), keep=False)
        decisions = max(decisions, *(w.decisions for w in walks))
    failures = 0
    counts: dict[str, int] = {}
    key_counts: dict[str, dict[Hashable, int]] = {}
    parents: dict[str, str] = {}
    cov = Coverage()
    for p, r in zip(profilers, results, strict=True):
        names = r.actor_names
        failures += r.outcome.failed
        for a, c in p.counts.items():
            counts[names[a]] = max(counts.get(names[a], 0), c)
        for a, per in p.keys.items():
            into = key_counts.setdefault(names[a], {})
            for k, c in per.items():
                into[k] = max(into.get(k, 0), c)
        for child, parent in _parents(r.events, r.wakes).items():
            parents.setdefault(names[child], names[parent])
        if r.coverage is not None:
            cov.add(r.coverage)
    racy: dict[str, None] = {}
    for first, then in sorted(cov.orders):
        racy[first] = None
        racy[then] = None
    return Profile(runs, decisions, steps, counts, key_counts, parents, tuple(racy), cov, failures)


def _parents(events: Sequence[Any], wakes: Sequence[tuple[int, int]]) -> dict[int, int]:
    """An actor whose first request parked and that a step of another actor woke later was
    spawned by that actor (a thread waiting to be born); domain-free, from the trace alone."""
    first: dict[int, bool] = {}
    for e in events:
        first.setdefault(e[0], e[3] == PARKED_REPLY)
    out: dict[int, int] = {}
    for step, woken in wakes:
        if woken in out or not first.get(woken, False) or step < 1:
            continue
        waker = events[step - 1][0]
        if waker != woken:
            out[woken] = waker
    return out
