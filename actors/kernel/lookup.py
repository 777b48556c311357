"""Page-cache lookups as labelled step sequences (kernel-scenarios.md 2.4): find_get_page (P1-P5,
the lockless E2011+ form) and find_lock_page (P6, P7).

Shared by the fault paths, shmem swap-in, drop_caches and inode eviction.
"""

from __future__ import annotations

from actors.api import K
from actors.objects import Ref


async def find_get_page(k: K, mapping: Ref, index: int, holder: str) -> Ref | None:
    """Lockless lookup: RCU, speculative reference, re-check the slot (e286781d5f2e)."""
    while True:
        await k.rcu_read_lock("P1")
        page = await k.tree_load("P1", mapping, index)
        if page is None:
            await k.rcu_read_unlock("P2")
            return None
        if not await k.get_page_unless_zero("P3", page, holder):
            await k.rcu_read_unlock("P3")
            await k.retry("P3", "page freed under lookup")
            continue
        again = await k.tree_load("P4", mapping, index)
        if again is None or again[0] != page[0]:  # a pointer compare (page != *pagep)
            await k.put_page("P4", page, holder)
            await k.rcu_read_unlock("P4")
            await k.retry("P4", "slot changed under lookup")
            continue
        # The same struct page, maybe freed and reused into this very slot meanwhile: a hit,
        # and our reference is on it in its present life.
        await k.rcu_read_unlock("P5")
        return again


async def find_lock_page(k: K, mapping: Ref, index: int, holder: str) -> Ref | None:
    """find_get_page, lock_page, then re-check page->mapping: a page truncated or swapped out
    while we slept on its lock is dropped and the lookup repeated."""
    while True:
        page = await find_get_page(k, mapping, index, holder)
        if page is None:
            return None
        await k.lock_page("P6", page)
        m, _anon = await k.page_mapping("P7", page)
        if m == mapping:
            return page
        await k.unlock_page("P7", page)
        await k.put_page("P7", page, holder)
        await k.retry("P7", "page left the mapping while we waited for its lock")
