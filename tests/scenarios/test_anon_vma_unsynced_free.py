"""003b (i) anon-vma-unsynced-free: a walker holding only an anon_vma's root lock (validated by a
non-zero refcount) is protected by anon_vma_free syncing on that lock; with the sync ablated the
last put frees the anon_vma under the walker (INV-AV-1)."""

from __future__ import annotations

import msgpack
import pytest

from emulator.run.session import run_once

NAME = "anon-vma-unsynced-free"


def test_directed_buggy_frees_under_the_lock_holder() -> None:
    o = run_once(NAME, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None, o
    v = o.violation
    assert (v.oracle, v.actor, v.label) == ("INV-AV-1", "CPU2", "AF4")
    assert "held by CPU0" in o.violation.message


def test_directed_fixed_free_waits_for_the_walker() -> None:
    r = run_once(NAME, "fixed", seed=0, directed=True)
    assert r.outcome.status == "clean", r.outcome
    parked = [
        (r.actor_names[a], msgpack.unpackb(raw, use_list=False)[4])
        for a, _t, raw, rep in r.events
        if rep == b""
    ]
    assert ("CPU2", "AF2") in parked  # anon_vma_free slept on the root lock CPU0 held


def test_chaos_finds_buggy_within_200_seeds() -> None:
    for seed in range(200):
        o = run_once(NAME, "buggy", seed=seed).outcome
        if o.failed:
            assert o.violation is not None and o.violation.oracle == "INV-AV-1", o
            return
    pytest.fail("no violation in 200 chaos seeds")


def test_same_seed_same_trace() -> None:
    a = run_once(NAME, "buggy", seed=6).outcome
    b = run_once(NAME, "buggy", seed=6).outcome
    assert a.trace_hash == b.trace_hash and a.steps == b.steps
