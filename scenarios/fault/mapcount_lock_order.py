"""004c — Linus's ordered-mapcount proposal without its full barriers.

Thread: S004, Linus Torvalds on "[RFC PATCH] mm: move lock_page out of the fault path"
(CAHk-=wjXBv0Z..., LKML 2020-10-14): under the pte lock, check the page is not locked,
increment the mapcount "(atomic and ordered)", check again that it is not locked, then insert
the pte; truncation/invalidation holds the page lock and finds mapped pages through the
mapcount. Linus flagged exactly what must be right: the ordering "between testing the page lock
initially, incrementing the count, and re-testing". Never merged (derived, kernel-scenarios.md
004c).

herd7 on the litmus cores (litmus/scenarios/pcemu-004c-*.litmus): without barriers, Sometimes;
with the full barrier on the mapping side only, still Sometimes (lock_page is only an acquire:
its store can be seen after the invalidator's mapcount read); with full barriers on both sides,
Never. BUGGY = atomic_inc (void: unordered); BUGGY-MAPPER-MB = atomic_inc +
smp_mb__after_atomic only; FIXED = that and smp_mb__after_spinlock() after lock_page.

Actors: CPU0 = fault-around (filemap_map_pages as Linus proposed it) on page P of a shared
mapping; CPU1 = invalidate_inode_pages2 (lock_page, page_mapped, delete). page->_mapcount is a
weak location; PG_locked is the page lock's lock word. Bad run (WEAK only): CPU0 sees P unlocked,
CPU1 sees it unmapped and deletes it; CPU0's pte maps a page that is in no page cache
(INV-MAP-1 / INV-INVAL-1).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.filemap import File, Vma, file_view, size_pages, vma_view
from actors.kernel.truncate import unmap_mapping_range
from actors.model import ModelOptions, PageCacheModel
from actors.model.mm import PTL
from emulator.run.scenario import Scenario, Setup

MAP = 0x200000


async def map_pages_ordered(k: K, f: File, v: Vma, addr: int, mb: bool) -> None:
    """M0-M2 lookup with a speculative reference, then Linus's N1-N6 under the pte lock."""
    holder = f"fault:{k.name}"
    index = v.index(addr)
    await k.begin("M0", "filemap_map_pages")
    page = await k.fault_lookup("M2", f.mapping, index, holder)
    if page is None:
        await k.end("M0", "filemap_map_pages")
        return
    await k.spin_lock("N1", v.mm, PTL)
    mapped = False
    if not await k.page_locked("N2", page):
        await k.atomic_inc("N3", page, "_mapcount")  # page_add_file_rmap first
        if mb:
            await k.smp_mb__after_atomic("N3a")
        if (
            await k.page_locked("N4", page)
            or (await k.page_mapping("N4", page))[0] != f.mapping
            or index >= size_pages(await k.i_size_read("N4", f.inode))
        ):
            await k.atomic_dec("N4", page, "_mapcount")  # back out
        else:
            mapped = await k.set_pte_at("N5", v.mm, addr, page, holder)
    await k.spin_unlock("N6", v.mm, PTL)
    if not mapped:
        await k.put_page("N6", page, holder)
    await k.end("N6", "filemap_map_pages")


async def invalidate_inode_pages2(k: K, f: File, mb: bool) -> None:
    """I1-I6 (E2020) on the file: lock_page, page_mapped -> unmap, delete, unlock."""
    holder = f"invalidate:{k.name}"
    await k.begin("I0", "invalidate_inode_pages2")
    ok = True
    index = 0
    while (hit := await k.fault_lookup_from("I1", f.mapping, index, holder)) is not None:
        index, page = hit
        await k.lock_page("I1", page)
        if mb:
            await k.smp_mb__after_spinlock("I1a")
        m, _anon = await k.page_mapping("I2", page)
        if m == f.mapping:
            if await k.page_mapped("I3", page):
                await unmap_mapping_range(k, f, index, index, even_cows=False)
            ok = await k.truncate_complete_page("I4", page, "invalidate2", True) and ok
        await k.unlock_page("I5", page)
        await k.put_page("I5", page, holder)
        index += 1
    await k.trunc_invalidate_done("I6", f.mapping, ok)
    await k.end("I6", "invalidate_inode_pages2")


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(ModelOptions(mem=options.get("mem", "WEAK")))
    inode, mapping = model.new_file(size=4096)
    page = model.cache_file_page(mapping, 0)
    page.f["_mapcount"] = -1  # the count Linus orders (what page_mapped reads here)
    model.weak(page, "_mapcount")
    mm = model.new_mm()
    vma = model.new_file_vma(mm, inode, MAP, 1, shared=True)
    f, v = file_view(model, inode), vma_view(model, vma)

    async def fault_around(k: K) -> None:
        await map_pages_ordered(k, f, v, MAP, mb=variant != "buggy")

    async def invalidate(k: K) -> None:
        await invalidate_inode_pages2(k, f, mb=variant == "fixed")

    return Setup(
        model=model,
        actors=[actor("CPU0", fault_around), actor("CPU1", invalidate)],
        windows=[("N2", "N5"), ("I1", "I4")],
        directed=[
            ("CPU0", "N3"),  # 1. CPU0's mapcount increment (not yet visible to CPU1)
            ("CPU1", "I3", "weak"),  # 3. CPU1 locks P; page_mapped reads the old mapcount
            ("CPU0", "N5", "weak"),  # 2. CPU0 re-tests PG_locked: old value 0 -> sets the pte
            ("CPU1", "I4"),  # 3. CPU1 deletes P from the cache under the new pte
        ],
    )


SOURCES: dict[str, str] = {
    "buggy": "Linus's ordered-mapcount proposal in 'Some more lock_page work' (2020-10-13, "
    "derived, not merged) on 5.9.1 mm/filemap.c, without its full barrier; litmus core "
    "pcemu-004c-buggy.",
    "buggy-mapper-mb": "the same with a full barrier on the mapping side only; litmus core "
    "pcemu-004c-mb-mapper-only (herd7: Sometimes: one side is not enough).",
    "fixed": "full barriers on both sides; litmus core pcemu-004c-fixed (herd7: Never).",
}

SCENARIO = Scenario(
    name="mapcount-lock-order",
    spec_id="004c",
    thread="S004 Linus Torvalds on [RFC PATCH] mm: move lock_page out of the fault path "
    "(2020-10-14)",
    title="ordered-mapcount proposal: mapcount increment vs page-lock test without full barriers",
    era="E2020",
    commits="Linus's proposal (derived, not merged): unordered inc -> full barriers both sides",
    build=build,
    expects={
        "buggy": ("INV-MAP-1", "INV-INVAL-1"),
        "buggy-mapper-mb": ("INV-MAP-1", "INV-INVAL-1"),
        "fixed": (),
    },
    variants=("buggy", "buggy-mapper-mb", "fixed"),
    mem="WEAK",
    mems=("WEAK", "TSO", "SC"),
)
