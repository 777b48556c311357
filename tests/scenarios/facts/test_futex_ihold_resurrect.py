"""000b futex-ihold-resurrect: an ihold on the lockless path brings an inode whose eviction has
begun back to i_count 1 (INV-FUTEX-2); with ihold=warn the run goes on until the key outlives
its inode (INV-FUTEX-1). atomic_inc_not_zero (65d8fc777f6d) refuses."""

from __future__ import annotations

from tests.scenarios.facts.runs import directed, directed_violation, found_from_seeds

SCEN = "futex-ihold-resurrect"
WARN = {"ihold": "warn"}


def test_directed_buggy_resurrects() -> None:
    v = directed_violation(SCEN, "buggy")
    assert (v.oracle, v.label) == ("INV-FUTEX-2", "K13")
    assert "I_FREEING" in v.message


def test_directed_buggy_onward_key_outlives_inode() -> None:
    assert directed_violation(SCEN, "buggy", WARN).oracle == "INV-FUTEX-1"


def test_directed_fixed_is_clean_with_ihold_warn() -> None:
    assert directed(SCEN, "fixed", WARN).status == "clean"


def test_chaos_finds_the_resurrection_first() -> None:
    # The catalogue accepts the later symptoms too; ihold=strict stops at the resurrection.
    found_from_seeds(SCEN, "chaos", 200, ("INV-FUTEX-2",))


def test_chaos_finds_buggy_onward() -> None:
    found_from_seeds(SCEN, "chaos", 200, ("INV-FUTEX-1", "INV-UAF-2"), options=WARN)
