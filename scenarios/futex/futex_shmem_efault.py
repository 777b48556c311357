"""001b — shmem swap-out under a GUP pin: Linus's "return -EFAULT" fixlet fails a valid futex.

Thread: S001, Hugh Dickins, "Re: [GIT PULL] futex fixlet", LKML 2011-12-30. Linus proposed
replacing 38d47c1b70's `goto again` by `return -EFAULT` for every page without a mapping; Hugh
objected that a shmem page (the common shared-futex case) is moved to swap cache by
shmem_writepage with page->mapping set to NULL "whatever the refcount", so a futex on a perfectly
valid page would fail. e6780f7243ed "futex: Fix uninterruptible loop due to gate_area" (v3.3)
retries exactly when PageSwapCache is set: the retry faults the page back in.

CPU0 does FUTEX_WAIT (repeatedly, as a lock waiter does) on a MAP_SHARED shmem page P; RECLAIM
has isolated P and runs shrink_page_list on it (R1-R7, shmem_writepage W1-W4); the IO actor
completes the swap write and unlocks P.

BUGGY = vlin; FIXED = e6780f7243ed. Extra variants: v2008 and vtip (retry, so correct here but
they loop on the ZERO_PAGE / truncated pages). Oracle: INV-FUTEX-3 (spurious EFAULT); FIXED must
not trip INV-LIVE-1, every retry follows a swap-out by another actor.

ABLATION, NOT REACHABLE IN THE KERNEL. Hugh's objection (and e6780f7243ed's log) assumes that
shmem_writepage moves the page to swap cache "whatever the refcount". It does not: reclaim only
calls it through pageout(), which first requires is_page_cache_freeable(), i.e. page_count == 2
(the cache's reference and the isolating caller's; 3.0.1 mm/vmscan.c:336 and :418, the same in
3.2, 4.9 and 5.9). The futex's GUP pin makes it 3, so the page is kept. A pin taken after the
check finds no pte (try_to_unmap cleared them under the page lock), falls back to the slow path
and faults the page back in. So by default this scenario runs with the model option
``reclaim_ignores_pins`` (scenario option ``reclaim=ignores-pins``): it shows what the commit
log's assumption would mean. With ``-o reclaim=faithful`` every variant is clean
(tests/scenarios/facts/test_futex_shmem_efault.py pins this).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.shmem import IO_ACTOR, RECLAIM_OPTION, kswapd, reclaim_ablated, swap_io
from actors.model import PageCacheModel, lock_options, scenario_options
from emulator.run.scenario import Scenario, Setup
from scenarios.futex.futex_fixlet import FIXED, V2008, VLIN, VTIP, futex_wait

PAGE = 4096
UADDR = 0x7F0000000000
WAITS = 4
RECLAIM_PASSES = 1
L5 = {"buggy": VLIN, "fixed": FIXED, "v2008": V2008, "vtip": VTIP}

WINDOWS = [("L1", "L3")]
DIRECTED = [
    ("CPU0", "L2"),  # 1. gup -> P, pinned (cache + pte + pin)
    ("RECLAIM", "W4"),  # 2. R1 trylock P, R3 unmap, W2 swap cache, W3 P.mapping = NULL, W4 IO
    ("CPU0", "L3"),  # 3. lock_page(P) (its might_sleep; the lock itself waits for the IO) ...
    ("IO", "IO2"),  # 4. ... the swap write completes and unlocks P
    ("CPU0", "L4"),  # 5. lock_page(P) succeeds, P.mapping == NULL -> L5 (vlin: -EFAULT)
]


def build(variant: str, options: Mapping[str, str]) -> Setup:
    l5 = L5[variant]
    model = PageCacheModel(
        scenario_options("E2011", options, reclaim_ignores_pins=reclaim_ablated(options))
    )
    mm = model.new_mm()
    inode, mapping = model.new_shmem_file(4 * PAGE)
    vma = model.new_vma(
        mm, UADDR, UADDR + 4 * PAGE, vkind="shmem", file=inode.oid, shared=1, writable=1
    )
    mapping.f["i_mmap"].append(vma.oid)
    page = model.new_shmem_page(mapping, 0)
    model.map_initial(model.objs[mm.oid], UADDR, page)
    mm_ref, page_ref = model.ref(mm), model.ref(page)

    async def cpu0(k: K) -> None:
        for _ in range(WAITS):
            if await futex_wait(k, mm_ref, UADDR, l5) is None:
                break

    async def reclaim(k: K) -> None:
        await kswapd(k, page_ref, RECLAIM_PASSES)

    return Setup(
        model=model,
        actors=[
            actor("CPU0", cpu0),
            actor("RECLAIM", reclaim),
            actor(IO_ACTOR, swap_io, daemon=True),
        ],
        windows=WINDOWS,
        directed=DIRECTED,
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "Linus's fixlet on 3.2 get_futex_key, under the ablation reclaim_ignores_pins: "
    "unreachable in the kernel (3.0.1 mm/vmscan.c:336/:418 is_page_cache_freeable keeps a "
    "pinned page); with -o reclaim=faithful it is clean.",
    "fixed": "e6780f7243ed (3.2.7 kernel/futex.c).",
    "v2008": "38d47c1b707.",
    "vtip": "ab69f41ef93d.",
}


SCENARIO = Scenario(
    name="futex-shmem-efault",
    spec_id="001b",
    thread="S001 Hugh Dickins, Re: [GIT PULL] futex fixlet (2011-12-30)",
    title="(ablation: reclaim ignores GUP pins) return -EFAULT for !page->mapping fails a futex "
    "on a shmem page being swapped out",
    era="E2011",
    commits="Linus's fixlet (S001) -> e6780f7243ed",
    build=build,
    expects={"buggy": ("INV-FUTEX-3",), "fixed": (), "v2008": (), "vtip": ()},
    variants=("buggy", "fixed", "v2008", "vtip"),
    options={"reclaim": RECLAIM_OPTION, **lock_options("E2011")},
)
