"""002a fault-vs-invalidate2: the 2.6.15 fault maps a page that invalidate_inode_pages2 removed
without moving truncate_count (INV-MAP-1); d00806b18315 locks the page across ->fault and the
pte installation, so invalidate either waits and unmaps, or the fault re-reads."""

from __future__ import annotations

import msgpack
import pytest

from emulator.run.session import run_once

NAME = "fault-vs-invalidate2"


def test_directed_buggy_maps_the_invalidated_page() -> None:
    o = run_once(NAME, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None, o
    v = o.violation
    assert (v.oracle, v.actor, v.label) == ("INV-INVAL-1", "CPU0", "N6")
    assert "mapping=None" in v.message and "invalidate_inode_pages2 returned" in v.message


def test_seeds_also_map_before_invalidate_returns() -> None:
    """Mapped before I6, the dangling pte is INV-MAP-1 (at the pte, or at the removal of a page
    the fault mapped between I3 and I4)."""
    oracles = set()
    for seed in range(120):
        o = run_once(NAME, "buggy", seed=seed).outcome
        if o.violation is not None:
            oracles.add(o.violation.oracle)
    assert oracles == {"INV-MAP-1", "INV-INVAL-1"}


def test_directed_fixed_is_clean_and_invalidate_waited_for_the_fault() -> None:
    r = run_once(NAME, "fixed", seed=0, directed=True)
    assert r.outcome.status == "clean", r.outcome
    ops = [msgpack.unpackb(raw, use_list=False)[3:5] for _a, _t, raw, _rep in r.events]
    # CPU1 found the page mapped under its lock and zapped it before removing it.
    assert ("zap_page_range", "U2a") in ops
    assert ops.index(("zap_page_range", "U2a")) < ops.index(("truncate_complete_page", "I4"))


@pytest.mark.parametrize("strategy", ["chaos", "pct", "random"])
def test_buggy_found_from_seeds(strategy: str) -> None:
    for seed in range(200):
        o = run_once(NAME, "buggy", seed=seed, strategy=strategy).outcome
        if o.failed:
            assert o.violation is not None, o
            assert o.violation.oracle in ("INV-MAP-1", "INV-INVAL-1"), o
            return
    pytest.fail(f"no violation in 200 {strategy} seeds")


def test_same_seed_same_trace() -> None:
    a = run_once(NAME, "fixed", seed=3).outcome
    b = run_once(NAME, "fixed", seed=3).outcome
    assert a.trace_hash == b.trace_hash and a.steps == b.steps
