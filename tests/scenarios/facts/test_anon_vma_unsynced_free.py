"""003b (i) anon-vma-unsynced-free: a walker holding only an anon_vma's root lock (validated by a
non-zero refcount) is protected by anon_vma_free syncing on that lock; with the sync ablated the
last put frees the anon_vma under the walker (INV-AV-1)."""

from __future__ import annotations

from emulator.run.session import run_once
from tests.scenarios.facts.runs import directed_violation

NAME = "anon-vma-unsynced-free"


def test_directed_buggy_frees_under_the_lock_holder() -> None:
    v = directed_violation(NAME, "buggy")
    assert (v.oracle, v.actor, v.label) == ("INV-AV-1", "CPU2", "AF4")
    assert "held by CPU0" in v.message


def test_directed_fixed_free_waits_for_the_walker() -> None:
    r = run_once(NAME, "fixed", seed=0, directed=True)
    assert r.outcome.status == "clean", r.outcome
    steps = [e.decode() for e in r.events]
    parked = [(r.actor_names[d.actor], d.label) for d in steps if d.status == "parks"]
    assert ("CPU2", "AF2") in parked  # anon_vma_free slept on the root lock CPU0 held
