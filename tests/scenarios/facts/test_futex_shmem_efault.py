"""001b futex-shmem-efault: Linus's fixlet returns -EFAULT for a shmem page that reclaim moved
to swap cache under the GUP pin (INV-FUTEX-3); e6780f7243ed retries on PageSwapCache and the
retry's fault swaps the page back in, without tripping INV-LIVE-1."""

from __future__ import annotations

import pytest

from emulator.run.catalog import load
from emulator.run.session import run_once
from tests.scenarios.facts.runs import directed, directed_violation

SCEN = "futex-shmem-efault"


def test_directed_buggy_fails_a_swapped_out_page() -> None:
    v = directed_violation(SCEN, "buggy")
    assert (v.oracle, v.label) == ("INV-FUTEX-3", "L5")
    assert "swap cache" in v.message


@pytest.mark.parametrize("variant", ["v2008", "vtip"])
def test_directed_older_retrying_variants_are_clean(variant: str) -> None:
    assert directed(SCEN, variant).status == "clean"


# -- faithful reclaim: pageout() keeps a pinned page (is_page_cache_freeable) ----------------

FAITHFUL = {"reclaim": "faithful"}


def test_directed_faithful_reclaim_keeps_the_pinned_page() -> None:
    """The spec's schedule with the kernel's pageout() checks: reclaim unmaps P but finds the
    GUP pin at R4 (page_count 3, not 2) and keeps P in its mapping: no swap cache, no EFAULT."""
    r = run_once(SCEN, "buggy", seed=0, directed=True, options=FAITHFUL)
    assert r.outcome.status == "clean", r.outcome
    steps = [e.decode() for e in r.events]
    assert any((d.op, d.label, d.result) == ("reclaim_pageout_ok", "R4", False) for d in steps)
    assert not any(d.op == "add_to_swap_cache" for d in steps)


@pytest.mark.parametrize("strategy", ["chaos", "pct", "random"])
def test_buggy_is_clean_with_faithful_reclaim(strategy: str) -> None:
    """Unreachable in the kernel: with pageout()'s refcount test no seed finds INV-FUTEX-3."""
    for seed in range(150):
        o = run_once(SCEN, "buggy", seed=seed, strategy=strategy, options=FAITHFUL).outcome
        assert o.status == "clean", (seed, o)


def test_ablation_is_the_default() -> None:
    assert load(SCEN).default_options()["reclaim"] == "ignores-pins"
