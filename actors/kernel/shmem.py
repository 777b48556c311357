"""shmem and reclaim on the actor side (kernel-scenarios.md 1.7, 2.4): shmem_fault and its
swap-in (S1-S8), kswapd's shrink_page_list over one page (R0-R7) with shmem_writepage (W1-W4),
drop_caches' invalidate_mapping_pages (D0-D5), and the IO actor that completes swap writes.

The model's side (what each step does, the swap cache, INV-REF-4) is actors/model/shmem.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K
from actors.kernel.filemap import finish_fault
from actors.kernel.lookup import find_get_page
from actors.model.mm import PTL, VmaInfo
from actors.objects import PAGE, Ref

IO_ACTOR = "IO"


async def shmem_fault(k: K, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """shmem_fault -> shmem_getpage: find the page, or swap it back in (the same struct page:
    "swizzled"), then install the pte (finish_fault) and unlock."""
    _kind, writable, start, pgoff, inode = info
    assert inode is not None
    mapping: Ref = await k.read("S0", inode, "i_mapping")
    index = pgoff + (addr - start) // PAGE
    holder = f"fault:{k.name}"
    page = await shmem_getpage(k, mapping, index, holder)
    if page is None:
        return False
    await finish_fault(k, mm, addr, page, holder, writable=writable, put_if_lost=True)
    await k.unlock_page("S8", page)
    return True


async def shmem_getpage(k: K, mapping: Ref, index: int, holder: str) -> Ref | None:
    """The page at ``index``, locked and referenced by ``holder``; None for a hole."""
    while True:
        kind, what = await k.find_get_entry("S1", mapping, index)
        if kind == "none":
            return None  # holes are not modelled: the scenarios' shmem files are populated
        if kind == "page":
            page = await _lock_cached(k, mapping, index, what, holder)
        else:
            page = await _swap_in(k, mapping, index, int(what), holder)
        if page is not None:
            return page
        await k.retry("S1", "shmem slot changed under us")


async def _lock_cached(k: K, mapping: Ref, index: int, page: Ref, holder: str) -> Ref | None:
    """find_lock_entry for a page in the cache: lock it and re-check that it is still there
    (reclaim may have moved it to swap cache while we slept on the lock)."""
    if not await k.get_page_unless_zero("S1", page, holder):
        return None
    await k.lock_page("S3", page)
    m, _anon = await k.page_mapping("S4", page)
    if m == mapping:
        return page
    await k.unlock_page("S4", page)
    await k.put_page("S4", page, holder)
    return None


async def _swap_in(k: K, mapping: Ref, index: int, entry: int, holder: str) -> Ref | None:
    page = await k.lookup_swap_cache("S2", entry, holder)
    if page is None:
        return None  # somebody swapped it in meanwhile: look at the slot again
    await k.lock_page("S3", page)
    if not await k.swap_confirm("S4", page, mapping, index):
        await k.unlock_page("S4", page)
        await k.put_page("S4", page, holder)
        return None
    await k.shmem_add_to_page_cache("S6", page, mapping, index)
    await k.delete_from_swap_cache("S7", page)
    return page


async def kswapd(k: K, page: Ref, passes: int = 1, unmap_only: bool = False) -> None:
    """Memory pressure: reclaim scans the LRU ``passes`` times and finds the page each time
    (isolate_lru_page takes a reference), then shrink_page_list works on it."""
    holder = f"isolate:{k.name}"
    for _ in range(passes):
        if await k.get_page_unless_zero("R0", page, holder):
            await shrink_page(k, page, unmap_only)


async def shrink_page(k: K, page: Ref, unmap_only: bool = False) -> None:
    """shrink_page_list on one page reclaim isolated (reference "isolate:<name>"): R1 trylock,
    R3 try_to_unmap, R4 pageout through shmem_writepage (W1-W4, the IO actor unlocks), R6
    unlock unless IO owns the lock, put back. A page already in swap cache (or being written)
    is left alone. ``unmap_only`` stops after R3 (the page was clean, or reclaim gave up on
    it): 001c's reclaim. Reclaim makes one pass: a swapped-out page stays in swap cache until
    swap-in takes it back (a second pass, __remove_mapping from swap cache, is reclaim.py's
    shrink_page_list, for anonymous and file pages; its freeze fails on a pinned page)."""
    holder = f"isolate:{k.name}"
    await k.begin("R0", "shrink_page_list")
    if await k.trylock_page("R1", page):
        if await try_to_unmap(k, page) and not unmap_only:
            await shmem_writepage(k, page)
        else:
            await k.unlock_page("R6", page)
    await k.put_page("R6", page, holder)
    await k.end("R7", "shrink_page_list")


async def try_to_unmap(k: K, page: Ref) -> bool:
    """R3: zap every pte that maps the page (each under its pte lock). True if the page may
    be paged out: no pte is left and it is not already in swap cache (a page that an earlier
    pass swapped out waits there for swap-in)."""
    if await k.page_mapped("R3", page):
        await unmap_file_ptes(k, page, "R3")
    return await k.reclaim_pageout_ok("R4", page)


async def unmap_file_ptes(k: K, page: Ref, label: str) -> None:
    """try_to_unmap_file (3.0.1 mm/rmap.c): zap every pte of the file's vmas that maps the
    page, each under its pte lock (try_to_unmap_one)."""
    for mm, addr in await k.reclaim_rmap(label, page):
        await k.spin_lock(label, mm, PTL)
        pte = await k.pte_read(label, mm, addr)
        if pte is not None and pte[0][0] == page[0]:
            await k.pte_zap(label, mm, addr)
        await k.spin_unlock(label, mm, PTL)


async def shmem_writepage(k: K, page: Ref) -> None:
    entry = await k.get_swap_page("W1", page)
    await k.add_to_swap_cache("W2", page, entry)
    await k.shmem_swap_out("W3", page)
    await k.swap_writepage("W4", page)


async def drop_caches(k: K, mapping: Ref, freeze: bool = True) -> None:
    """echo 1 > /proc/sys/vm/drop_caches on one file: invalidate_mapping_pages (D1-D4)."""
    holder = f"lookup:{k.name}"
    await k.begin("D0", "invalidate_mapping_pages")
    for index in await k.inode_cache_indices("D0", mapping):
        page = await find_get_page(k, mapping, index, holder)
        if page is None:
            continue
        if await k.trylock_page("D1", page):
            if await k.drop_invalidatable("D2", page, mapping):
                await k.remove_mapping("D3", page, holder, freeze)
            await k.unlock_page("D4", page)
        await k.put_page("D4", page, holder)
    await k.end("D5", "invalidate_mapping_pages")


async def swap_io(k: K) -> None:
    """The block layer (actor ``IO_ACTOR``): completes swap writes in submission order."""
    while True:
        page = await k.swap_io_wait("IO1")
        await k.swap_io_done("IO2", page)


# The scenario option of 001b and 000c: their bad interleavings need reclaim to swap out a page
# a GUP pin holds, which pageout()'s is_page_cache_freeable() forbids in every era. First =
# default: the scenarios run as a labelled ablation unless ``-o reclaim=faithful``.
RECLAIM_OPTION = ("ignores-pins", "faithful")


def reclaim_ablated(options: Mapping[str, str]) -> bool:
    return options.get("reclaim", RECLAIM_OPTION[0]) == "ignores-pins"
