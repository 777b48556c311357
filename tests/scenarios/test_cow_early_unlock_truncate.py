"""004d cow-early-unlock-truncate: RFC patch 3 unlocks the COW source page before finish_fault,
so a whole truncate fits in between and the copy is mapped beyond EOF (INV-EOF-1). Mainline
keeps the page locked, and truncate's final even_cows unmap removes the copy."""

from __future__ import annotations

import msgpack
import pytest

from emulator.run.session import run_once

NAME = "cow-early-unlock-truncate"


def test_directed_buggy_maps_the_copy_beyond_eof() -> None:
    o = run_once(NAME, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None, o
    v = o.violation
    assert (v.oracle, v.actor, v.label) == ("INV-EOF-1", "CPU0", "FS4")
    assert "index 1, size 4096" in v.message and "ANON" in v.message


def test_directed_fixed_even_cows_unmap_removes_the_copy() -> None:
    r = run_once(NAME, "fixed", seed=0, directed=True)
    assert r.outcome.status == "clean", r.outcome
    zapped = [
        msgpack.unpackb(raw, use_list=False)[4]
        for _a, _t, raw, rep in r.events
        if msgpack.unpackb(raw, use_list=False)[3] == "zap_page_range"
        and msgpack.unpackb(rep, use_list=False)[1] == 1
    ]
    assert zapped == ["U2a"]  # exactly one pte (the COW copy) went, in T3


@pytest.mark.parametrize("strategy", ["chaos", "pct"])
def test_buggy_found_from_seeds(strategy: str) -> None:
    for seed in range(200):
        o = run_once(NAME, "buggy", seed=seed, strategy=strategy).outcome
        if o.failed:
            assert o.violation is not None and o.violation.oracle == "INV-EOF-1", o
            return
    pytest.fail(f"no violation in 200 {strategy} seeds")


def test_same_seed_same_trace() -> None:
    a = run_once(NAME, "buggy", seed=4).outcome
    b = run_once(NAME, "buggy", seed=4).outcome
    assert a.trace_hash == b.trace_hash and a.steps == b.steps
