"""swapin-reused-slot: with 4969c1192d15's re-check (PageSwapCache only) do_swap_page maps a
page that went back into the swap cache under another entry while its old slot went to another
page; 31c4a3d3a0f8's page_private(page) == entry check backs out (INV-MAP-1 otherwise)."""

from __future__ import annotations

import pytest

from emulator.run.session import run_once
from tests.scenarios.facts.runs import directed_violation

SCEN = "swapin-reused-slot"


@pytest.mark.parametrize("variant", ["buggy", "buggy-none"])
def test_directed_buggy_maps_the_page_of_another_slot(variant: str) -> None:
    v = directed_violation(SCEN, variant)
    assert (v.oracle, v.actor, v.label) == ("INV-MAP-1", "B", "DS7")
    assert "reused" in v.message


def test_directed_fixed_backs_out_at_the_private_recheck() -> None:
    """The same interleaving: page1 is in the swap cache (PageSwapCache passes) but under
    entry 2, so B unlocks and drops it at DS4 and maps nothing."""
    r = run_once(SCEN, "fixed", seed=0, directed=True)
    assert r.outcome.status == "clean", r.outcome
    b = [e.decode() for e in r.events if e.actor == 1]
    checks = [(d.op, d.result) for d in b if d.label == "DS4"]
    assert checks == [("page_flag", 1), ("page_private", 2)]
    assert not any(d.op == "swap_pte_map" for d in b)
