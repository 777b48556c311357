"""Page reclaim of one isolated page, Linux 3.0.1 mm/vmscan.c shrink_page_list (:720), for
anonymous pages (into swap) and file pages (dirty ones written back first), ending in
__remove_mapping's refcount freeze (RC0-RC8, PO1-PO4, SW1-SW3).

What keeps a page that somebody still uses: trylock_page (RC1), PG_writeback (RC2: the async
pass skips it), the unmap (RC4: a pte left means SWAP_AGAIN), pageout's is_page_cache_freeable
(PO1: count == 2, the cache's and the isolation's; a GUP pin makes it 3), and last
page_freeze_refs(page, 2) under the tree lock (RC7), which a speculative reference taken after
the earlier checks makes fail. A dirty page is never freed: pageout cleans it and starts IO
(the page goes back under writeback); a later pass frees it when the IO has completed.

Model choices: reclaim is asynchronous (no RECLAIM_MODE_SYNC waits); page_check_references
and buffer heads are not modelled. The block layer actor (actors/kernel/swap.py block_io)
completes the writes.
"""

from __future__ import annotations

from actors.api import K
from actors.kernel.shmem import unmap_file_ptes
from actors.kernel.swap import add_to_swap
from actors.model.mm import PTL
from actors.objects import Ref

FREED, KEEP, KEEP_LOCKED = "freed", "keep", "keep_locked"


async def reclaim_page(k: K, page: Ref, passes: int = 1) -> int:
    """Memory pressure finds ``page`` on the LRU ``passes`` times: each time RC0 isolates it
    (__isolate_lru_page's get_page_unless_zero, 3.0.1 mm/vmscan.c:1004) and shrink_page_list
    works on it. The number of passes that freed it (0 or 1)."""
    holder = f"isolate:{k.name}"
    freed = 0
    for _ in range(passes):
        if freed or not await k.get_page_unless_zero("RC0", page, holder):
            break
        freed += await shrink_page_list(k, page, holder)
    return freed


async def shrink_page_list(k: K, page: Ref, holder: str) -> bool:
    """shrink_page_list for one page the caller isolated (its reference ``holder``). True:
    freed; False: put back (RC8: keep_locked unlocks, keep drops the isolation reference)."""
    await k.begin("RC0", "shrink_page_list")
    res = await _shrink(k, page, holder)
    if res == KEEP_LOCKED:
        await k.unlock_page("RC8", page)
    if res != FREED:
        await k.put_page("RC8", page, holder)  # putback_lru_page
    await k.end("RC8", "shrink_page_list")
    return res == FREED


async def _shrink(k: K, page: Ref, holder: str) -> str:
    if not await k.trylock_page("RC1", page):  # :744
        return KEEP
    if await k.page_flag("RC2", page, "writeback"):  # :765, the asynchronous pass
        await k.unlock_page("RC2", page)
        return KEEP
    _mapping, anon = await k.page_mapping("RC3", page)
    if anon and not await k.page_flag("RC3", page, "swapcache"):  # :800
        await add_to_swap(k, page)
    if await k.page_mapped("RC4", page) and not await try_to_unmap(k, page, bool(anon)):
        return KEEP_LOCKED  # :813 SWAP_AGAIN
    if await k.page_flag("RC5", page, "dirty"):  # :825
        if not await pageout(k, page, bool(anon)):
            return KEEP_LOCKED  # PAGE_KEEP
        # PAGE_SUCCESS (:841): the page was unlocked for the write
        if await k.page_flag("RC6", page, "writeback") or await k.page_flag("RC6", page, "dirty"):
            return KEEP
        if not await k.trylock_page("RC6", page):
            return KEEP
        if await k.page_flag("RC6", page, "dirty") or await k.page_flag("RC6", page, "writeback"):
            return KEEP_LOCKED
    if not await k.reclaim_remove_mapping("RC7", page, holder):  # :904
        return KEEP_LOCKED
    return FREED


async def try_to_unmap(k: K, page: Ref, anon: bool) -> bool:
    """try_to_unmap (3.0.1 mm/rmap.c:1599): every pte that maps the page, each under its pte
    lock; an anonymous page's pte becomes its swap entry (try_to_unmap_one, :1170). True:
    SWAP_SUCCESS (no pte left)."""
    if anon:
        for mm, addr in await k.anon_rmap("RC4", page):
            await k.spin_lock("RC4", mm, PTL)
            await k.set_swap_pte("RC4", mm, addr, page)
            await k.spin_unlock("RC4", mm, PTL)
    else:
        await unmap_file_ptes(k, page, "RC4")
    return not await k.page_mapped("RC4", page)


async def pageout(k: K, page: Ref, anon: bool) -> bool:
    """pageout (3.0.1 mm/vmscan.c:399) of a dirty, locked page: PO1 is_page_cache_freeable
    (:418) or PAGE_KEEP (False); PO2 clear_page_dirty_for_io (:439); ->writepage (:450):
    swap_writepage for an anonymous page, else a block filesystem's writepage (PO3
    set_page_writeback, PO4 unlock_page and submit_bio). True: PAGE_SUCCESS (unlocked)."""
    if not await k.is_page_cache_freeable("PO1", page):
        return False
    await k.set_page_flag("PO2", page, "dirty", 0)
    if anon:
        await swap_writepage(k, page)
    else:
        await k.set_page_writeback("PO3", page)
        await k.unlock_page("PO4", page)
        await k.submit_bio("PO4", page)
    return True


async def swap_writepage(k: K, page: Ref) -> None:
    """swap_writepage (3.0.1 mm/page_io.c:92): SW1 try_to_free_swap (no swap pte left: the
    page leaves the swap cache, dirty again, and is unlocked); else SW2 set_page_writeback,
    SW3 unlock_page and submit_bio."""
    if await k.try_to_free_swap("SW1", page):
        await k.unlock_page("SW1", page)
        return
    await k.set_page_writeback("SW2", page)
    await k.unlock_page("SW3", page)
    await k.submit_bio("SW3", page)
