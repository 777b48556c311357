"""003c anon-vma-rcu-sleep: 88c22088bf23 (3.0 - 3.15) drops the last anon_vma reference inside
the RCU read-side section (A9); 3.0's anon_vma_free sleeps there only if a third party holds the
root lock (INV-RCU-1 at AF2). Hugh's 2014 fix leaves the section first. The naive
mutex_lock-under-RCU conversion trips the same oracle at once."""

from __future__ import annotations

import pytest

from emulator.run.session import run_once

NAME = "anon-vma-rcu-sleep"


def test_directed_buggy_sleeps_in_anon_vma_free_under_rcu() -> None:
    o = run_once(NAME, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None, o
    assert o.violation.oracle == "INV-RCU-1"
    assert (o.violation.actor, o.violation.label) == ("CPU0", "AF2")
    assert "mutex_lock" in o.violation.message and "opened at A1" in o.violation.message


def test_last_put_inside_rcu_without_lock_holder_is_clean() -> None:
    """The same interleaving, but the parent's walker does not hold R when CPU0's put frees A:
    3.0's anon_vma_free (no might_sleep() at its top) finds R unlocked and never sleeps."""
    from emulator.engine.runtime import RunConfig, run_sync
    from emulator.engine.strategies import make_strategy
    from scenarios.anon_vma.anon_vma_rcu_sleep import SCENARIO

    setup = SCENARIO.build("buggy", SCENARIO.default_options())
    schedule = [("CPU2", "PW1"), ("CPU0", "A8"), ("CPU2", "PW4"), ("CPU1", "X4"), ("CPU0", "AF4")]
    cfg = RunConfig(make_strategy("chaos", 0), directed=schedule)
    r = run_sync(setup.model, list(setup.actors), cfg)
    assert r.outcome.status == "clean", r.outcome
    labels = [e.decode().label for e in r.events]
    assert "AF4" in labels and "AF2" not in labels  # freed inside RCU, without sleeping


def test_directed_fixed_is_clean() -> None:
    o = run_once(NAME, "fixed", seed=0, directed=True).outcome
    assert o.status == "clean", o


def test_naive_conversion_sleeps_in_mutex_lock() -> None:
    o = run_once(NAME, "buggy-naive", seed=0, directed=True).outcome
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.label) == ("INV-RCU-1", "A5")
    assert "mutex_lock" in o.violation.message


@pytest.mark.parametrize("strategy,limit", [("chaos", 500), ("random", 500)])
def test_buggy_found_from_seeds(strategy: str, limit: int) -> None:
    for seed in range(limit):
        o = run_once(NAME, "buggy", seed=seed, strategy=strategy).outcome
        if o.failed:
            assert o.violation is not None and o.violation.oracle == "INV-RCU-1", o
            return
    pytest.fail(f"no violation in {limit} {strategy} seeds")


def test_same_seed_same_trace() -> None:
    a = run_once(NAME, "buggy", seed=5).outcome
    b = run_once(NAME, "buggy", seed=5).outcome
    assert a.trace_hash == b.trace_hash and a.steps == b.steps
