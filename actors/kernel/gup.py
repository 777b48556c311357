"""get_user_pages (G1-G6) with its fault hook, and munmap (kernel-scenarios.md 2.4 "GUP").

GUP-fast reads the pte without locks, takes a speculative reference and re-reads the pte
(G1-G3). Anything else goes the slow way: mmap_sem, find the vma, check the access, then loop
"follow_page under the pte lock / fault it in" (G4-G6) with mmap_sem held for read (3.0.1
mm/memory.c __get_user_pages under get_user_pages_fast's down_read, arch/x86/mm/gup.c); munmap
takes it for write (3.0.1 mm/mmap.c do_munmap under sys_munmap's down_write).
"""

from __future__ import annotations

from actors.api import K
from actors.kernel.fault import handle_mm_fault
from actors.model.mm import PTL
from actors.objects import Ref

# GUP-fast of each era (``fast``):
#   NO_FAST   get_user_pages only (no lockless walk: x86 before 2.6.27, and callers of
#             get_user_pages such as 38d47c1b707's futex in 2.6.28);
#   X86_IRQ   x86 2.6.27 (8174c430e445 "x86: lockless get_user_pages_fast()") - 4.12
#             (arch/x86/mm/gup.c): IRQs off, pte read and get_page, no re-check;
#   GENERIC   mm/gup.c's RCU form (x86 from 4.13, ppc / arm64 earlier): speculative
#             reference, then the pte is re-read and the reference dropped if it changed.
NO_FAST, X86_IRQ, GENERIC = "none", "x86-irq", "generic"
FAST_OF_ERA = {"E2006": NO_FAST, "E2011": X86_IRQ, "E2016": X86_IRQ, "E2020": GENERIC}


async def gup(
    k: K, mm: Ref, addr: int, write: bool, holder: str, fast: str = GENERIC
) -> Ref | None:
    """get_user_pages_fast (or, with ``fast`` = NO_FAST, get_user_pages) for one page: the
    page with a reference held by ``holder``, or None for -EFAULT."""
    page = None
    if fast == X86_IRQ:
        page = await k.gup_fast_pte("G1", mm, addr, int(write), holder)
    elif fast == GENERIC:
        page = await gup_fast(k, mm, addr, write, holder)
    if page is not None:
        return page
    return await gup_slow(k, mm, addr, write, holder)


async def gup_fast(k: K, mm: Ref, addr: int, write: bool, holder: str) -> Ref | None:
    """The generic (RCU) GUP-fast of one pte (4.9 mm/gup.c gup_pte_range:
    page_cache_get_speculative, then pte_val(pte) != pte_val(*ptep) -> put_page)."""
    pte = await k.pte_read("G1", mm, addr)
    if pte is None or (write and not pte[1]):
        return None
    page = pte[0]
    if not await k.get_page_unless_zero("G2", page, holder):
        return None
    if await k.pte_read("G3", mm, addr) != pte:
        await k.put_page("G3", page, holder)
        return None
    return page


async def gup_slow(k: K, mm: Ref, addr: int, write: bool, holder: str) -> Ref | None:
    await k.down_read("G4", mm)  # down_read(&mm->mmap_sem)
    page = await _follow_or_fault(k, mm, addr, write, holder)
    await k.up_read("G6", mm)
    return page


async def _follow_or_fault(k: K, mm: Ref, addr: int, write: bool, holder: str) -> Ref | None:
    vma = await k.find_vma("G4", mm, addr)
    if vma is None:
        return None
    info = await k.gup_vma_info("G4", vma)
    if write and not info[1]:
        return None  # VM_WRITE missing: -EFAULT
    while True:
        await k.spin_lock("G5", mm, PTL)
        pte = await k.pte_read("G5", mm, addr)
        if pte is not None and (not write or pte[1]):
            await k.get_page("G5", pte[0], holder)
            await k.spin_unlock("G5", mm, PTL)
            return pte[0]
        await k.spin_unlock("G5", mm, PTL)
        if not await handle_mm_fault(k, mm, info, addr, write):
            return None


async def munmap(k: K, mm: Ref, vma: Ref, addrs: tuple[int, ...]) -> None:
    """munmap of one vma: detach it under mmap_sem held for writing, then zap its ptes (each
    under the pte lock; the ptes' page references go with them)."""
    await k.begin("MU0", "munmap")
    await k.down_write("MU1", mm)  # down_write(&mm->mmap_sem)
    await k.detach_vmas_to_be_unmapped("MU2", mm, vma)
    for addr in addrs:
        await k.spin_lock("MU3", mm, PTL)
        await k.pte_zap("MU3", mm, addr)
        await k.spin_unlock("MU3", mm, PTL)
    await k.up_write("MU4", mm)
    await k.end("MU4", "munmap")
