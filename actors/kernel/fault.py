"""Fault handlers (kernel-scenarios.md 2.4, 1.5, 1.6): do_read_fault and mainline do_cow_fault on
a file vma, and handle_mm_fault, the hook get_user_pages calls, which dispatches on the vma's
kind.

vmas carry a ``vkind`` saying which handler serves them: "anon" (a read fault maps the
ZERO_PAGE), "special" (gate area, install_special_mapping: the pte is always there, faults
SIGBUS), "file" (filemap_fault: find_lock_page or read the page in) and "shmem" (shmem_fault,
which may swap the page back in: actors/kernel/shmem.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from actors.api import K
from actors.kernel.filemap import (
    File,
    LockStep,
    ReadPage,
    Vma,
    filemap_fault,
    filemap_map_pages,
    finish_fault,
    sync_readpage,
    trylock_step,
)
from actors.kernel.shmem import shmem_fault
from actors.kernel.wp import (
    VM_FAULT_SIGBUS,
    anon_vma_prepare,
    cow_fault_readonly,
    do_wp_page,
    filemap_page_mkwrite,
)
from actors.model.mm import PTL, VmaInfo
from actors.objects import ANON, PAGE, Ref

# A fault handler: (k, mm, vma, addr, write) -> True once the pte is installed, False = SIGBUS.
FaultHandler = Callable[[K, Ref, VmaInfo, int, bool], Awaitable[bool]]


async def do_read_fault(
    k: K,
    f: File,
    v: Vma,
    addr: int,
    readpage: ReadPage = sync_readpage,
    around: tuple[int, int] | None = None,
    lock_step: LockStep = trylock_step,
) -> bool:
    """A read fault on a file vma: fault-around over file pages ``around`` (if given), then
    ->fault for the faulting page unless fault-around mapped it. False = SIGBUS."""
    holder = f"fault:{k.name}"
    await k.begin("F0", "do_read_fault")
    if around is not None:
        await filemap_map_pages(k, f, v, around[0], around[1], holder, lock_step)
        if await k.pte_read("F1", v.mm, addr) is not None:
            await k.end("F9", "do_read_fault")
            return True
    page = await filemap_fault(k, f, v.index(addr), holder, readpage)
    if page is not None:
        installed = await finish_fault(k, v.mm, addr, page, holder, writable=0)
        await k.unlock_page("F2", page)
        if not installed:
            await k.put_page("F2", page, holder)
    await k.end("F9", "do_read_fault")
    return page is not None


async def do_cow_fault(k: K, f: File, v: Vma, addr: int) -> bool:
    """Mainline do_cow_fault: the file page stays locked until the COW copy is mapped, so a
    truncate that removes it finishes its final even_cows unmap after the copy is in place."""
    holder, cow_holder = f"fault:{k.name}", f"cow:{k.name}"
    await k.begin("C0", "do_cow_fault")
    cow = await k.alloc_page("C1", ANON, cow_holder)
    page = await filemap_fault(k, f, v.index(addr), holder)
    if page is None:
        await k.put_page("C1", cow, cow_holder)
        await k.end("C5", "do_cow_fault")
        return False
    await k.note("C2", "copy_user_highpage(cow, page)")
    installed = await finish_fault(k, v.mm, addr, cow, cow_holder, writable=1, anon_vma=v.anon_vma)
    await k.unlock_page("C3", page)
    await k.put_page("C4", page, holder)
    if not installed:
        await k.put_page("C4", cow, cow_holder)
    await k.end("C5", "do_cow_fault")
    return True


PageMkwrite = Callable[[K, File, Ref], Awaitable[bool]]


async def do_shared_fault(
    k: K,
    f: File,
    v: Vma,
    addr: int,
    readpage: ReadPage = sync_readpage,
    page_mkwrite: PageMkwrite | None = filemap_page_mkwrite,
) -> bool:
    """A write fault on a shared file mapping (5.9.1 mm/memory.c do_shared_fault; 3.0.1
    __do_fault's VM_SHARED write branch): ->fault returns the page locked (filemap_fault,
    FF*); with a ->page_mkwrite the page is unlocked (SF1) and ->page_mkwrite locks it again
    and re-checks page->mapping: VM_FAULT_NOPAGE (truncated meanwhile) drops the page without
    a pte, the access is retried (SF2). Otherwise finish_fault maps it writable (FS*) and the
    page is unlocked (SF3); fault_dirty_shared_page follows (SF4). False = SIGBUS; True =
    handled (pte installed, or NOPAGE: retry the access)."""
    holder = f"fault:{k.name}"
    await k.begin("SF0", "do_shared_fault")
    page = await filemap_fault(k, f, v.index(addr), holder, readpage)
    if page is None:
        await k.end("SF9", "do_shared_fault")
        return False
    if page_mkwrite is not None:
        await k.unlock_page("SF1", page)
        if not await page_mkwrite(k, f, page):
            await k.put_page("SF2", page, holder)
            await k.end("SF9", "do_shared_fault")
            return True
    installed = await finish_fault(k, v.mm, addr, page, holder, writable=1)
    await k.unlock_page("SF3", page)
    if not installed:
        await k.put_page("SF3", page, holder)
    await k.note("SF4", "fault_dirty_shared_page(): balance_dirty_pages_ratelimited")
    await k.end("SF9", "do_shared_fault")
    return True


async def lock_page_or_retry(
    k: K, page: Ref, mm: Ref, allow_retry: bool, killable: bool, nowait: bool = False
) -> bool:
    """lock_page_or_retry (3.0.1 include/linux/pagemap.h:353: trylock_page ||
    mm/filemap.c:665 __lock_page_or_retry), entered with mmap_sem held for read. True: the page
    is locked and mmap_sem still held. False: VM_FAULT_RETRY, the page not locked; mmap_sem was
    dropped (LR2), unless ``nowait`` (FAULT_FLAG_RETRY_NOWAIT: the caller keeps it). With
    ``allow_retry`` the fault waits for the unlock without the lock and without mmap_sem
    (LR3, killable or not) so that the caller retries; without it the page is locked (LR4;
    killable: a fatal signal drops mmap_sem and returns False)."""
    if await k.trylock_page("LR1", page):
        return True
    if allow_retry:
        if nowait:
            return False
        await k.up_read("LR2", mm)
        if killable:
            await k.wait_on_page_locked_killable("LR3", page)
        else:
            await k.wait_on_page_locked("LR3", page)
        return False
    if killable:
        if await k.lock_page_killable("LR4", page):
            await k.up_read("LR4", mm)
            return False
        return True
    await k.lock_page("LR4", page)
    return True


# -- the fault hook of get_user_pages --------------------------------------------------------


async def handle_mm_fault(k: K, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """The fault hook (3.0.1 mm/memory.c handle_pte_fault): a write fault on a present pte
    goes to do_wp_page under the pte lock, after the pte_same re-check; anything else is
    dispatched on the vma's kind. True = handled (the caller re-follows the pte)."""
    return not await handle_pte_fault(k, mm, info, addr, write) & VM_FAULT_SIGBUS


