"""004b — filemap_map_pages without the page lock on a private mapping vs truncate.

Thread: S004, Linus Torvalds, "Some more lock_page work" (2020-10-13), RFC patch 4: fault-around
skips the trylock for private, non-compound mappings (after a PageLocked check and a racy
mapping / i_size re-check). Kirill A. Shutemov (20201014130555): "we can end up with a page with
->mapping == NULL set up in a PTE ... The "page->mapping != mapping" check makes the race window
smaller, but doesn't remove it"; Linus agreed. Never merged: mainline (5.9 and later) keeps the
trylock in filemap_map_pages (M6), which is the FIXED variant.

Actors: CPU0 = a read fault with fault-around in process X on a MAP_PRIVATE, read-only mapping
of F; CPU1 = truncate(F, 0) (T0-T4). P = page 0 is the first page fault-around maps, so CPU0
does not hold X's pte lock yet when truncate's unmaps run (otherwise T3 would wait for it and
zap the new pte, leaving only the transient INV-MAP-1).

BUGGY: CPU0 checks P (M7/M8) unlocked; truncate sets i_size, finds P unmapped, removes it and
returns; CPU0 then maps P, which is in no page cache and beyond EOF (INV-MAP-1, INV-EOF-1).
FIXED: CPU0 holds P's lock from M6 to M10, so truncate's T2a waits and T2d finds P mapped; if
truncate locks P first, CPU0's trylock fails (skip) or M7 sees mapping == NULL (skip).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.fault import do_read_fault
from actors.kernel.filemap import LockStep, Vma, file_view, trylock_step, vma_view
from actors.kernel.truncate import truncate_pagecache
from actors.model import PageCacheModel, lock_options, scenario_options
from actors.objects import Ref
from emulator.run.scenario import Scenario, Setup

MAP = 0x300000
NPAGES = 2


async def rfc_lock_step(k: K, page: Ref, v: Vma) -> bool | None:
    """RFC patch 4: skip a page that is locked right now (M4), but only lock pages of shared
    mappings (M6); a private mapping's page is mapped with no lock held."""
    if await k.page_locked("M4", page):
        return False
    if v.shared:
        return await k.trylock_page("M6", page)
    return None


def build(variant: str, options: Mapping[str, str]) -> Setup:
    lock_step: LockStep = trylock_step if variant == "fixed" else rfc_lock_step
    model = PageCacheModel(scenario_options("E2020", options))
    inode, mapping = model.new_file(size=NPAGES * 4096)
    for index in range(NPAGES):
        model.cache_file_page(mapping, index)
    mm = model.new_mm()
    vma = model.new_file_vma(mm, inode, MAP, NPAGES, shared=False, writable=0)
    f, v = file_view(model, inode), vma_view(model, vma)

    async def fault(k: K) -> None:
        await do_read_fault(k, f, v, MAP, around=(0, NPAGES - 1), lock_step=lock_step)

    async def truncate(k: K) -> None:
        await truncate_pagecache(k, f, 0)

    return Setup(
        model=model,
        actors=[actor("CPU0", fault), actor("CPU1", truncate)],
        windows=[("M8", "M9")],
        directed=[
            ("CPU0", "M8"),  # 1-2. P found, referenced, uptodate; mapping and i_size pass
            ("CPU1", "T4"),  # 3. i_size := 0, unmap (no pte), lock P, not mapped, remove; return
            ("CPU0", "M9"),  # 4. CPU0 takes the pte lock: pte none -> maps P
        ],
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "RFC patch 4 of 'Some more lock_page work' (2020-10-13, not merged) on 5.9.1 "
    "mm/filemap.c filemap_map_pages.",
    "fixed": "5.9.1 mm/filemap.c filemap_map_pages (trylock at M6).",
}


SCENARIO = Scenario(
    name="map-pages-unlocked-truncate",
    spec_id="004b",
    thread="S004 Linus Torvalds, Some more lock_page work (2020-10-13), RFC patch 4; Kirill",
    title="fault-around maps a private page without its lock while truncate removes it",
    era="E2020",
    commits="RFC patch 4 (not merged) -> 5.9 filemap_map_pages trylock",
    build=build,
    expects={"buggy": ("INV-MAP-1", "INV-EOF-1"), "fixed": ()},
    options=lock_options("E2020"),
)
