"""do_swap_page maps a page whose swap slot was freed and given to another page.

Hugh Dickins, 31c4a3d3a0f8 "mm: further fix swapin race condition" (Cc: stable), completing
Andrea Arcangeli's 4969c1192d15 "mm: fix swapin race condition": after lock_page, checking
PageSwapCache(page) is not enough, "it is further necessary to check that the swapcache page's
swap has not changed". The interleaving is the commit log's, with the kernel's own routines
(Linux 3.0.1; actors/kernel/swap.py, reclaim.py, fault.py):

  A and B are threads of one process (mm1), C its forked parent (mm2); page1 was swapped out
  to swap1 from both and is still in the swap cache.
  1. B faults on the address: orig_pte = swap1, page1 = lookup_swap_cache(swap1) (DS1), and
     does not get to lock_page (DS3) for a long while. The run starts here: B holds its
     reference on page1 (nothing else runs before it in the story).
  2. A write-faults: do_swap_page cannot reuse page1 (swap1 is C's too), maps it read-only,
     swap_free(swap1); do_wp_page copies it: page2 in mm1's pte.
  3. C write-faults: reuse_swap_page succeeds (page1 leaves the swap cache), swap_free frees
     swap1.
  4. kswapd swaps page2 out to swap1 (the free slot) and page1 to swap2; page1 stays in the
     swap cache (B's reference: pageout keeps it).
  5. B locks page1: PageSwapCache, yes; pte_same, yes (mm1's pte holds swap1 again, page2's).
     4969c1192d15 maps page1 (C's data) into mm1: INV-MAP-1. 31c4a3d3a0f8 sees
     page_private(page1) = swap2 != swap1 and backs out.

BUGGY = 4969c1192d15's re-check (PageSwapCache only); FIXED = 31c4a3d3a0f8 (2.6.39 - 5.x, here
3.0.1 mm/memory.c:2936); buggy-none = no re-check at all (before 4969c1192d15).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.fault import handle_mm_fault
from actors.kernel.reclaim import reclaim_page
from actors.kernel.swap import NO_RECHECK, PRIVATE, SWAPCACHE, block_io, do_swap_page_locking
from actors.model import PageCacheModel, lock_options, scenario_options
from actors.model.mm import VmaInfo
from actors.objects import Ref
from emulator.run.scenario import Scenario, Setup

ADDR = 0x7F0000000000
INFO: VmaInfo = ("anon-swap", 1, ADDR, 0, None)
B_HOLDER = "swapin:B"
RECHECK = {"buggy": SWAPCACHE, "buggy-none": NO_RECHECK, "fixed": PRIVATE}

DIRECTED = [
    ("B", "B0"),  # 1. B: orig_pte = swap1, page1 = lookup_swap_cache(swap1) (before the run)
    ("A", "A9"),  # 2. A: swap-in read-only, swap_free, COW: page2 in mm1's pte
    ("C", "C9"),  # 3. C: reuse_swap_page: page1 out of the swap cache, swap1 freed
    ("KSWAPD", "K9"),  # 4. page2 -> swap1, page1 -> swap2 (kept: B's reference)
    ("B", "DS7"),  # 5. B: lock page1, re-check, pte_same, map
]


async def access(k: K, mm: Ref, write: bool) -> None:
    """A user access to ADDR: fault until the pte allows it (handle_mm_fault: do_swap_page,
    then do_wp_page for a write to a read-only pte)."""
    for _ in range(4):
        pte = await k.pte_read("U0", mm, ADDR)
        if pte is not None and (pte[1] or not write):
            break
        await handle_mm_fault(k, mm, INFO, ADDR, write)
    await k.note("U9", "access done")


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(scenario_options("E2011", options))
    mm1, mm2 = model.new_mm(), model.new_mm()
    for mm in (mm1, mm2):
        model.new_vma(mm, ADDR, ADDR + 0x1000, vkind="anon-swap")
    _entry, page1 = model.new_swapped_page(mm1, ADDR, cached=True)
    assert page1 is not None
    model.fork_swap_pte(mm1, mm2, ADDR)
    # Step 1 of the story, before the run: B's lookup_swap_cache(swap1) took a reference.
    page1.f["holders"].append(B_HOLDER)
    page1.f["_refcount"] += 1
    p1 = model.ref(page1)
    r1, r2 = model.ref(mm1), model.ref(mm2)
    recheck = RECHECK[variant]

    async def thread_b(k: K) -> None:
        await k.note("B0", "orig_pte = swap1; page1 = lookup_swap_cache(swap1) (before the run)")
        await do_swap_page_locking(k, r1, ADDR, 1, p1, False, B_HOLDER, recheck)

    # The commit log's "comes in" and "after some time": C writes after A has, and kswapd
    # scans after both (the order the story needs; B's stall is the race).
    a_done = model.ref(model.new("completion", {"done": 0}))
    c_done = model.ref(model.new("completion", {"done": 0}))

    async def thread_a(k: K) -> None:
        await access(k, r1, True)
        await k.complete("A9", a_done)

    async def parent_c(k: K) -> None:
        await k.wait_for_completion("C0", a_done)
        await access(k, r2, True)
        await k.complete("C9", c_done)

    async def kswapd(k: K) -> None:
        await k.wait_for_completion("K0", c_done)
        for mm in (r1, r2):
            pte = await k.pte_read("K1", mm, ADDR)
            if pte is not None:
                await reclaim_page(k, pte[0])
        await k.note("K9", "scan done")

    return Setup(
        model=model,
        actors=[
            actor("A", thread_a),
            actor("B", thread_b),
            actor("C", parent_c),
            actor("KSWAPD", kswapd),
            actor("IO", block_io, daemon=True),
        ],
        directed=DIRECTED,
    )


# What each label does, with the 3.0.1 source line (pcemu show lists them).
LABELS: dict[str, str] = {
    "B0": "B's fault already read orig_pte = swap1 and took page1 = lookup_swap_cache(swap1)",
    "HS0": "handle_pte_fault reads the pte: a swap entry -> do_swap_page (mm/memory.c:3385)",
    "DS1": "lookup_swap_cache(entry) (mm/memory.c:2892, mm/swap_state.c:263)",
    "DS2": "read_swap_cache_async: -EEXIST loops (mm/memory.c:2895, mm/swap_state.c:282, :318)",
    "DS3": "lock_page_or_retry; a GUP fault sleeps in lock_page (mm/memory.c:2923)",
    "DS4": "!PageSwapCache(page) || page_private(page) != entry.val -> out_page (mm/memory.c:2936)",
    "DS5": "pte_offset_map_lock, pte_same(*page_table, orig_pte) (mm/memory.c:2959-2961)",
    "DS6": "reuse_swap_page for a write fault (mm/memory.c:2985, mm/swapfile.c:626)",
    "DS7": "set_pte_at + do_page_add_anon_rmap (mm/memory.c:2992-2993)",
    "DS8": "swap_free(entry) (mm/memory.c:2997, mm/swapfile.c:572)",
    "DS10": "out_nomap / out_page: unlock_page, page_cache_release (mm/memory.c:3030-3036)",
    "WP2": "do_wp_page: trylock the old page (mm/memory.c:2477)",
    "WP7": "do_wp_page: pte_same, the copy replaces the old page (mm/memory.c:2477)",
    "AS1": "add_to_swap: get_swap_page, lowest free slot (mm/swap_state.c:145, swapfile.c:412)",
    "AS2": "add_to_swap_cache: PG_swapcache, page_private = entry (mm/swap_state.c:108)",
    "RC1": "shrink_page_list: trylock_page (mm/vmscan.c:744)",
    "RC4": "try_to_unmap: the pte becomes the swap entry (mm/vmscan.c:813, mm/rmap.c:1170)",
    "PO1": "pageout: is_page_cache_freeable, count 2 (mm/vmscan.c:418, :336); B's pin keeps page1",
    "RC7": "__remove_mapping: page_freeze_refs(page, 2) under tree_lock (mm/vmscan.c:904, :515)",
    "A9": "A's write is done: page2, a copy of page1, is in mm1's pte",
    "C9": "C's write is done: page1 reused in mm2, swap1 freed",
    "K9": "kswapd's scan is done: page2 -> swap1, page1 -> swap2 (kept in the swap cache)",
}

SOURCES: dict[str, str] = {
    "buggy": "4969c1192d15's do_swap_page re-check (!PageSwapCache only) in 3.0.1 mm/memory.c "
    "do_swap_page; reclaim 3.0.1 mm/vmscan.c shrink_page_list; swap map: lowest free slot.",
    "buggy-none": "do_swap_page without any re-check after lock_page (before 4969c1192d15).",
    "fixed": "3.0.1 mm/memory.c:2936 (31c4a3d3a0f8): !PageSwapCache(page) || page_private(page) "
    "!= entry.val; reads from swap complete at once.",
}


SCENARIO = Scenario(
    name="swapin-reused-slot",
    spec_id="swap",  # no section of kernel-scenarios.md: a race of the same family
    thread="31c4a3d3a0f8 commit log, Hugh Dickins, mm: further fix swapin race condition",
    title="do_swap_page maps a page whose swap slot was freed and given to another page",
    era="E2011",
    commits="4969c1192d15 (PageSwapCache re-check) -> 31c4a3d3a0f8 (+ page_private == entry)",
    build=build,
    variants=("buggy", "buggy-none", "fixed"),
    expects={"buggy": ("INV-MAP-1",), "buggy-none": ("INV-MAP-1",), "fixed": ()},
    options=lock_options("E2011"),
    labels=LABELS,
)
