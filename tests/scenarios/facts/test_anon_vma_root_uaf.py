"""003d anon-vma-root-uaf: 3.0's __put_anon_vma frees the root first and anon_vma_free then
reads anon_vma->root (INV-UAF-2 under typesafe_uaf); 624483f3ea82's order is clean (the
catalogue's FIXED sweep). No race: every strategy's run trips it at the same place."""

from __future__ import annotations

import pytest

from emulator.run.session import run_once

NAME = "anon-vma-root-uaf"


@pytest.mark.parametrize("strategy", ["chaos", "pct", "random"])
def test_root_first_reads_the_freed_root(strategy: str) -> None:
    o = run_once(NAME, "buggy", seed=3, strategy=strategy).outcome
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.actor, o.violation.label) == (
        "INV-UAF-2",
        "CPU1",
        "AF1",
    )
    assert "no RCU read-side section" in o.violation.message
