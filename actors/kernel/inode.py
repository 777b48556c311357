"""close, iput and eviction of an unlinked inode (kernel-scenarios.md 2.4 "iput", E1-E5)."""

from __future__ import annotations

from actors.api import K
from actors.kernel.lookup import find_get_page
from actors.objects import Ref


async def close_file(k: K, inode: Ref) -> None:
    """close() of the last file descriptor: fput -> dput -> iput of the file's reference."""
    await k.begin("CL0", "close")
    await iput(k, inode)
    await k.end("CL9", "close")


async def iput(k: K, inode: Ref) -> None:
    """iput: the last reference to an unlinked inode evicts it (E1-E5)."""
    if await k.inode_iput_dec("E1", inode) != 0:
        return
    if not await k.iput_final("E3", inode):
        return
    await evict(k, inode)


async def evict(k: K, inode: Ref) -> None:
    mapping: Ref = await k.read("E4", inode, "i_mapping")
    await truncate_inode_pages_final(k, mapping)
    await k.destroy_inode("E5", inode)


async def truncate_inode_pages_final(k: K, mapping: Ref) -> None:
    """E4: truncate_inode_pages_range over the whole file, in its two passes (3.0.1
    mm/truncate.c:209; 4.4 and 4.9 the same): pass 1 takes each page with trylock_page and
    skips a locked one (T1a, :243), pass 2 sleeps on lock_page for whatever is left (T2a,
    :286). truncate_complete_page removes a page only if it is still this mapping's. Nothing
    maps the file any more (the last vma pinned the inode), so no unmapping is needed."""
    holder = f"evict:{k.name}"
    for index in await k.inode_cache_indices("E4", mapping):
        page = await find_get_page(k, mapping, index, holder)
        if page is None:
            continue
        if await k.trylock_page("T1a", page):
            await _remove_if_ours(k, mapping, page, "T1")
            await k.unlock_page("T1f", page)
        await k.put_page("T1f", page, holder)
    for index in await k.inode_cache_indices("E4", mapping):
        page = await find_get_page(k, mapping, index, holder)
        if page is None:
            continue
        await k.lock_page("T2a", page)
        await _remove_if_ours(k, mapping, page, "T2")
        await k.unlock_page("T2f", page)
        await k.put_page("T2f", page, holder)


async def _remove_if_ours(k: K, mapping: Ref, page: Ref, p: str) -> None:
    m, _anon = await k.page_mapping(f"{p}b", page)
    if m == mapping:
        await k.cache_remove(f"{p}e", page, "evict")
