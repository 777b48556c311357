"""The actor API for the page cache and truncation (actors/model/pagecache.py, truncate.py): one
awaitable per op, each one step."""

from __future__ import annotations

from actors.api.base import Api
from actors.model.truncate import Span
from actors.objects import Ref

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class PageCacheApi(Api):
    __slots__ = ()

    # -- cache (actors/model/pagecache.py) ---------------------------------------------------------
    async def tree_load(self, label: str, mapping: Ref, index: int) -> Ref | None:
        """radix_tree_lookup_slot + radix_tree_deref_slot / xas_load: a lockless slot read."""
        r: Ref | None = await self.port.call("tree_load", label, mapping, index)
        return r

    async def fault_lookup(self, label: str, mapping: Ref, index: int, holder: str) -> Ref | None:
        """find_get_page of 2.6.x: one step under read_lock(&mapping->tree_lock)."""
        r: Ref | None = await self.port.call("fault_lookup", label, mapping, index, holder)
        return r

    async def fault_lookup_from(
        self, label: str, mapping: Ref, start: int, holder: str
    ) -> tuple[int, Ref] | None:
        """find_get_pages from an index (pagevec_lookup), one page."""
        r: tuple[int, Ref] | None = await self.port.call(
            "fault_lookup_from", label, mapping, start, holder
        )
        return r

    async def inode_cache_indices(self, label: str, mapping: Ref) -> tuple[int, ...]:
        """The indices of the cached pages (pagevec_lookup over the mapping)."""
        r: tuple[int, ...] = await self.port.call("inode_cache_indices", label, mapping)
        return r

    async def add_to_page_cache_locked(
        self, label: str, mapping: Ref, index: int, holder: str
    ) -> Ref | None:
        """page_cache_alloc + add_to_page_cache_locked (mm/filemap.c): new, locked, not uptodate."""
        r: Ref | None = await self.port.call(
            "add_to_page_cache_locked", label, mapping, index, holder
        )
        return r

    async def add_to_page_cache_lru(
        self, label: str, mapping: Ref, index: int, holder: str
    ) -> Ref | None:
        """page_cache_alloc + add_to_page_cache_lru + a read that completes at once."""
        r: Ref | None = await self.port.call("add_to_page_cache_lru", label, mapping, index, holder)
        return r

    async def delete_from_page_cache(self, label: str, page: Ref) -> None:
        """__delete_from_page_cache (3.0.1 mm/filemap.c:118): page locked, tree lock."""
        await self.port.call("delete_from_page_cache", label, page)

    async def cache_remove(self, label: str, page: Ref, reason: str) -> None:
        """__delete_from_page_cache by truncate, eviction or invalidation (remembers why)."""
        await self.port.call("cache_remove", label, page, reason)

    # -- truncate (actors/model/truncate.py) -------------------------------------------------------
    async def i_size_read(self, label: str, inode: Ref) -> int:
        """i_size_read (include/linux/fs.h)."""
        return int(await self.port.call("i_size_read", label, inode))

    async def i_size_write(self, label: str, inode: Ref, size: int) -> None:
        """i_size_write (truncate_setsize)."""
        await self.port.call("i_size_write", label, inode, size)

    async def trunc_vmas(self, label: str, mapping: Ref) -> tuple[Span, ...]:
        """vma_prio_tree / interval tree walk of mapping->i_mmap under i_mmap_lock."""
        r: tuple[Span, ...] = await self.port.call("trunc_vmas", label, mapping)
        return r

    async def zap_page_range(
        self, label: str, mm: Ref, start: int, end: int, check_mapping: int | None
    ) -> int:
        """zap_page_range / unmap_mapping_range_vma over one vma span (mm/memory.c)."""
        return int(await self.port.call("zap_page_range", label, mm, start, end, check_mapping))

    async def truncate_complete_page(
        self, label: str, page: Ref, why: str, fail_if_dirty: bool
    ) -> bool:
        """truncate_complete_page (3.0.1 mm/truncate.c:100): -EIO if page->mapping changed."""
        return bool(await self.port.call("truncate_complete_page", label, page, why, fail_if_dirty))

    async def trunc_done(self, label: str, mapping: Ref, first: int) -> None:
        """truncate_pagecache's return: INV-EOF-1 is armed (d00806b18315's guarantee)."""
        await self.port.call("trunc_done", label, mapping, first)

    async def trunc_invalidate_done(self, label: str, mapping: Ref, ok: bool) -> None:
        """invalidate_inode_pages2's return: INV-INVAL-1 is armed."""
        await self.port.call("trunc_invalidate_done", label, mapping, ok)