async def handle_pte_fault(k: K, mm: Ref, info: VmaInfo, addr: int, write: bool) -> int:
    """handle_mm_fault with the VM_FAULT_* bits the kernel returns (3.0.1 mm/memory.c:3385
    handle_pte_fault): VM_FAULT_WRITE from do_wp_page, VM_FAULT_SIGBUS, or 0. A write fault
    on a vma without VM_WRITE comes only from a forced write (FOLL_FORCE) and COWs the file
    page (cow_fault_readonly)."""
    if write:
        pte = await k.pte_read("HF0", mm, addr)  # entry = *pte, without the lock
        if pte is not None:
            await k.spin_lock("HF1", mm, PTL)
            if await k.pte_read("HF1", mm, addr) != pte or pte[1]:
                # !pte_same (somebody changed it: retry the access), or already writable
                await k.spin_unlock("HF1", mm, PTL)
                return 0
            return await do_wp_page(k, mm, addr, pte[0], vm_write=bool(info[1]))
        if not info[1] and info[0] == "file":
            return await cow_fault_readonly(k, mm, info, addr)
    handler = FAULT_HANDLERS.get(info[0])
    if handler is None:
        raise NotImplementedError(f"no fault handler for vma kind {info[0]!r}")
    return 0 if await handler(k, mm, info, addr, write) else VM_FAULT_SIGBUS


async def fault_anon(k: K, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """do_anonymous_page (3.0.1 mm/memory.c): a read fault on a never-written private
    anonymous page maps the ZERO_PAGE (1.5); a write fault maps a new zeroed anonymous page
    writable."""
    if write:
        av = await anon_vma_prepare(k, mm, addr)
        holder = f"fault:{k.name}"
        page = await k.alloc_page("FA1", ANON, holder)
        await k.spin_lock("FA1", mm, PTL)
        if await k.pte_install("FA2", mm, addr, page, 1, holder):
            await k.page_add_anon_rmap("FA2", page, av)
        else:
            await k.put_page("FA2", page, holder)
        await k.spin_unlock("FA3", mm, PTL)
        return True
    await k.spin_lock("FA1", mm, PTL)
    await k.gup_map_zero("FA2", mm, addr)
    await k.spin_unlock("FA3", mm, PTL)
    return True


async def fault_special(k: K, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """Gate area, special mappings and vm_insert_page driver mappings are populated at setup
    (the driver's mmap inserted its pages); a fault there is SIGBUS."""
    return False


async def fault_file(k: K, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """filemap_fault (FF1-FF6) + finish_fault, E2007 rules: the page is locked and its mapping
    and i_size re-checked before the pte goes in."""
    _kind, writable, start, pgoff, inode = info
    assert inode is not None
    mapping: Ref = await k.read("FF0", inode, "i_mapping")
    index = pgoff + (addr - start) // PAGE
    holder = f"fault:{k.name}"
    page = await filemap_fault(k, File(inode, mapping), index, holder, read_in_locked=True)
    if page is None:
        return False
    await finish_fault(k, mm, addr, page, holder, writable=writable, put_if_lost=True)
    await k.unlock_page("FS6", page)
    return True


async def fault_anon_swap(k: K, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """handle_pte_fault of an anonymous vma whose pages may be in swap (3.0.1 mm/memory.c:3385):
    a swap pte goes to do_swap_page (actors/kernel/swap.py), pte_none to do_anonymous_page."""
    # Imported here rather than at the top, so that the lines of this module that recorded
    # runs name as step sites (explain output, its golden files) stay where they were.
    from actors.kernel.swap import do_swap_page

    entry = await k.pte_swap_entry("HS0", mm, addr)
    if entry is None:
        return await fault_anon(k, mm, info, addr, write)
    return await do_swap_page(k, mm, addr, entry, write)


FAULT_HANDLERS: dict[str, FaultHandler] = {
    "anon-swap": fault_anon_swap,
    "anon": fault_anon,
    "special": fault_special,
    "gate": fault_special,
    "driver": fault_special,
    "file": fault_file,
    "shmem": shmem_fault,
}
