"""004d — do_cow_fault unlocks the source page before finish_fault, racing truncate.

Thread: S004, Linus Torvalds, "Some more lock_page work" (2020-10-13), RFC patch 3: do_cow_fault
unlocks the file page right after copying it, before finish_fault maps the copy. Hugh Dickins
(2006-01-11, Pine.LNX.4.61.0601111949070): the source page must stay locked and tested when
deciding to insert a COWed copy, "even COWed areas must SIGBUS"; d00806b18315 gave truncate its
second, even_cows unmap for exactly that. Derived scenario: patch 3 was not merged; mainline
do_cow_fault still unlocks the source page only after finish_fault (FIXED).

Actors: CPU0 = a write fault in process X on a MAP_PRIVATE mapping of F at index 1
(do_cow_fault); CPU1 = truncate(F, 4096), so index 1 is beyond the new EOF.

BUGGY: CPU0 passes FF1-FF6, copies P into C and unlocks P; truncate runs whole (T1 and T3 find
no pte, T2 removes P) and returns; CPU0 maps C at index 1: INV-EOF-1. FIXED: truncate's T2a
waits for P's lock, which CPU0 drops only after C is mapped, so T3 (even_cows) zaps C before
truncate returns.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.fault import do_cow_fault
from actors.kernel.filemap import File, Vma, file_view, filemap_fault, finish_fault, vma_view
from actors.kernel.truncate import truncate_pagecache
from actors.model import PageCacheModel, lock_options, scenario_options
from actors.objects import ANON
from emulator.run.scenario import Scenario, Setup

MAP = 0x400000
NPAGES = 2


async def do_cow_fault_rfc(k: K, f: File, v: Vma, addr: int) -> bool:
    """RFC patch 3: as mainline, but unlock_page(src) moves before finish_fault."""
    holder, cow_holder = f"fault:{k.name}", f"cow:{k.name}"
    await k.begin("C0", "do_cow_fault")
    cow = await k.alloc_page("C1", ANON, cow_holder)
    page = await filemap_fault(k, f, v.index(addr), holder)
    if page is None:
        await k.put_page("C1", cow, cow_holder)
        await k.end("C5", "do_cow_fault")
        return False
    await k.note("C2", "copy_user_highpage(cow, page)")
    await k.unlock_page("C3", page)  # too early: nothing holds truncate off any more
    installed = await finish_fault(k, v.mm, addr, cow, cow_holder, writable=1, anon_vma=v.anon_vma)
    await k.put_page("C4", page, holder)
    if not installed:
        await k.put_page("C4", cow, cow_holder)
    await k.end("C5", "do_cow_fault")
    return True


DIRECTED = {
    # 1. CPU0 FF1-FF6 pass, copy P -> C, unlock P (C3). 2. CPU1 T0-T3 remove P, find no pte;
    # truncate returns (T4). 3. CPU0 FS1-FS5 maps C at index 1, beyond EOF.
    "buggy": [("CPU0", "C3"), ("CPU1", "T4"), ("CPU0", "FS4")],
    # Same moment in mainline: P is still locked after the copy, so CPU1 parks at T2a.
    "fixed": [("CPU0", "C2"), ("CPU1", "T4"), ("CPU0", "FS4")],
}


def build(variant: str, options: Mapping[str, str]) -> Setup:
    fixed = variant == "fixed"
    model = PageCacheModel(scenario_options("E2020", options))
    inode, mapping = model.new_file(size=NPAGES * 4096)
    for index in range(NPAGES):
        model.cache_file_page(mapping, index)
    mm = model.new_mm()
    av = model.new_anon_vma()  # anon_vma_prepare already done for this private vma
    vma = model.new_file_vma(mm, inode, MAP, NPAGES, shared=False, anon_vma=av)
    model.objs[av].f["chain"] = (vma.oid,)
    f, v = file_view(model, inode), vma_view(model, vma)
    addr = v.addr(1)

    async def fault(k: K) -> None:
        await (do_cow_fault if fixed else do_cow_fault_rfc)(k, f, v, addr)

    async def truncate(k: K) -> None:
        await truncate_pagecache(k, f, 4096)

    return Setup(
        model=model,
        actors=[actor("CPU0", fault), actor("CPU1", truncate)],
        windows=[("FF6", "FS1")],
        directed=DIRECTED["fixed" if fixed else "buggy"],
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "RFC patch 3 of 'Some more lock_page work' (2020-10-13, not merged), on 5.9.1 "
    "mm/memory.c do_cow_fault and mm/truncate.c. Derived scenario.",
    "fixed": "5.9.1 do_cow_fault (source unlocked after finish_fault).",
}


SCENARIO = Scenario(
    name="cow-early-unlock-truncate",
    spec_id="004d",
    thread="S004 Linus Torvalds, Some more lock_page work (2020-10-13), RFC patch 3; Hugh 2006",
    title="COW fault unlocks its source page before mapping the copy; truncate slips in",
    era="E2020",
    commits="RFC patch 3 (not merged, derived) -> mainline do_cow_fault",
    build=build,
    expects={"buggy": ("INV-EOF-1",), "fixed": ()},
    options=lock_options("E2020"),
)
