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
    """E4: truncate every cached page (T2a-T2f under the page lock). Nothing maps the file
    any more (the last vma pinned the inode), so no unmapping is needed."""
    holder = f"evict:{k.name}"
    for index in await k.inode_cache_indices("E4", mapping):
        page = await find_get_page(k, mapping, index, holder)
        if page is None:
            continue
        await k.lock_page("T2a", page)
        m, _anon = await k.page_mapping("T2b", page)
        if m == mapping:
            await k.cache_remove("T2e", page, "evict")
        await k.unlock_page("T2f", page)
        await k.put_page("T2f", page, holder)
