"""002b — the truncate_count seqcount without its barriers (truncate beyond EOF).

Thread: S002, Andrea Arcangeli / Andrew Morton / Nick Piggin on invalidate_inode_pages2 vs
do_no_page (LKML 2006-01-11). The 2.6.15 protocol, visible in the minus-lines of d00806b18315
("mm: fix fault vs invalidate race for linear mappings"): do_no_page reads
``sequence = mapping->truncate_count; smp_rmb(); /* serializes i_size against truncate_count */``
before ->nopage checks i_size, and re-checks the count under the pte lock; unmap_mapping_range
does ``smp_wmb(); /* serialize i_size write against truncate_count write */
mapping->truncate_count++; smp_mb();`` after vmtruncate's i_size_write.

BUGGY = ablation without the fault-side smp_rmb (N1); BUGGY-NOWMB = without the truncate-side
smp_wmb (U1); FIXED = both barriers, as in 2.6.15 (the protocol is correct for truncation).

Actors: CPU0 = read fault at file index 1 in X (MAP_SHARED); CPU1 = truncate of F to one page
(2.6.15 vmtruncate: i_size_write, unmap_mapping_range with truncate_count++, truncate_inode_pages).
i_size and truncate_count are weak locations. Bad run (WEAK only: load->load or store->store
reordering): CPU0 sees the new truncate_count and the old i_size, reads a page in beyond the new
EOF and maps it -> INV-EOF-1. When truncate_inode_pages removes that page from the cache
around CPU0's pte installation (before it: CPU0 maps an orphan; after it: 2.6.15's
truncate_complete_page does not unmap), the same bad run shows first as INV-MAP-1.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.filemap import (
    File,
    Vma,
    file_view,
    page_cache_read,
    size_pages,
    sync_readpage,
    vma_view,
)
from actors.kernel.truncate import truncate_inode_pages
from actors.model import ModelOptions, PageCacheModel
from actors.model.mm import PTL
from actors.model.truncate import I_MMAP
from actors.objects import PAGE, Ref
from emulator.run.scenario import Scenario, Setup

MAP = 0x200000
INDEX = 1


async def nopage(k: K, f: File, index: int, holder: str) -> Ref | None:
    """filemap_nopage (2.6.15) O1-O4: the page referenced, not locked; None = SIGBUS."""
    if index >= size_pages(await k.read("O1", f.inode, "i_size")):
        return None
    while True:
        page = await k.fault_lookup("O2", f.mapping, index, holder)
        if page is None:
            await page_cache_read(k, f, index, sync_readpage)
            continue
        return page


async def do_no_page(k: K, f: File, v: Vma, addr: int, rmb: bool) -> None:
    """N1-N7 with the truncate_count seqcount."""
    holder = f"fault:{k.name}"
    await k.begin("N0", "do_no_page")
    seq = await k.read("N1", f.mapping, "truncate_count")
    if rmb:
        await k.smp_rmb("N1a")
    while True:
        page = await nopage(k, f, v.index(addr), holder)  # N2
        if page is None:
            break  # SIGBUS
        await k.spin_lock("N4", v.mm, PTL)
        now = await k.read("N5", f.mapping, "truncate_count")
        if now != seq:
            await k.spin_unlock("N5", v.mm, PTL)
            await k.put_page("N5", page, holder)
            seq = now
            if rmb:
                await k.smp_rmb("N5a")
            await k.retry("N5", "truncate_count moved")
            continue
        if not await k.pte_install("N6", v.mm, addr, page, 0, holder):
            await k.put_page("N7", page, holder)
        await k.spin_unlock("N7", v.mm, PTL)
        break
    await k.end("N7", "do_no_page")


async def vmtruncate(k: K, f: File, newsize: int, wmb: bool) -> None:
    """T0 i_size_write, U1-U3 unmap_mapping_range (2.6.15), T2 truncate_inode_pages, T4."""
    await k.begin("T0", "truncate")
    await k.write("T0", f.inode, "i_size", newsize)
    first = size_pages(newsize)
    await k.spin_lock("U1", f.mapping, I_MMAP)
    if wmb:
        await k.smp_wmb("U1a")  # serialize i_size write against truncate_count write
    tc = await k.read("U1b", f.mapping, "truncate_count")
    await k.write("U1b", f.mapping, "truncate_count", tc + 1)
    await k.smp_mb("U1c")
    for mm, start, end, pgoff in await k.trunc_vmas("U2", f.mapping):
        lo = max(start, start + (first - pgoff) * PAGE)
        if lo < end:
            await k.spin_lock("U2a", mm, PTL)
            await k.zap_page_range("U2a", mm, lo, end, None)
            await k.spin_unlock("U2a", mm, PTL)
    await k.spin_unlock("U3", f.mapping, I_MMAP)
    await truncate_inode_pages(k, f, first, f"truncate:{k.name}")  # T2
    await k.trunc_done("T4", f.mapping, first)
    await k.end("T4", "truncate")


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(ModelOptions(mem=options.get("mem", "WEAK")))
    inode, mapping = model.new_file(size=2 * PAGE)
    mapping.f["truncate_count"] = 5
    model.weak(inode, "i_size")
    model.weak(mapping, "truncate_count")
    model.cache_file_page(mapping, INDEX)
    mm = model.new_mm()
    vma = model.new_file_vma(mm, inode, MAP, 2, shared=True)
    f, v = file_view(model, inode), vma_view(model, vma)
    addr = MAP + INDEX * PAGE

    async def fault(k: K) -> None:
        await do_no_page(k, f, v, addr, rmb=variant != "buggy")

    async def truncate(k: K) -> None:
        await vmtruncate(k, f, PAGE, wmb=variant != "buggy-nowmb")

    return Setup(
        model=model,
        actors=[actor("CPU0", fault), actor("CPU1", truncate)],
        windows=[("N1", "O1"), ("T0", "U1c")],
        directed=[
            ("CPU1", "T4"),  # 2. i_size := 1 page, truncate_count 5 -> 6, P removed
            ("CPU0", "N1"),  # 3. seq = 6 (the newest)
            ("CPU0", "O1", "weak"),  # 1. the i_size check sees the old size (reordered)
            ("CPU0", "N6"),  # 4-5. reads P'' in beyond EOF; 6 == 6 -> maps it
        ],
    )


SOURCES: dict[str, str] = {
    "buggy": "2.6.15 mm/memory.c do_no_page's truncate_count retry without its smp_rmb() "
    "(ablation); litmus core pcemu-002b-buggy-normb.",
    "buggy-nowmb": "2.6.15 mm/memory.c unmap_mapping_range's truncate_count++ without its "
    "smp_wmb() (ablation); litmus core pcemu-002b-buggy-nowmb.",
    "fixed": "2.6.15 mm/memory.c do_no_page and unmap_mapping_range with both barriers "
    "(the minus-lines of d00806b18315); litmus core pcemu-002b-fixed.",
}

SCENARIO = Scenario(
    name="truncate-count-barriers",
    spec_id="002b",
    thread="S002 Arcangeli / Morton / Piggin on invalidate_inode_pages2 vs do_no_page (2006-01-11)",
    title="truncate_count seqcount without its smp_rmb / smp_wmb maps a page beyond EOF",
    era="E2006",
    commits="2.6.15 barriers ablated -> 2.6.15 smp_rmb/smp_wmb (d00806b18315 minus-lines)",
    build=build,
    expects={
        "buggy": ("INV-EOF-1", "INV-MAP-1"),
        "buggy-nowmb": ("INV-EOF-1", "INV-MAP-1"),
        "fixed": (),
    },
    variants=("buggy", "buggy-nowmb", "fixed"),
    mem="WEAK",
    mems=("WEAK", "TSO", "SC"),
)
