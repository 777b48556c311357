"""002a fault-vs-invalidate2: the 2.6.15 fault maps a page that invalidate_inode_pages2 removed
without moving truncate_count (INV-MAP-1); d00806b18315 locks the page across ->fault and the
pte installation, so invalidate either waits and unmaps, or the fault re-reads."""

from __future__ import annotations

import pytest

from emulator.run.session import run_once
from tests.scenarios.facts.runs import directed_violation, found_from_seeds

NAME = "fault-vs-invalidate2"


def test_directed_buggy_maps_the_invalidated_page() -> None:
    v = directed_violation(NAME, "buggy")
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
    ops = [(d.op, d.label) for d in (e.decode() for e in r.events)]
    # CPU1 found the page mapped under its lock and zapped it before removing it.
    assert ("zap_page_range", "U2a") in ops
    assert ops.index(("zap_page_range", "U2a")) < ops.index(("truncate_complete_page", "I4"))


@pytest.mark.parametrize("strategy", ["pct", "random"])
def test_buggy_found_from_seeds(strategy: str) -> None:
    found_from_seeds(NAME, strategy, 200, ("INV-MAP-1", "INV-INVAL-1"))
