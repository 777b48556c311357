"""000c futex-shmem-swizzle: v1's `PageSwapCache(page)`-only check under the lock returns
-EFAULT for a shmem page that another waiter's fault swapped back in (INV-FUTEX-3); the final
K6 also re-reads page->mapping and retries."""

from __future__ import annotations

import pytest

from emulator.run.session import run_once
from tests.scenarios.facts.runs import directed_violation

SCEN = "futex-shmem-swizzle"


def test_directed_buggy_fails_a_swizzled_page() -> None:
    v = directed_violation(SCEN, "buggy")
    assert (v.oracle, v.label) == ("INV-FUTEX-3", "K8")
    assert "still in" in v.message  # P is back in its mapping


@pytest.mark.parametrize("strategy", ["chaos", "pct", "random"])
def test_buggy_is_clean_with_faithful_reclaim(strategy: str) -> None:
    """With pageout()'s is_page_cache_freeable() the pinned page is never swapped out, so the
    swizzle Peter asked about cannot happen: no seed finds INV-FUTEX-3."""
    for seed in range(150):
        o = run_once(SCEN, "buggy", seed, strategy, options={"reclaim": "faithful"}).outcome
        assert o.status == "clean", (seed, o)
