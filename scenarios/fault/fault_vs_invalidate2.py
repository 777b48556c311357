"""002a — a fault maps a page that invalidate_inode_pages2 has just removed.

Thread: S002, Andrea Arcangeli / Andrew Morton / Nick Piggin on invalidate_inode_pages2 vs
do_no_page (LKML 2006-01-11; earlier Andrea 20051213211441: truncate_count cannot express
invalidation, which does not change i_size). Fixed by d00806b18315 "mm: fix fault vs invalidate
race for linear mappings" (Nick Piggin, v2.6.23): "dangling (->mapping == NULL) pages ... may be
mapped into userspace with nonsense data. Valid mappings to the same place will see a different
page".

BUGGY (E2006, 2.6.15): do_no_page snapshots truncate_count (N1), ->nopage returns the page
referenced but unlocked (O1-O4), and the pte goes in under the pte lock if truncate_count did
not move (N4-N7). invalidate_inode_pages2 only bumps truncate_count when it has something to
unmap: a page found unmapped (I3) is removed without any signal to the fault in flight.
FIXED (E2007, d00806b18315): ->fault returns the page locked after re-checking page->mapping
(FF1-FF6), the pte goes in before the unlock (FS1-FS5), and invalidate unmaps a page it finds
mapped under that same lock.

Actors: CPU0 = read fault in process X on a MAP_SHARED mapping of F (NFS) at index 0; CPU1 =
invalidate_inode_pages2(F) (attribute revalidation, or an O_DIRECT write). The spec's optional
CPU2 reader, who would read the fresh page from the server, only illustrates the damage and is
left out: INV-MAP-1 / INV-INVAL-1 already fire when X maps the dangling page.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.fault import do_read_fault
from actors.kernel.filemap import (
    File,
    Vma,
    file_view,
    page_cache_read,
    size_pages,
    sync_readpage,
    vma_view,
)
from actors.kernel.truncate import invalidate_inode_pages2
from actors.model import PageCacheModel, lock_options, scenario_options
from actors.model.mm import PTL
from actors.objects import Ref
from emulator.run.scenario import Scenario, Setup

MAP = 0x200000


async def filemap_nopage_2006(k: K, f: File, index: int, holder: str) -> Ref | None:
    """O1-O4: the page, referenced but NOT locked; None = SIGBUS."""
    if index >= size_pages(await k.i_size_read("O1", f.inode)):
        return None
    while True:
        page = await k.fault_lookup("O2", f.mapping, index, holder)  # under read_lock(tree_lock)
        if page is None:
            await page_cache_read(k, f, index, sync_readpage)
            continue
        if await k.page_flag("O3", page, "uptodate"):
            return page
        await k.lock_page("O3", page)  # page_not_uptodate: read it under the lock
        m, _anon = await k.page_mapping("O3", page)
        if m != f.mapping:
            await k.unlock_page("O3", page)
            await k.put_page("O3", page, holder)
            continue
        await sync_readpage(k, page)
        return page


async def do_no_page_2006(k: K, f: File, v: Vma, addr: int) -> bool:
    """N1-N7: the truncate_count seqcount check is the only protection against removal."""
    holder = f"fault:{k.name}"
    await k.begin("N0", "do_no_page")
    seq = await k.read("N1", f.mapping, "truncate_count")
    while True:
        page = await filemap_nopage_2006(k, f, v.index(addr), holder)  # N2
        if page is None:
            break
        await k.spin_lock("N4", v.mm, PTL)
        now = await k.read("N5", f.mapping, "truncate_count")
        if now != seq:
            await k.spin_unlock("N5", v.mm, PTL)
            await k.put_page("N5", page, holder)
            seq = now
            await k.retry("N5", "truncate_count moved")
            continue
        installed = await k.pte_install("N6", v.mm, addr, page, 0, holder)
        await k.spin_unlock("N7", v.mm, PTL)
        if not installed:
            await k.put_page("N7", page, holder)
        break
    await k.end("N7", "do_no_page")
    return page is not None


DIRECTED = {
    # 1-2. CPU0 N1 seq = 5; O1/O2 finds P (unlocked, referenced), O3 uptodate -> returns it.
    # 3-4. CPU1 I1 locks P, I3 sees it unmapped (truncate_count stays 5), I4 removes it, I5
    #      unlocks, I6 returns success.
    # 5.   CPU0 N4-N6: 5 == 5 -> the pte maps P, which is in no page cache.
    "buggy": [("CPU0", "O3"), ("CPU1", "I6"), ("CPU0", "N6")],
    # Step 2 becomes find_lock_page: CPU0 holds P's lock (FF3), so CPU1 parks at I1 until the
    # pte is in and P unlocked; then I3 sees P mapped and unmaps it before I4.
    "fixed": [("CPU0", "FF3"), ("CPU1", "I6"), ("CPU0", "FS4")],
}


def build(variant: str, options: Mapping[str, str]) -> Setup:
    fixed = variant == "fixed"
    model = PageCacheModel(scenario_options("E2006", options))
    inode, mapping = model.new_file(size=4096)
    mapping.f["truncate_count"] = 5
    model.cache_file_page(mapping, 0)
    mm = model.new_mm()
    vma = model.new_file_vma(mm, inode, MAP, 1, shared=True)
    f, v = file_view(model, inode), vma_view(model, vma)

    async def fault(k: K) -> None:
        if fixed:
            await do_read_fault(k, f, v, MAP)
        else:
            await do_no_page_2006(k, f, v, MAP)

    async def invalidate(k: K) -> None:
        await invalidate_inode_pages2(k, f, era2006=not fixed)

    return Setup(
        model=model,
        actors=[actor("CPU0", fault), actor("CPU1", invalidate)],
        windows=[("O2", "N6"), ("FF2a", "FS4")],
        directed=DIRECTED["fixed" if fixed else "buggy"],
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "2.6.15 mm/memory.c do_no_page with truncate_count and mm/truncate.c "
    "invalidate_inode_pages2 (E2006).",
    "fixed": "d00806b18315 (2.6.23) __do_fault / filemap_fault; filemap_fault waits for "
    "->readpage and returns SIGBUS on -EIO (3ef0f720e47e).",
}


SCENARIO = Scenario(
    name="fault-vs-invalidate2",
    spec_id="002a",
    thread="S002 Arcangeli / Morton / Piggin on invalidate_inode_pages2 vs do_no_page (2006-01-11)",
    title="a fault maps the page invalidate_inode_pages2 just removed",
    era="E2006",
    commits="2.6.15 do_no_page + invalidate_inode_pages2 -> d00806b18315",
    build=build,
    expects={"buggy": ("INV-MAP-1", "INV-INVAL-1"), "fixed": ()},
    options=lock_options("E2006"),
)
