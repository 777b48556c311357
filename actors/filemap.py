"""File fault paths of the E2007+ kernel as labelled step sequences (kernel-scenarios.md 2.4 and
the thread 004 listing): filemap_fault (FF1-FF6), finish_fault (FS1-FS5), filemap_map_pages
(M0-M11, 5.9 form), do_read_fault and mainline do_cow_fault.

What d00806b18315 (2.6.23) established and these paths keep: ->fault returns the page locked
after re-checking page->mapping and i_size under the lock, and the pte is installed before the
page is unlocked, so a truncate or invalidate that takes the page lock afterwards sees
page_mapped() and zaps the pte under the pte lock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from actors.kfault import KV
from actors.mm import PTL, MmMixin
from actors.objects import ANON, Obj
from actors.pgcache import find_get_page
from actors.state import Ref

PAGE = 4096


def size_pages(size: int) -> int:
    """ceil(size / PAGE): the first page index beyond EOF."""
    return (size + PAGE - 1) // PAGE


@dataclass(frozen=True)
class File:
    """An open file as fault code sees it: its inode and address_space."""

    inode: Ref
    mapping: Ref


@dataclass(frozen=True)
class Vma:
    """The vma fields a fault needs; stable under mmap_sem, so plain local values."""

    mm: Ref
    vma: Ref
    start: int
    end: int
    pgoff: int
    shared: bool
    anon_vma: Ref | None

    def addr(self, index: int) -> int:
        return self.start + (index - self.pgoff) * PAGE

    def index(self, addr: int) -> int:
        return self.pgoff + (addr - self.start) // PAGE


def file_view(model: MmMixin, inode: Obj) -> File:
    return File(model.ref(inode), model.ref(model.objs[inode.f["i_mapping"]]))


def vma_view(model: MmMixin, vma: Obj) -> Vma:
    av = vma.f["anon_vma"]
    return Vma(
        mm=model.ref(model.objs[vma.f["mm"]]),
        vma=model.ref(vma),
        start=vma.f["start"],
        end=vma.f["end"],
        pgoff=vma.f["pgoff"],
        shared=bool(vma.f["shared"]),
        anon_vma=None if av is None else model.ref(model.objs[av]),
    )


# ->readpage: called with the page locked; leaves it uptodate (or not, on error) and unlocked.
ReadPage = Callable[[KV, Ref], Awaitable[None]]

# filemap_map_pages' M6 decision: True = page locked, False = skip it, None = map it unlocked.
LockStep = Callable[[KV, Ref, Vma], Awaitable[bool | None]]


async def sync_readpage(k: KV, page: Ref) -> None:
    """A local filesystem's ->readpage with the IO completing at once: what the IO actor would
    do at completion, done by the faulting task (nobody else can touch the locked page)."""
    await k.set_page_flag("RP2", page, "uptodate", 1)
    await k.unlock_page("RP3", page)


async def page_cache_read(k: KV, f: File, index: int, readpage: ReadPage) -> None:
    """Read a missing page in: allocate, insert locked, ->readpage, drop our reference."""
    holder = f"read:{k.name}"
    page = await k.add_to_page_cache("FF2a", f.mapping, index, holder)
    if page is None:
        return  # somebody else inserted one first
    await readpage(k, page)
    await k.put_page("FF2b", page, holder)


async def filemap_fault(
    k: KV, f: File, index: int, holder: str, readpage: ReadPage = sync_readpage
) -> Ref | None:
    """FF1-FF6: the page at ``index``, locked, uptodate, still in the file and inside EOF,
    with a reference held by ``holder``; None = SIGBUS."""
    if index >= size_pages(await k.i_size_read("FF1", f.inode)):
        return None
    while True:
        page = await find_get_page(k, f.mapping, index, holder)  # FF2 (P1-P5)
        if page is None:
            await page_cache_read(k, f, index, readpage)
            continue
        await k.lock_page("FF3", page)
        m, _anon = await k.page_mapping("FF4", page)
        if m != f.mapping:  # truncated or invalidated while we slept on the lock
            await k.unlock_page("FF4", page)
            await k.put_page("FF4", page, holder)
            await k.retry("FF4", "page left the mapping under lock_page")
            continue
        if not await k.page_flag("FF5", page, "uptodate"):
            await readpage(k, page)
            await k.put_page("FF5", page, holder)
            await k.retry("FF5", "page was not uptodate")
            continue
        if index >= size_pages(await k.i_size_read("FF6", f.inode)):
            await k.unlock_page("FF6", page)
            await k.put_page("FF6", page, holder)
            return None
        return page


async def finish_fault(k: KV, v: Vma, addr: int, page: Ref, holder: str, cow: bool) -> bool:
    """FS1-FS5 (alloc_set_pte): under the pte lock, map ``page`` if the pte is still none; the
    fault's reference becomes the pte's. A COW copy first gets its anon rmap. False = another
    fault won (FS2); the caller still owns its reference."""
    await k.spin_lock("FS1", v.mm, PTL)
    if cow and v.anon_vma is not None:
        await k.page_add_anon_rmap("FS3", page, v.anon_vma)
    installed = await k.pte_install("FS4", v.mm, addr, page, int(cow), holder)
    await k.spin_unlock("FS5", v.mm, PTL)
    return installed


# -- fault-around ----------------------------------------------------------------------------


async def trylock_step(k: KV, page: Ref, v: Vma) -> bool | None:
    """5.9 M6: every page is trylocked; a locked page is somebody else's business: skip."""
    return await k.trylock_page("M6", page)


