"""003c anon-vma-rcu-sleep: 88c22088bf23 (3.0 - 3.15) drops the last anon_vma reference inside
the RCU read-side section (A9); 3.0's anon_vma_free sleeps there only if a third party holds the
root lock (INV-RCU-1 at AF2). Hugh's 2014 fix leaves the section first. The naive
mutex_lock-under-RCU conversion trips the same oracle at once."""

from __future__ import annotations

from scenarios.anon_vma.anon_vma_rcu_sleep import SCENARIO
from tests.scenarios.facts.runs import build, directed_violation, found_from_seeds, scheduled

NAME = "anon-vma-rcu-sleep"


def test_directed_buggy_sleeps_in_anon_vma_free_under_rcu() -> None:
    v = directed_violation(NAME, "buggy")
    assert v.oracle == "INV-RCU-1"
    assert (v.actor, v.label) == ("CPU0", "AF2")
    assert "mutex_lock" in v.message and "opened at A1" in v.message


def test_last_put_inside_rcu_without_lock_holder_is_clean() -> None:
    """The same interleaving, but the parent's walker does not hold R when CPU0's put frees A:
    3.0's anon_vma_free (no might_sleep() at its top) finds R unlocked and never sleeps."""
    schedule = [("CPU2", "PW1"), ("CPU0", "A8"), ("CPU2", "PW4"), ("CPU1", "X4"), ("CPU0", "AF4")]
    r = scheduled(build(SCENARIO, "buggy"), schedule)
    assert r.outcome.status == "clean", r.outcome
    labels = [e.decode().label for e in r.events]
    assert "AF4" in labels and "AF2" not in labels  # freed inside RCU, without sleeping


def test_naive_conversion_sleeps_in_mutex_lock() -> None:
    v = directed_violation(NAME, "buggy-naive")
    assert (v.oracle, v.label) == ("INV-RCU-1", "A5")
    assert "mutex_lock" in v.message


def test_random_finds_buggy_within_500_seeds() -> None:
    # The catalogue searches BUGGY with chaos only; the race needs a third party holding the
    # root lock at the last put, and the uniform strategy finds it too.
    found_from_seeds(NAME, "random", 500, ("INV-RCU-1",))
