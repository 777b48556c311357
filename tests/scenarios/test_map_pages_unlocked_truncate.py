"""004b map-pages-unlocked-truncate: RFC patch 4 maps a private page in fault-around without its
lock; truncate removes it between the checks and the pte (INV-MAP-1, INV-EOF-1). 5.9's trylock
makes truncate wait for the pte and unmap it."""

from __future__ import annotations

import msgpack
import pytest

from emulator.run.session import run_once

NAME = "map-pages-unlocked-truncate"


def test_directed_buggy_maps_a_truncated_page() -> None:
    o = run_once(NAME, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.actor, o.violation.label) == ("INV-MAP-1", "CPU0", "M9")
    assert "mapping=None" in o.violation.message


def test_directed_fixed_truncate_waits_for_the_page_lock() -> None:
    r = run_once(NAME, "fixed", seed=0, directed=True)
    assert r.outcome.status == "clean", r.outcome
    parked = [
        msgpack.unpackb(raw, use_list=False)[3:5]
        for a, _t, raw, rep in r.events
        if rep == b"" and r.actor_names[a] == "CPU1"
    ]
    assert ("lock_page", "T2a") in parked


@pytest.mark.parametrize("strategy", ["chaos", "pct"])
def test_buggy_found_from_seeds(strategy: str) -> None:
    for seed in range(300):
        o = run_once(NAME, "buggy", seed=seed, strategy=strategy).outcome
        if o.failed:
            assert o.violation is not None, o
            assert o.violation.oracle in ("INV-MAP-1", "INV-EOF-1"), o
            return
    pytest.fail(f"no violation in 300 {strategy} seeds")


def test_same_seed_same_trace() -> None:
    a = run_once(NAME, "buggy", seed=9).outcome
    b = run_once(NAME, "buggy", seed=9).outcome
    assert a.trace_hash == b.trace_hash and a.steps == b.steps
