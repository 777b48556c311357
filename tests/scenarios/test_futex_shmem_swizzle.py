"""000c futex-shmem-swizzle: v1's `PageSwapCache(page)`-only check under the lock returns
-EFAULT for a shmem page that another waiter's fault swapped back in (INV-FUTEX-3); the final
K6 also re-reads page->mapping and retries."""

from __future__ import annotations

import pytest

from tests.scenarios.futex_checks import directed, first_violation, same_trace_twice

SCEN = "futex-shmem-swizzle"


def test_directed_buggy_fails_a_swizzled_page() -> None:
    o = directed(SCEN, "buggy")
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.label) == ("INV-FUTEX-3", "K8")
    assert "still in" in o.violation.message  # P is back in its mapping


def test_directed_fixed_is_clean() -> None:
    assert directed(SCEN, "fixed").status == "clean"


def test_chaos_finds_buggy() -> None:
    hit = first_violation(SCEN, "chaos", 200)
    assert hit is not None
    assert hit[1].violation is not None and hit[1].violation.oracle == "INV-FUTEX-3"


def test_determinism() -> None:
    assert same_trace_twice(SCEN, "buggy", 3)
    assert same_trace_twice(SCEN, "fixed", 3)


@pytest.mark.parametrize("strategy", ["chaos", "pct", "random"])
def test_buggy_is_clean_with_faithful_reclaim(strategy: str) -> None:
    """With pageout()'s is_page_cache_freeable() the pinned page is never swapped out, so the
    swizzle Peter asked about cannot happen: no seed finds INV-FUTEX-3."""
    from emulator.run.session import run_once

    for seed in range(150):
        o = run_once(
            "futex-shmem-swizzle",
            "buggy",
            seed=seed,
            strategy=strategy,
            options={"reclaim": "faithful"},
        ).outcome
        assert o.status == "clean", (seed, o)
