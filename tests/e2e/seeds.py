"""Seeds looked up at test time, never pinned: the first seed of a small range whose run has the
property a test needs. A change to the seeding or to a strategy moves every failure to other
seeds; the search finds the new one and the test still checks what it meant to check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from emulator.engine.config import RunResult
from emulator.run.many import run_many

SEEDS = 300
"""How many seeds (from 0) a search runs at most: anon-vma-reuse buggy fails on a few percent
of them under mix, so the first few hundred hold failures of every kind the tests need."""

LOCK_MESSAGE = "unlock of anon_vma#6.lock not held"


@dataclass(frozen=True)
class Found:
    """The first seed whose run was accepted, and that run (shared: do not change it)."""

    seed: int
    result: RunResult

    @property
    def steps(self) -> int:
        return self.result.outcome.steps


@cache
def first_seed(
    until: Callable[[RunResult], bool],
    scenario: str = "anon-vma-reuse",
    variant: str = "buggy",
    strategy: str = "mix",
    seeds: int = SEEDS,
) -> Found:
    """The first seed in ``range(seeds)`` whose run ``until`` accepts (once per session)."""
    for seed, result in enumerate(run_many(scenario, variant, range(seeds), strategy, until=until)):
        if until(result):
            return Found(seed, result)
    raise AssertionError(f"{scenario} {variant} under {strategy}: no accepted run in {seeds} seeds")


def shows(result: RunResult, actor: str | None, label: str, op: str) -> bool:
    """Whether the run has a step ``[label] op`` (by ``actor``, unless None)."""
    steps = (e.decode() for e in result.events)
    return any(
        d.label == label and d.op == op and actor in (None, result.actor_names[d.actor])
        for d in steps
    )


def lock_failure(r: RunResult) -> bool:
    """anon-vma-reuse's use-after-reuse as the tests know it: CPU0 trips INV-LOCK-1 at [W2],
    unlocking anon_vma#6's lock that it no longer holds, after an ``[A5b] mutex_trylock``."""
    v = r.outcome.violation
    return (
        v is not None
        and v.oracle == "INV-LOCK-1"
        and v.actor == "CPU0"
        and v.label == "W2"
        and v.message.startswith(LOCK_MESSAGE)
        and shows(r, None, "A5b", "mutex_trylock")
    )
