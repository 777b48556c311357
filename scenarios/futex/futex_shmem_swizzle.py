"""000c — the lockless get_futex_key's first swizzle check misses a shmem page that was swapped
out and swapped back in between its lockless read of page->mapping and its look under the lock.

Thread: S000, Peter Zijlstra reviewing Davidlohr Bueso's "lockless futex_get_key()", LKML
2016-01-05. The v1 patch decided under the page lock with `shmem_swizzled = PageSwapCache(page)`
only, after `mapping = READ_ONCE(page->mapping)` had been read without it; Peter: "We've not
re-loaded mapping, so how could this possibly be?". 65d8fc777f6d (v4.6-rc1) re-reads it:
`shmem_swizzled = PageSwapCache(page) || page->mapping`.

CPU0 and CPU1, in two processes that map the same shmem object, both wait (repeatedly, as lock
waiters do) on the process-shared futex in its page P; RECLAIM swaps P out (under the ablation,
a GUP pin does not stop shmem_writepage); the IO actor completes the swap write. Whichever
waiter next faults on the page swaps the same struct page back in (the spec's "CPU1 touches
the page"), while the other may sit between its lockless read of page->mapping (K3) and its
look under the lock (K6).

BUGGY = v1 K6; FIXED = 65d8fc777f6d K6. Oracle: INV-FUTEX-3 (EFAULT for a page that is back in
its mapping).

ABLATION, NOT REACHABLE IN THE KERNEL. Step 2 needs reclaim to swap out a page the waiter has
pinned with GUP. pageout() refuses that page: is_page_cache_freeable() wants page_count == 2,
the cache's and the isolating caller's references (4.4 / 4.9 mm/vmscan.c:495, the same since
2.6). A pin taken after that check finds no pte and faults the page back in through the slow
path. The swizzle Peter asked about follows e6780f7243ed's stated assumption ("whatever the
refcount"); 65d8fc777f6d kept the check defensively. The scenario therefore runs by default with
``reclaim_ignores_pins`` (``-o reclaim=ignores-pins``); ``-o reclaim=faithful`` makes BUGGY clean
(tests/scenarios/facts/test_futex_shmem_swizzle.py pins this).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, Program, actor
from actors.kernel.shmem import IO_ACTOR, RECLAIM_OPTION, kswapd, reclaim_ablated, swap_io
from actors.model import PageCacheModel, lock_options, scenario_options
from actors.objects import Ref
from emulator.run.scenario import Scenario, Setup
from scenarios.futex.futex_lockless import FINAL, V1, futex_wait

PAGE = 4096
UADDR = 0x7F0000000000  # CPU0's mapping of the shmem object
UADDR1 = 0x7E0000000000  # CPU1's mapping of the same object, in another process
WAITS = 4
RECLAIM_PASSES = 1

# The waiters' lockless windows (K5 starts with lock_page's might_sleep, a preemption point),
# and the swap write's latency.
WINDOWS = [("K1", "K3"), ("K3", "K6"), ("IO1", "IO2")]
DIRECTED = [
    ("CPU0", "K1"),  # 1. gup -> P (pin)
    ("RECLAIM", "W4"),  # 2. R1 trylock, R3 unmap, W2 swap cache, W3 P.mapping = NULL, W4 IO ...
    ("IO", "IO2"),  #      ... the IO completes and unlocks P
    ("CPU0", "K3"),  # 3. mapping = READ_ONCE(P.mapping) = NULL
    ("CPU1", "S8"),  # 4. CPU1's gup faults: swap-in puts P back (mapping = M, !swapcache)
    ("CPU0", "K6"),  # 5. lock_page; v1: PageSwapCache(P) is false -> K8 -EFAULT
]


def build(variant: str, options: Mapping[str, str]) -> Setup:
    swizzle = V1 if variant == "buggy" else FINAL
    model = PageCacheModel(
        scenario_options("E2016", options, reclaim_ignores_pins=reclaim_ablated(options))
    )
    inode, mapping = model.new_shmem_file(4 * PAGE)
    page = model.new_shmem_page(mapping, 0)
    mms: list[Ref] = []
    # CPU1's process mapped the object first: reclaim's rmap walk reaches CPU0's pte last.
    for addr in (UADDR1, UADDR):
        mm = model.new_mm()
        vma = model.new_vma(
            mm, addr, addr + 4 * PAGE, vkind="shmem", file=inode.oid, shared=1, writable=1
        )
        mapping.f["i_mmap"].append(vma.oid)
        model.map_initial(mm, addr, page)
        mms.append(model.ref(mm))
    page_ref = model.ref(page)

    def waiter(mm: Ref, uaddr: int) -> Program:
        async def wait_loop(k: K) -> None:
            for _ in range(WAITS):
                if await futex_wait(k, mm, uaddr, swizzle=swizzle) is None:
                    break

        return wait_loop

    async def reclaim(k: K) -> None:
        await kswapd(k, page_ref, RECLAIM_PASSES)

    return Setup(
        model=model,
        actors=[
            actor("CPU0", waiter(mms[1], UADDR)),
            actor("CPU1", waiter(mms[0], UADDR1)),
            actor("RECLAIM", reclaim),
            actor(IO_ACTOR, swap_io, daemon=True),
        ],
        windows=WINDOWS,
        directed=DIRECTED,
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "the v1 lockless patch's K6 (S000), under the ablation reclaim_ignores_pins: "
    "unreachable in the kernel (4.9 mm/vmscan.c:495 is_page_cache_freeable); clean with "
    "-o reclaim=faithful.",
    "fixed": "65d8fc777f6d (kernel/futex.c@0041042de554) K6.",
}


SCENARIO = Scenario(
    name="futex-shmem-swizzle",
    spec_id="000c",
    thread="S000 Peter Zijlstra on lockless futex_get_key() (2016-01-05)",
    title="(ablation: reclaim ignores GUP pins) v1 swizzle check (PageSwapCache only) misses a "
    "shmem page swapped back in",
    era="E2016",
    commits="v1 K6 -> 65d8fc777f6d",
    build=build,
    expects={"buggy": ("INV-FUTEX-3",), "fixed": ()},
    options={"reclaim": RECLAIM_OPTION, **lock_options("E2016")},
)