async def filemap_map_pages(
    k: KV, f: File, v: Vma, first: int, last: int, holder: str, lock_step: LockStep = trylock_step
) -> None:
    """M0-M11: map the uptodate cached pages of [first, last] that are not mapped yet, without
    sleeping. The pte lock is taken lazily by the first M9 and held to the end (5.9
    alloc_set_pte/pte_alloc_one_map)."""
    await k.rcu_read_lock("M0")
    ptl = False
    for index in range(first, last + 1):
        ptl = await _map_one(k, f, v, index, holder, lock_step, ptl)
    if ptl:
        await k.spin_unlock("M11", v.mm, PTL)
    await k.rcu_read_unlock("M11")


async def _map_one(
    k: KV, f: File, v: Vma, index: int, holder: str, lock_step: LockStep, ptl: bool
) -> bool:
    """One page of fault-around; returns whether the pte lock is now held."""
    page = await k.tree_load("M1", f.mapping, index)
    if page is None or not await k.get_page_unless_zero("M2", page, holder):
        return ptl
    if await k.tree_load("M3", f.mapping, index) != page or not await k.page_flag(
        "M5", page, "uptodate"
    ):
        await k.put_page("M5", page, holder)
        return ptl
    locked = await lock_step(k, page, v)
    if locked is False:
        await k.put_page("M6", page, holder)
        return ptl
    if await _still_mappable(k, f, page, index):
        if not ptl:
            await k.spin_lock("M9", v.mm, PTL)
            ptl = True
        if await k.pte_install("M9", v.mm, v.addr(index), page, 0, holder):
            if locked:
                await k.unlock_page("M10", page)
            return ptl
    if locked:
        await k.unlock_page("M10", page)
    await k.put_page("M10", page, holder)
    return ptl


async def _still_mappable(k: KV, f: File, page: Ref, index: int) -> bool:
    """M7/M8: still this file's uptodate page, and inside EOF."""
    m, _anon = await k.page_mapping("M7", page)
    if m != f.mapping or not await k.page_flag("M7", page, "uptodate"):
        return False
    return index < size_pages(await k.i_size_read("M8", f.inode))


# -- the fault handlers ----------------------------------------------------------------------


async def do_read_fault(
    k: KV,
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
        installed = await finish_fault(k, v, addr, page, holder, cow=False)
        await k.unlock_page("F2", page)
        if not installed:
            await k.put_page("F2", page, holder)
    await k.end("F9", "do_read_fault")
    return page is not None


async def do_cow_fault(k: KV, f: File, v: Vma, addr: int) -> bool:
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
    installed = await finish_fault(k, v, addr, cow, cow_holder, cow=True)
    await k.unlock_page("C3", page)
    await k.put_page("C4", page, holder)
    if not installed:
        await k.put_page("C4", cow, cow_holder)
    await k.end("C5", "do_cow_fault")
    return True
