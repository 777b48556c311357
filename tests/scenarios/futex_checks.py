"""Checks shared by the futex scenario tests (threads 000 and 001)."""

from __future__ import annotations

from emulator.engine.violations import Outcome
from emulator.run.session import run_once


def directed(scen: str, variant: str, options: dict[str, str] | None = None) -> Outcome:
    return run_once(scen, variant, seed=0, directed=True, options=options).outcome


def first_violation(
    scen: str, strategy: str, seeds: int, options: dict[str, str] | None = None
) -> tuple[int, Outcome] | None:
    """The first seed (from 0) on which BUGGY fails, with its outcome."""
    for seed in range(seeds):
        o = run_once(scen, "buggy", seed=seed, strategy=strategy, options=options).outcome
        if o.failed:
            return seed, o
    return None


def fixed_failures(
    scen: str, strategy: str, seeds: int, options: dict[str, str] | None = None
) -> list[tuple[int, str]]:
    bad = []
    for seed in range(seeds):
        o = run_once(scen, "fixed", seed=seed, strategy=strategy, options=options).outcome
        if o.failed:
            bad.append((seed, str(o.violation or o.error)))
    return bad


def same_trace_twice(scen: str, variant: str, seed: int) -> bool:
    a = run_once(scen, variant, seed=seed).outcome
    b = run_once(scen, variant, seed=seed).outcome
    return a.trace_hash == b.trace_hash and a.steps == b.steps and a.status == b.status
