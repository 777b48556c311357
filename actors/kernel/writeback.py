"""Dirtying and writing back file pages: the steps a user scenario of this family needs.

- ``set_page_dirty_lock`` (3.0.1 mm/page-writeback.c:1256): lock_page, set_page_dirty,
  unlock_page. A caller that holds only a GUP reference (direct IO, process_vm_writev,
  get_user_pages for write) must take the page lock: without it truncate may clear
  page->mapping under ->set_page_dirty.
- ``gup_write_and_dirty``: get_user_pages for write, the "DMA" into the page, then
  set_page_dirty_lock and put_page, as 3.0.1 mm/process_vm_access.c / fs/direct-io.c do.
- ``writepage_start`` and the IO completion's ``end_page_writeback`` (an op): the ->writepage
  contract (3.0.1 mm/page-writeback.c write_cache_pages): with the page locked,
  clear_page_dirty_for_io, set_page_writeback, submit, unlock_page; the completion clears
  PG_writeback and wakes the waiters (wait_on_page_writeback).
"""

from __future__ import annotations

from actors.api import K
from actors.kernel.gup import X86_IRQ, gup
from actors.objects import Ref


async def set_page_dirty_lock(k: K, page: Ref) -> None:
    """SD1 lock_page, SD2 set_page_dirty (TestSetPageDirty; the radix-tree tag is not
    modelled), SD3 unlock_page."""
    await k.lock_page("SD1", page)
    await k.set_page_flag("SD2", page, "dirty", 1)
    await k.unlock_page("SD3", page)


async def gup_write_and_dirty(
    k: K, mm: Ref, addr: int, holder: str, fast: str = X86_IRQ
) -> Ref | None:
    """GW1 get_user_pages(write=1) (a write fault breaks COW or runs do_wp_page), GW2 the
    write into the page, then set_page_dirty_lock and put_page (GW3). None: -EFAULT."""
    page = await gup(k, mm, addr, True, holder, fast)
    if page is None:
        return None
    await k.note("GW2", "copy into the pinned page (DMA / copy_to_user of the remote task)")
    await set_page_dirty_lock(k, page)
    await k.put_page("GW3", page, holder)
    return page


async def writepage_start(k: K, page: Ref) -> bool:
    """With the page locked (WB0 lock_page): if it is dirty, WB1 clear_page_dirty_for_io,
    WB2 set_page_writeback, WB3 unlock_page with the IO in flight (another actor completes it
    with ``k.end_page_writeback``). False: the page was clean (unlocked, nothing to do)."""
    await k.lock_page("WB0", page)
    if not await k.page_flag("WB1", page, "dirty"):
        await k.unlock_page("WB1", page)
        return False
    await k.set_page_flag("WB1", page, "dirty", 0)
    await k.set_page_writeback("WB2", page)
    await k.unlock_page("WB3", page)
    return True
