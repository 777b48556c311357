"""Anonymous swap on the actor side, as Linux 3.0.1 does it: add_to_swap (AS1-AS3),
do_swap_page with its re-checks (DS0-DS10), the zap of a pte, present or swap (ZS1-ZS3), and
the block layer's IO actor (BIO1-BIO2).

A slot freed and reused is what do_swap_page's re-checks are for. Between the fault's read of
the swap pte (orig_pte) and lock_page, another thread may fault the page in, free the slot
(reuse_swap_page or try_to_free_swap, then swap_free), and the slot may be handed to another
page whose swap pte lands at the same address. pte_same alone then passes; only the check that
the locked page is still in the swap cache *for that entry* (3.0.1 mm/memory.c:2936:
``!PageSwapCache(page) || page_private(page) != entry.val``) stops the fault from mapping the
old page (INV-MAP-1, actors/model/swap.py). That check came in two steps, and ``recheck``
gives each: NO_RECHECK (before 4969c1192d15 "mm: fix swapin race condition"), SWAPCACHE
(4969c1192d15: ``!PageSwapCache(page)`` only, which misses a page that went back into the swap
cache under another entry) and PRIVATE (31c4a3d3a0f8 "mm: further fix swapin race condition",
Hugh Dickins, as in 2.6.39 - 5.x).

The model's side is actors/model/swap.py; reclaim, which puts pages into swap, is
actors/kernel/reclaim.py.
"""

from __future__ import annotations

from actors.api import K
from actors.model.mm import PTL
from actors.objects import Ref

NO_RECHECK, SWAPCACHE, PRIVATE = "none", "swapcache", "private"


async def add_to_swap(k: K, page: Ref) -> int:
    """add_to_swap (3.0.1 mm/swap_state.c:145), page locked: AS1 get_swap_page, AS2
    add_to_swap_cache (PG_swapcache, page_private = entry, the cache's reference), AS3
    SetPageDirty (the slot holds nothing yet). The entry (swap never runs out here)."""
    entry = await k.get_swap_page("AS1", page)
    await k.add_to_swap_cache("AS2", page, entry)
    await k.set_page_flag("AS3", page, "dirty", 1)
    return entry


async def do_swap_page(
    k: K,
    mm: Ref,
    addr: int,
    orig: int,
    write: bool,
    recheck: str = PRIVATE,
    swap_full: bool = False,
) -> bool:
    """do_swap_page (3.0.1 mm/memory.c:2863) for the swap entry ``orig`` read from the pte
    without its lock. DS1 lookup_swap_cache (:2892), else DS2 read_swap_cache_async (:2895;
    None: the entry was freed, back out if the pte changed); DS3 lock_page (:2923); DS4 the
    page must still be in the swap cache for ``orig`` (:2936; ``recheck`` above); DS5
    pte_same under the pte lock (:2960); DS6 reuse_swap_page for a write (:2985: the page
    leaves the swap cache when this is its only user); DS7 set_pte_at +
    do_page_add_anon_rmap (:2992); DS8 swap_free (:2997) and, when swap is full
    (``swap_full``), try_to_free_swap; DS9 unlock_page, pte unlock. DS10: out_nomap /
    out_page / out_release. A write fault whose page is shared stays read-only here; the
    access faults again into do_wp_page (3.0 calls it at once). True: handled (the access is
    retried); False: VM_FAULT_OOM."""
    holder = f"swapin:{k.name}"
    await k.begin("DS0", "do_swap_page")
    page = await k.lookup_swap_cache("DS1", orig, holder)
    if page is None:
        page = await read_swap_cache_async(k, orig, holder)
        if page is None:
            await k.spin_lock("DS2", mm, PTL)
            same = await k.pte_swap_entry("DS2", mm, addr) == orig
            await k.spin_unlock("DS2", mm, PTL)
            await k.end("DS9", "do_swap_page")
            return not same
    res = await do_swap_page_locking(k, mm, addr, orig, page, write, holder, recheck, swap_full)
    await k.end("DS9", "do_swap_page")
    return res


