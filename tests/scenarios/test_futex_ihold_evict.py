"""001d futex-ihold-evict: the E2011 get_futex_key (2.6.28 - 4.5, e6780f7243ed included) takes
ihold() under the page lock; munmap and the last close between the GUP pin and the lock evict
the inode, eviction's truncate skips the locked page in its trylock pass and sleeps on it in its
lock_page pass, and the ihold resurrects an I_FREEING inode (INV-FUTEX-2). 4.6's
atomic_inc_not_zero refuses it."""

from __future__ import annotations

import pytest

from emulator.engine.runtime import RunConfig, run_sync
from emulator.engine.strategies import make_strategy
from scenarios.futex.futex_ihold_evict import SCENARIO
from tests.scenarios.futex_checks import directed, first_violation, fixed_failures

SCEN = "futex-ihold-evict"


@pytest.mark.parametrize("variant", ["buggy", "v3.2"])
def test_e2011_code_is_exposed(variant: str) -> None:
    """e6780f7243ed, the FIXED code of 001a/001b, resurrects the inode too."""
    o = directed(SCEN, variant)
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.label) == ("INV-FUTEX-2", "L6")
    assert "ihold at i_count 0 (I_FREEING)" in o.violation.message


def test_truncate_skips_the_locked_page_then_waits_for_it() -> None:
    """truncate_inode_pages_range's pass 1 trylock fails on the page the futex caller holds
    (3.0.1 mm/truncate.c:243); pass 2 sleeps in lock_page (:286) until CPU0 unlocks."""
    setup = SCENARIO.build("buggy", {"ihold": "warn"})
    schedule = [("CPU0", "L1"), ("CPU1", "E3"), ("CPU0", "L4"), ("CPU1", "T1f"), ("CPU1", "T2a")]
    r = run_sync(
        setup.model, list(setup.actors), RunConfig(make_strategy("chaos", 0), directed=schedule)
    )
    steps = [e.decode() for e in r.events]
    assert any((d.label, d.result) == ("T1a", False) for d in steps)
    assert any(d.label == "T2a" and d.status == "parks" for d in steps)


def test_ihold_warn_builds_the_key_on_a_dying_inode() -> None:
    o = directed(SCEN, "buggy", {"ihold": "warn"})
    assert o.violation is not None and o.violation.oracle == "INV-FUTEX-1", o
    assert "I_FREEING" in o.violation.message


def test_4_6_inc_not_zero_is_clean() -> None:
    assert directed(SCEN, "fixed").status == "clean"


def test_truncate_before_the_lock_is_benign() -> None:
    """If eviction's pass 1 takes the page before CPU0 locks it, CPU0 finds no mapping and the
    futex fails with -EFAULT on an unmapped address: allowed."""
    setup = SCENARIO.build("buggy", SCENARIO.default_options())
    schedule = [("CPU0", "L1"), ("CPU1", "CL9"), ("CPU0", "FW9")]
    r = run_sync(
        setup.model, list(setup.actors), RunConfig(make_strategy("chaos", 0), directed=schedule)
    )
    assert r.outcome.status == "clean", r.outcome


def test_chaos_finds_buggy() -> None:
    hit = first_violation(SCEN, "chaos", 200)
    assert hit is not None and hit[1].violation is not None
    assert hit[1].violation.oracle == "INV-FUTEX-2"


@pytest.mark.parametrize("strategy", ["chaos", "random"])
def test_fixed_clean(strategy: str) -> None:
    assert fixed_failures(SCEN, strategy, 150) == []
