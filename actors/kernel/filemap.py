"""File fault paths of the E2007+ kernel as labelled step sequences (kernel-scenarios.md 2.4 and
the thread 004 listing): filemap_fault (FF1-FF6), finish_fault (FS1-FS5) and filemap_map_pages
(M0-M11, 5.9 form).

What d00806b18315 (2.6.23) established and these paths keep: ->fault returns the page locked
after re-checking page->mapping and i_size under the lock, and the pte is installed before the
page is unlocked, so a truncate or invalidate that takes the page lock afterwards sees
page_mapped() and zaps the pte under the pte lock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from actors.api import K
from actors.kernel.lookup import find_get_page, find_lock_page
from actors.model import PageCacheModel
from actors.model.mm import PTL
from actors.objects import PAGE, Obj, Ref


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


def file_view(model: PageCacheModel, inode: Obj) -> File:
    return File(model.ref(inode), model.ref(model.objs[inode.f["i_mapping"]]))


def vma_view(model: PageCacheModel, vma: Obj) -> Vma:
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
ReadPage = Callable[[K, Ref], Awaitable[None]]

# filemap_map_pages' M6 decision: True = page locked, False = skip it, None = map it unlocked.
LockStep = Callable[[K, Ref, Vma], Awaitable[bool | None]]


async def sync_readpage(k: K, page: Ref) -> None:
    """A local filesystem's ->readpage with the IO completing at once: what the IO actor would
    do at completion, done by the faulting task (nobody else can touch the locked page)."""
    await k.set_page_flag("RP2", page, "uptodate", 1)
    await k.unlock_page("RP3", page)


async def failing_readpage(k: K, page: Ref) -> None:
    """A ->readpage whose IO fails: the page is unlocked without PG_uptodate (end_page_read
    with an error)."""
    await k.note("RP2", "IO error: PG_uptodate stays clear")
    await k.unlock_page("RP3", page)


async def page_cache_read(k: K, f: File, index: int, readpage: ReadPage) -> None:
    """Read a missing page in: allocate, insert locked, ->readpage, drop our reference."""
    holder = f"read:{k.name}"
    page = await k.add_to_page_cache_locked("FF2a", f.mapping, index, holder)
    if page is None:
        return  # somebody else inserted one first
    await readpage(k, page)
    await k.put_page("FF2b", page, holder)


async def filemap_fault(
    k: K,
    f: File,
    index: int,
    holder: str,
    readpage: ReadPage = sync_readpage,
    *,
    read_in_locked: bool = False,
) -> Ref | None:
    """FF1-FF6: the page at ``index``, locked, uptodate, still in the file and inside EOF,
    with a reference held by ``holder``; None = SIGBUS.

    ``read_in_locked`` is the form get_user_pages' fault hook uses (the futex threads'
    world, actors/kernel/fault.py): the page is found by find_lock_page (its P6/P7 stand for
    FF3/FF4), a missing page is read in by one step that leaves it locked, uptodate and
    referenced in the cache (FF2, no ->readpage, so no FF5), and losing that insertion race
    re-checks i_size (FF1) before looking again."""
    if index >= size_pages(await k.i_size_read("FF1", f.inode)):
        return None
    while True:
        if read_in_locked:
            page = await find_lock_page(k, f.mapping, index, holder)
            if page is None:
                page = await k.add_to_page_cache_lru("FF2", f.mapping, index, holder)
                if page is None:  # somebody else read it in: look it up again
                    if index >= size_pages(await k.i_size_read("FF1", f.inode)):
                        return None
                    continue
        else:
            page = await find_get_page(k, f.mapping, index, holder)  # FF2 (P1-P5)
            if page is None:
                await page_cache_read(k, f, index, readpage)
                continue
            try:
                if not await _lock_valid_page(k, f, page, holder, readpage):
                    continue
            except SigBus:
                return None
        if index >= size_pages(await k.i_size_read("FF6", f.inode)):
            await k.unlock_page("FF6", page)
            await k.put_page("FF6", page, holder)
            return None
        return page


class SigBus(Exception):
    """filemap_fault's -EIO: the page could not be read (VM_FAULT_SIGBUS)."""


async def _lock_valid_page(k: K, f: File, page: Ref, holder: str, readpage: ReadPage) -> bool:
    """FF3-FF5: lock the page; False (lock and reference dropped) if it left the file while we
    slept on the lock, or is not uptodate (read it again, wait for the read, then look it up
    again). A read that fails raises SigBus."""
    await k.lock_page("FF3", page)
    m, _anon = await k.page_mapping("FF4", page)
    if m != f.mapping:  # truncated or invalidated while we slept on the lock
        await k.unlock_page("FF4", page)
        await k.put_page("FF4", page, holder)
        await k.retry("FF4", "page left the mapping under lock_page")
        return False
    if not await k.page_flag("FF5", page, "uptodate"):
        # page_not_uptodate: (3ef0f720e47e, Miklos Szeredi 2008, fixing d00806b18315's loop;
        # 3.0.1 and 5.9.1 mm/filemap.c the same) ->readpage, then wait for it; a page still
        # not uptodate is -EIO.
        await readpage(k, page)  # FF5a
        await k.wait_on_page_locked("FF5b", page)
        ok = await k.page_flag("FF5c", page, "uptodate")
        await k.put_page("FF5c", page, holder)
        if not ok:
            raise SigBus()
        await k.retry("FF5", "page was not uptodate")
        return False
    return True


async def finish_fault(
    k: K,
    mm: Ref,
    addr: int,
    page: Ref,
    holder: str,
    *,
    writable: int,
    anon_vma: Ref | None = None,
    put_if_lost: bool = False,
) -> bool:
    """FS1-FS5 (alloc_set_pte): under the pte lock, map ``page`` if the pte is still none; the
    fault's reference becomes the pte's. A COW copy first gets its anon rmap (``anon_vma``).
    False = another fault won (FS2): with ``put_if_lost`` the reference is dropped at once
    (the gup fault hook and shmem_fault), else the caller still owns it."""
    await k.spin_lock("FS1", mm, PTL)
    if anon_vma is not None:
        await k.page_add_anon_rmap("FS3", page, anon_vma)
    installed = await k.pte_install("FS4", mm, addr, page, writable, holder)
    await k.spin_unlock("FS5", mm, PTL)
    if not installed and put_if_lost:
        await k.put_page("FS5", page, holder)
    return installed


# -- fault-around ----------------------------------------------------------------------------


async def trylock_step(k: K, page: Ref, v: Vma) -> bool | None:
    """5.9 M6: every page is trylocked; a locked page is somebody else's business: skip."""
    return await k.trylock_page("M6", page)


async def filemap_map_pages(
    k: K, f: File, v: Vma, first: int, last: int, holder: str, lock_step: LockStep = trylock_step
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
    k: K, f: File, v: Vma, index: int, holder: str, lock_step: LockStep, ptl: bool
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


async def _still_mappable(k: K, f: File, page: Ref, index: int) -> bool:
    """M7/M8: still this file's uptodate page, and inside EOF."""
    m, _anon = await k.page_mapping("M7", page)
    if m != f.mapping or not await k.page_flag("M7", page, "uptodate"):
        return False
    return index < size_pages(await k.i_size_read("M8", f.inode))