async def do_swap_page_locking(
    k: K,
    mm: Ref,
    addr: int,
    orig: int,
    page: Ref,
    write: bool,
    holder: str,
    recheck: str = PRIVATE,
    swap_full: bool = False,
) -> bool:
    """do_swap_page from lock_page on (DS3-DS10), for ``page`` that the fault looked up for
    ``orig`` (its reference held by ``holder``): a run may start with a fault already there."""
    await k.lock_page("DS3", page)
    if recheck != NO_RECHECK:
        if not await k.page_flag("DS4", page, "swapcache"):
            return await _out_page(k, page, holder)
        if recheck == PRIVATE and await k.page_private("DS4", page) != orig:
            return await _out_page(k, page, holder)
    await k.spin_lock("DS5", mm, PTL)
    if await k.pte_swap_entry("DS5", mm, addr) != orig:
        await k.spin_unlock("DS10", mm, PTL)  # out_nomap
        return await _out_page(k, page, holder)
    writable = 1 if write and await k.reuse_swap_page("DS6", page) else 0
    await k.swap_pte_map("DS7", mm, addr, orig, page, writable, holder)
    await k.swap_free("DS8", orig)
    if swap_full:
        await k.try_to_free_swap("DS8", page)
    await k.unlock_page("DS9", page)
    await k.spin_unlock("DS9", mm, PTL)
    return True


async def read_swap_cache_async(k: K, entry: int, holder: str) -> Ref | None:
    """read_swap_cache_async (3.0.1 mm/swap_state.c:282): DS2 until the entry's page is found
    or read in (a reference for ``holder``), or the entry is found freed (None). -EEXIST from
    swapcache_prepare ("seems racy", :318) means another task is adding a page for the entry
    to the swap cache: loop."""
    while True:
        what, page = await k.read_swap_cache_async("DS2", entry, holder)
        if what != "busy":
            return page
        await k.retry("DS2", "swapcache_prepare: -EEXIST")


async def _out_page(k: K, page: Ref, holder: str) -> bool:
    """out_page: unlock_page; out_release: page_cache_release (3.0.1 mm/memory.c:3030-3036)."""
    await k.unlock_page("DS10", page)
    await k.put_page("DS10", page, holder)
    return True


async def zap_pte(k: K, mm: Ref, addr: int) -> None:
    """munmap / MADV_DONTNEED of one anonymous address (3.0.1 mm/memory.c zap_pte_range:1107):
    ZS1 under the pte lock, a present pte is zapped; a swap pte is cleared and its swap count
    dropped (:1194, mm/swapfile.c free_swap_and_cache:686), and if only the swap cache still
    holds the entry, its page was trylocked: ZS2 not under writeback and not mapped elsewhere
    -> delete_from_swap_cache and SetPageDirty; ZS3 unlock_page and page_cache_release."""
    holder = f"zap:{k.name}"
    await k.spin_lock("ZS1", mm, PTL)
    page = None
    if await k.pte_read("ZS1", mm, addr) is not None:
        await k.pte_zap("ZS1", mm, addr)
    else:
        page = await k.zap_swap_pte("ZS1", mm, addr, holder)
    await k.spin_unlock("ZS1", mm, PTL)
    if page is None:
        return
    if (
        await k.page_flag("ZS2", page, "swapcache")
        and not await k.page_flag("ZS2", page, "writeback")
        and not await k.page_mapped("ZS2", page)
    ):
        await k.delete_from_swap_cache("ZS2", page)
        await k.set_page_flag("ZS2", page, "dirty", 1)
    await k.unlock_page("ZS3", page)
    await k.put_page("ZS3", page, holder)


async def block_io(k: K) -> None:
    """The block layer (a daemon actor): completes write bios in submission order,
    end_page_writeback for each (3.0.1 mm/page_io.c:43 end_swap_bio_write; a file's
    end_buffer_async_write does the same for ->writepage)."""
    while True:
        page = await k.bio_wait("BIO1")
        await k.end_page_writeback("BIO2", page)
