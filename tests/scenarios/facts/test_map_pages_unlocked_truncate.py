"""004b map-pages-unlocked-truncate: RFC patch 4 maps a private page in fault-around without its
lock; truncate removes it between the checks and the pte (INV-MAP-1, INV-EOF-1). 5.9's trylock
makes truncate wait for the pte and unmap it."""

from __future__ import annotations

from emulator.run.session import run_once
from tests.scenarios.facts.runs import directed_violation, found_from_seeds

NAME = "map-pages-unlocked-truncate"


def test_directed_buggy_maps_a_truncated_page() -> None:
    v = directed_violation(NAME, "buggy")
    assert (v.oracle, v.actor, v.label) == ("INV-MAP-1", "CPU0", "M9")
    assert "mapping=None" in v.message


def test_directed_fixed_truncate_waits_for_the_page_lock() -> None:
    r = run_once(NAME, "fixed", seed=0, directed=True)
    assert r.outcome.status == "clean", r.outcome
    steps = [e.decode() for e in r.events]
    parked = [
        (d.op, d.label) for d in steps if d.status == "parks" and r.actor_names[d.actor] == "CPU1"
    ]
    assert ("lock_page", "T2a") in parked


def test_pct_finds_buggy() -> None:
    found_from_seeds(NAME, "pct", 300, ("INV-MAP-1", "INV-EOF-1"))
