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


# -- the fault hook of get_user_pages --------------------------------------------------------


async def handle_mm_fault(k: K, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """The fault hook: dispatch on the vma's kind."""
    handler = FAULT_HANDLERS.get(info[0])
    if handler is None:
        raise NotImplementedError(f"no fault handler for vma kind {info[0]!r}")
    return await handler(k, mm, info, addr, write)


async def fault_anon(k: K, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """A read fault on a never-written private anonymous page maps the ZERO_PAGE (1.5)."""
    if write:
        raise NotImplementedError("anonymous write faults (COW) are not modelled")
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


FAULT_HANDLERS: dict[str, FaultHandler] = {
    "anon": fault_anon,
    "special": fault_special,
    "gate": fault_special,
    "driver": fault_special,
    "file": fault_file,
    "shmem": shmem_fault,
}
