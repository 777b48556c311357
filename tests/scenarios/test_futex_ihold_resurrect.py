"""000b futex-ihold-resurrect: an ihold on the lockless path brings an inode whose eviction has
begun back to i_count 1 (INV-FUTEX-2); with ihold=warn the run goes on until the key outlives
its inode (INV-FUTEX-1). atomic_inc_not_zero (65d8fc777f6d) refuses."""

from __future__ import annotations

import pytest

from tests.scenarios.futex_checks import directed, first_violation, same_trace_twice

SCEN = "futex-ihold-resurrect"
WARN = {"ihold": "warn"}


def test_directed_buggy_resurrects() -> None:
    o = directed(SCEN, "buggy")
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.label) == ("INV-FUTEX-2", "K13")
    assert "I_FREEING" in o.violation.message


def test_directed_buggy_onward_key_outlives_inode() -> None:
    o = directed(SCEN, "buggy", WARN)
    assert o.violation is not None, o
    assert o.violation.oracle == "INV-FUTEX-1"


@pytest.mark.parametrize("options", [None, WARN])
def test_directed_fixed_is_clean(options: dict[str, str] | None) -> None:
    assert directed(SCEN, "fixed", options).status == "clean"


def test_chaos_finds_buggy() -> None:
    hit = first_violation(SCEN, "chaos", 200)
    assert hit is not None
    assert hit[1].violation is not None and hit[1].violation.oracle == "INV-FUTEX-2"


def test_chaos_finds_buggy_onward() -> None:
    hit = first_violation(SCEN, "chaos", 200, WARN)
    assert hit is not None
    assert hit[1].violation is not None
    assert hit[1].violation.oracle in ("INV-FUTEX-1", "INV-UAF-2")


def test_determinism() -> None:
    assert same_trace_twice(SCEN, "buggy", 5)
    assert same_trace_twice(SCEN, "fixed", 5)
