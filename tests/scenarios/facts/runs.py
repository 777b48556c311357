"""The runs the kernel-fact tests make, shared so that each test states only its fact."""

from __future__ import annotations

import pytest

from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy
from emulator.engine.violations import Outcome, ViolationReport
from emulator.run.scenario import Scenario, Setup
from emulator.run.session import run_once


def directed(scen: str, variant: str, options: dict[str, str] | None = None) -> Outcome:
    """The scenario's directed schedule (the spec's numbered interleaving)."""
    return run_once(scen, variant, seed=0, directed=True, options=options).outcome


def directed_violation(
    scen: str, variant: str, options: dict[str, str] | None = None
) -> ViolationReport:
    o = directed(scen, variant, options)
    assert o.violation is not None, o
    return o.violation


def build(scenario: Scenario, variant: str, options: dict[str, str] | None = None) -> Setup:
    return scenario.build(variant, scenario.default_options() if options is None else options)


def scheduled(setup: Setup, schedule: list[tuple[str, str]]) -> RunResult:
    """A run of a scenario's setup under another schedule than its directed one (the
    interleavings the spec calls benign, or a prefix of the bad one)."""
    cfg = RunConfig(make_strategy("chaos", 0), directed=schedule)
    return run_sync(setup.model, list(setup.actors), cfg)


def found_from_seeds(
    scen: str,
    strategy: str,
    seeds: int,
    oracles: tuple[str, ...],
    variant: str = "buggy",
    options: dict[str, str] | None = None,
) -> None:
    """``strategy`` finds ``variant`` within ``seeds`` seeds, and what it finds first is one
    of ``oracles``."""
    for seed in range(seeds):
        o = run_once(scen, variant, seed=seed, strategy=strategy, options=options).outcome
        if o.failed:
            assert o.violation is not None and o.violation.oracle in oracles, (seed, o)
            return
    pytest.fail(f"{scen} {variant}: no violation in {seeds} {strategy} seeds")


def fixed_failures(
    scen: str, strategy: str, seeds: int, options: dict[str, str] | None = None
) -> list[tuple[int, str]]:
    bad = []
    for seed in range(seeds):
        o = run_once(scen, "fixed", seed=seed, strategy=strategy, options=options).outcome
        if o.failed:
            bad.append((seed, str(o.violation or o.error)))
    return bad
