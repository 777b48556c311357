"""unmap_mapping_range (U1-U3), truncate_pagecache (T0-T4) and invalidate_inode_pages2 (I1-I6)
as labelled step sequences (kernel-scenarios.md 2.4).

Truncate since d00806b18315 (2.6.23): unmap the hole, remove every page under its lock
(unmapping a page that is still mapped first), then unmap the hole again with even_cows so that
COW copies made meanwhile go too ("even COWed areas must SIGBUS", Hugh 2006). T4 is the return
to the caller: INV-EOF-1 is armed there. invalidate_inode_pages2 never unmaps a range at the
end: a page it removed must not be mapped by the time it returns (INV-INVAL-1, armed at I6).
"""

from __future__ import annotations

from actors.api import K
from actors.kernel.filemap import File, size_pages
from actors.model.mm import PTL
from actors.model.truncate import I_MMAP, Span
from actors.objects import PAGE, Ref


async def unmap_mapping_range(
    k: K, f: File, first: int, last: int | None, even_cows: bool, bump_count: bool = False
) -> None:
    """U1-U3: zap every pte of the file's vmas over file pages [first, last] (None = to the
    end). Without even_cows only ptes of the file's own pages go, private COW copies stay.
    ``bump_count`` is the E2006 truncate_count++ under i_mmap_lock."""
    await k.spin_lock("U1", f.mapping, I_MMAP)
    if bump_count:
        await k.atomic_inc("U1", f.mapping, "truncate_count")
    check = None if even_cows else f.mapping[0]
    for span in await k.trunc_vmas("U2", f.mapping):
        await _zap_span(k, span, first, last, check)
    await k.spin_unlock("U3", f.mapping, I_MMAP)


async def _zap_span(k: K, span: Span, first: int, last: int | None, check: int | None) -> None:
    """U2a: one vma, under its pte lock."""
    mm, start, end, pgoff = span
    lo = max(start, start + (first - pgoff) * PAGE)
    hi = end if last is None else min(end, start + (last + 1 - pgoff) * PAGE)
    if lo >= hi:
        return
    await k.spin_lock("U2a", mm, PTL)
    await k.zap_page_range("U2a", mm, lo, hi, check)
    await k.spin_unlock("U2a", mm, PTL)


async def truncate_pagecache(k: K, f: File, newsize: int) -> None:
    """truncate_setsize + truncate_pagecache (caller holds i_rwsem)."""
    holder = f"truncate:{k.name}"
    await k.begin("T0", "truncate")
    await k.i_size_write("T0", f.inode, newsize)
    first = size_pages(newsize)
    await unmap_mapping_range(k, f, first, None, even_cows=True)  # T1
    await truncate_inode_pages(k, f, first, holder)  # T2
    await unmap_mapping_range(k, f, first, None, even_cows=True)  # T3
    await k.trunc_done("T4", f.mapping, first)
    await k.end("T4", "truncate")


async def truncate_inode_pages(k: K, f: File, first: int, holder: str) -> None:
    """T2a-T2f for every cached page at index >= first: lock_page, T2c wait_on_page_writeback
    (3.0.1 mm/truncate.c:286-292; 5.9.1 truncate_inode_pages_range the same), then remove.
    (The kernel's first pass trylocks and skips locked or writeback pages; its second pass is
    this one, which reaches the same end state.)"""
    index = first
    while (hit := await k.fault_lookup_from("T2a", f.mapping, index, holder)) is not None:
        index, page = hit
        await k.lock_page("T2a", page)
        await k.wait_on_page_writeback("T2c", page)
        m, _anon = await k.page_mapping("T2b", page)
        if m == f.mapping:
            await _remove_mapped(k, f, page, index, "T2d")
            await k.truncate_complete_page("T2e", page, "truncate", False)
        await k.unlock_page("T2f", page)
        await k.put_page("T2f", page, holder)
        index += 1


async def _remove_mapped(k: K, f: File, page: Ref, index: int, label: str) -> None:
    """A locked page that is still mapped is unmapped first (T2d, I3): nobody can map it again
    while we hold its lock, because faults install ptes under the page lock."""
    if await k.page_mapped(label, page):
        await unmap_mapping_range(k, f, index, index, even_cows=False)


async def invalidate_inode_pages2(k: K, f: File, era2006: bool = False) -> bool:
    """I1-I6 over the whole file; False (-EBUSY) if some page could not be removed. The E2006
    form loops on page_mapped() and bumps truncate_count with each unmap (2.6.15)."""
    holder = f"invalidate:{k.name}"
    await k.begin("I0", "invalidate_inode_pages2")
    ok = True
    index = 0
    while (hit := await k.fault_lookup_from("I1", f.mapping, index, holder)) is not None:
        index, page = hit
        await k.lock_page("I1", page)
        m, _anon = await k.page_mapping("I1", page)
        if m == f.mapping:
            if era2006:
                while await k.page_mapped("I3", page):
                    await unmap_mapping_range(k, f, index, index, False, bump_count=True)
            else:
                await _remove_mapped(k, f, page, index, "I3")
            ok = await k.truncate_complete_page("I4", page, "invalidate2", True) and ok
        await k.unlock_page("I5", page)
        await k.put_page("I5", page, holder)
        index += 1
    await k.trunc_invalidate_done("I6", f.mapping, ok)
    await k.end("I6", "invalidate_inode_pages2")
    return ok
