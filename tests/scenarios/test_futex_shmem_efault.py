"""001b futex-shmem-efault: Linus's fixlet returns -EFAULT for a shmem page that reclaim moved
to swap cache under the GUP pin (INV-FUTEX-3); e6780f7243ed retries on PageSwapCache and the
retry's fault swaps the page back in, without tripping INV-LIVE-1."""

from __future__ import annotations

import pytest

from tests.scenarios.futex_checks import directed, first_violation, same_trace_twice

SCEN = "futex-shmem-efault"


def test_directed_buggy_fails_a_swapped_out_page() -> None:
    o = directed(SCEN, "buggy")
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.label) == ("INV-FUTEX-3", "L5")
    assert "swap cache" in o.violation.message


@pytest.mark.parametrize("variant", ["fixed", "v2008", "vtip"])
def test_directed_retrying_variants_are_clean(variant: str) -> None:
    assert directed(SCEN, variant).status == "clean"


def test_chaos_finds_buggy() -> None:
    hit = first_violation(SCEN, "chaos", 200)
    assert hit is not None
    assert hit[1].violation is not None and hit[1].violation.oracle == "INV-FUTEX-3"


def test_determinism() -> None:
    assert same_trace_twice(SCEN, "buggy", 9)
    assert same_trace_twice(SCEN, "fixed", 9)
