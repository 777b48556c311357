"""get_user_pages (G1-G6) with its fault hook, and munmap (kernel-scenarios.md 2.4 "GUP").

GUP-fast reads the pte without locks, takes a speculative reference and re-reads the pte
(G1-G3). Anything else goes the slow way: mmap_sem, find the vma, check the access, then loop
"follow_page under the pte lock / fault it in" (G4-G6) with mmap_sem held for read (3.0.1
mm/memory.c __get_user_pages under get_user_pages_fast's down_read, arch/x86/mm/gup.c); munmap
takes it for write (3.0.1 mm/mmap.c do_munmap under sys_munmap's down_write).
"""

from __future__ import annotations

from actors.api import K
from actors.kernel.fault import handle_mm_fault, handle_pte_fault
from actors.kernel.wp import VM_FAULT_SIGBUS, VM_FAULT_WRITE
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


async def get_user_pages_force(
    k: K, mm: Ref, addr: int, holder: str, foll_cow: bool = True
) -> Ref | None:
    """get_user_pages(write=1, force=1) for one page, as access_process_vm calls it for a
    write to /proc/pid/mem or ptrace(POKEDATA): the page with a reference held by ``holder``,
    or None for -EFAULT. FOLL_FORCE needs only VM_MAYWRITE (3.0.1 mm/memory.c:1650), which a
    private mapping always has; a read-only SHARED mapping is taken as a file opened O_RDONLY
    (no VM_MAYWRITE: -EFAULT). Loop (G5 follow_page under the pte lock, then the fault):
    with FOLL_WRITE a pte must be writable; when a fault reports VM_FAULT_WRITE on a vma
    without VM_WRITE (COW broken but maybe_mkwrite left the pte read-only):
      foll_cow False  3.0.1 mm/memory.c:1795 (2.6.22 - 4.8.2): "foll_flags &= ~FOLL_WRITE",
                      the next follow_page is a READ one, so if the COWed pte was zapped
                      meanwhile (madvise(MADV_DONTNEED)), the read fault maps the file's page
                      cache page and the caller writes into it (CVE-2016-5195, Dirty COW);
      foll_cow True   19be0eaffa3a (4.8.3; 4.9 mm/gup.c:67 can_follow_write_pte, :425): FOLL_WRITE
                      is kept and FOLL_COW set: a read-only pte passes only if it is dirty
                      (modelled: maps an anonymous page, as the COW copy does), so a zapped pte
                      is re-faulted for write and COWed again."""
    await k.begin("G4", "get_user_pages(force)")
    await k.down_read("G4", mm)
    page = await _follow_or_fault_forced(k, mm, addr, holder, foll_cow)
    await k.up_read("G6", mm)
    await k.end("G6", "get_user_pages(force)")
    return page


async def _follow_or_fault_forced(k: K, mm: Ref, addr: int, holder: str, fix: bool) -> Ref | None:
    vma = await k.find_vma("G4", mm, addr)
    if vma is None:
        return None
    info = await k.gup_vma_info("G4", vma)
    if not info[1] and await k.read("G4", vma, "shared"):
        return None  # no VM_MAYWRITE
    foll_write, foll_cow = True, False
    while True:
        await k.spin_lock("G5", mm, PTL)
        pte = await k.pte_read("G5", mm, addr)
        ok = pte is not None and (not foll_write or bool(pte[1]))
        if pte is not None and not ok and foll_cow:
            _mapping, anon = await k.page_mapping("G5", pte[0])  # pte_dirty(pte)
            ok = bool(anon)
        if pte is not None and ok:
            await k.get_page("G5", pte[0], holder)
            await k.spin_unlock("G5", mm, PTL)
            return pte[0]
        await k.spin_unlock("G5", mm, PTL)
        ret = await handle_pte_fault(k, mm, info, addr, foll_write)
        if ret & VM_FAULT_SIGBUS:
            return None
        if ret & VM_FAULT_WRITE and not info[1]:
            if fix:
                foll_cow = True  # "*flags |= FOLL_COW"
            else:
                foll_write = False  # "foll_flags &= ~FOLL_WRITE"
                await k.note("G5", "foll_flags &= ~FOLL_WRITE: follow_page as a read from now")


async def madvise_dontneed(k: K, mm: Ref, addrs: tuple[int, ...]) -> None:
    """madvise(MADV_DONTNEED) over ``addrs`` of one vma: 3.0.1 mm/madvise.c:167 madvise_dontneed
    -> zap_page_range, under mmap_sem held for READ (:361 madvise_need_mmap_write: only advice
    that changes vmas takes it for write), so it runs beside get_user_pages. Each pte is zapped
    under the pte lock; an anonymous COW copy goes with its pte, the file stays as it is."""
    await k.begin("MD0", "madvise(MADV_DONTNEED)")
    await k.down_read("MD1", mm)
    for addr in addrs:
        await k.spin_lock("MD2", mm, PTL)
        await k.pte_zap("MD2", mm, addr)
        await k.spin_unlock("MD2", mm, PTL)
    await k.up_read("MD3", mm)
    await k.end("MD3", "madvise(MADV_DONTNEED)")


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
