"""003c anon-vma-rcu-sleep: 88c22088bf23 drops the last anon_vma reference inside the RCU
read-side section (A9) and anon_vma_free may sleep (INV-RCU-1); Hugh's 2014 fix leaves the
section first. The naive mutex_lock-under-RCU conversion trips the same oracle at once."""

from __future__ import annotations

import pytest

from emulator.run.session import run_once

NAME = "anon-vma-rcu-sleep"


def test_directed_buggy_sleeps_in_anon_vma_free_under_rcu() -> None:
    o = run_once(NAME, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None, o
    assert o.violation.oracle == "INV-RCU-1"
    assert (o.violation.actor, o.violation.label) == ("CPU0", "AF0")
    assert "opened at A1" in o.violation.message


def test_directed_fixed_is_clean() -> None:
    o = run_once(NAME, "fixed", seed=0, directed=True).outcome
    assert o.status == "clean", o


def test_naive_conversion_sleeps_in_mutex_lock() -> None:
    o = run_once(NAME, "buggy-naive", seed=0, directed=True).outcome
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.label) == ("INV-RCU-1", "A5")
    assert "mutex_lock" in o.violation.message


@pytest.mark.parametrize("strategy,limit", [("chaos", 200), ("random", 500)])
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
