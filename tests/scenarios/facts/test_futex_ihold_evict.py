"""001d futex-ihold-evict: the E2011 get_futex_key (2.6.28 - 4.5, e6780f7243ed included) takes
ihold() under the page lock; munmap and the last close between the GUP pin and the lock evict
the inode, eviction's truncate skips the locked page in its trylock pass and sleeps on it in its
lock_page pass, and the ihold resurrects an I_FREEING inode (INV-FUTEX-2). 4.6's
atomic_inc_not_zero refuses it."""

from __future__ import annotations

import pytest

from scenarios.futex.futex_ihold_evict import SCENARIO
from tests.scenarios.facts.runs import build, directed_violation, found_from_seeds, scheduled

SCEN = "futex-ihold-evict"


@pytest.mark.parametrize("variant", ["buggy", "v3.2"])
def test_e2011_code_is_exposed(variant: str) -> None:
    """e6780f7243ed, the FIXED code of 001a/001b, resurrects the inode too."""
    v = directed_violation(SCEN, variant)
    assert (v.oracle, v.label) == ("INV-FUTEX-2", "L6")
    assert "ihold at i_count 0 (I_FREEING)" in v.message


def test_truncate_skips_the_locked_page_then_waits_for_it() -> None:
    """truncate_inode_pages_range's pass 1 trylock fails on the page the futex caller holds
    (3.0.1 mm/truncate.c:243); pass 2 sleeps in lock_page (:286) until CPU0 unlocks."""
    schedule = [("CPU0", "L1"), ("CPU1", "E3"), ("CPU0", "L4"), ("CPU1", "T1f"), ("CPU1", "T2a")]
    r = scheduled(build(SCENARIO, "buggy", {"ihold": "warn"}), schedule)
    steps = [e.decode() for e in r.events]
    assert any((d.label, d.result) == ("T1a", False) for d in steps)
    assert any(d.label == "T2a" and d.status == "parks" for d in steps)


def test_ihold_warn_builds_the_key_on_a_dying_inode() -> None:
    v = directed_violation(SCEN, "buggy", {"ihold": "warn"})
    assert v.oracle == "INV-FUTEX-1"
    assert "I_FREEING" in v.message


def test_truncate_before_the_lock_is_benign() -> None:
    """If eviction's pass 1 takes the page before CPU0 locks it, CPU0 finds no mapping and the
    futex fails with -EFAULT on an unmapped address: allowed."""
    schedule = [("CPU0", "L1"), ("CPU1", "CL9"), ("CPU0", "FW9")]
    r = scheduled(build(SCENARIO, "buggy"), schedule)
    assert r.outcome.status == "clean", r.outcome


def test_chaos_finds_the_resurrection_first() -> None:
    # The catalogue accepts INV-FUTEX-1 too; ihold=strict stops at the resurrection itself.
    found_from_seeds(SCEN, "chaos", 200, ("INV-FUTEX-2",))
