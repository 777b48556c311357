"""Thread 000 code paths: the lockless get_futex_key of 65d8fc777f6d "futex: Remove requirement
for lock_page() in get_futex_key()" (Mel Gorman, v4.6-rc1; read in kernel/futex.c@0041042de554),
and the ablations S000 argues about (Peter Zijlstra reviewing Davidlohr Bueso's "lockless
futex_get_key()", LKML 2016-01-05):

  validate=False   K11 removed: `mapping` loaded at K3, before the RCU read-side section, is
                   trusted at K12 (000a, inode use-after-free);
  pin="ihold"      K13 as "previously this reference was taken by ihold under the page lock",
                   on a path that no longer holds the page lock (000b, resurrection);
  swizzle="v1"     K6 as posted: `PageSwapCache(page)` only, missing a page swizzled back in
                   meanwhile (000c; Peter: "We've not re-loaded mapping, so how could this
                   possibly be?").

Labels K1-K16 follow kernel-scenarios.md thread 000.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from actors.api import K, actor
from actors.kernel.gup import munmap
from actors.kernel.inode import close_file, iput
from actors.kernel.rcu import RCU_ACTOR, rcu_gp
from actors.model import ModelOptions, PageCacheModel
from actors.objects import FILE, PAGE, Obj, Ref
from emulator.engine.runtime import ActorSpec
from scenarios.futex.futex_fixlet import gup_for_futex, put_futex_key

INC_NOT_ZERO, IHOLD = "inc_not_zero", "ihold"
FINAL, V1 = "final", "v1"
AGAIN, EFAULT = -1, -2  # _inode_key's outcomes besides a key oid (oids are positive)


async def get_futex_key(
    k: K,
    mm: Ref,
    addr: int,
    *,
    validate: bool = True,
    pin: str = INC_NOT_ZERO,
    swizzle: str = FINAL,
) -> int | None:
    """FUTEX_WAIT's get_futex_key, 4.6: the key's oid, or None for -EFAULT."""
    holder = f"gup:{k.name}"
    while True:
        page, ro = await gup_for_futex(k, mm, addr, holder)
        if page is None:
            await k.futex_efault("K1", mm, addr, None)
            return None
        await k.note("K1", "page = get_user_pages_fast(uaddr)", page)
        page = await k.note("K2", "page = compound_head(page)", page)
        mapping, _anon = await k.page_mapping("K3", page)  # READ_ONCE(page->mapping)
        if mapping is None:
            if await _swizzled(k, page, swizzle):
                await k.put_page("K7", page, holder)
                await k.retry("K8", f"page #{page[0]} swizzled to or from swap cache")
                continue
            await k.futex_efault("K8", mm, addr, page)
            await k.put_page("K8", page, holder)
            return None
        _m, anon = await k.page_mapping("K9", page)  # PageAnon(page)
        if anon:
            return await _anon_key(k, mm, addr, page, holder, ro)
        key = await _inode_key(k, mm, addr, page, mapping, validate, pin)
        if key == AGAIN:
            continue
        await k.put_page("K16", page, holder)
        return None if key == EFAULT else key


async def _swizzled(k: K, page: Ref, swizzle: str) -> bool:
    """K5-K7: under the page lock, is this a shmem page on its way to or from swap cache?"""
    # lock_page() starts with might_sleep(): a voluntary preemption point (cond_resched).
    await k.might_sleep("K5", "lock_page")
    await k.lock_page("K5", page)
    swizzled = bool(await k.page_flag("K6", page, "swapcache"))
    if swizzle == FINAL and not swizzled:
        m, _anon = await k.page_mapping("K6", page)  # the re-load Peter asked for
        swizzled = m is not None
    await k.unlock_page("K7", page)
    return swizzled


async def _anon_key(k: K, mm: Ref, addr: int, page: Ref, holder: str, ro: bool) -> int | None:
    """K9: a private anonymous futex keys on (mm, address); read-only anon is -EFAULT."""
    if ro:
        await k.futex_efault("K9", mm, addr, page)
        await k.put_page("K9", page, holder)
        return None
    key = await k.futex_key_mm("K9", mm, addr)
    await k.put_page("K9", page, holder)
    return key


async def _inode_key(
    k: K, mm: Ref, addr: int, page: Ref, mapping: Ref, validate: bool, pin: str
) -> int:
    """K10-K15 under RCU: the key's oid, EFAULT, or AGAIN after dropping the page reference
    (goto again). On the first two the caller still holds its page reference."""
    await k.rcu_read_lock("K10")
    if validate and (await k.page_mapping("K11", page))[0] != mapping:
        return await _again(k, "K11", page, "page->mapping changed")
    inode: Ref | None = await k.read("K12", mapping, "host")
    if inode is None:
        return await _again(k, "K12", page, "mapping->host is NULL")
    if pin == IHOLD:
        await k.ihold("K13", inode)
    elif not await k.inode_inc_not_zero("K13", inode):
        return await _again(k, "K13", page, "i_count is 0")
    if await k.read("K14", inode, "i_mapping") != mapping:  # WARN_ON_ONCE paranoia
        await k.rcu_read_unlock("K14")
        await iput(k, inode)
        await k.futex_efault("K14", mm, addr, page)
        return EFAULT
    key = await k.futex_key_inode("K15", inode, page)
    await k.rcu_read_unlock("K15")
    return key


async def _again(k: K, label: str, page: Ref, why: str) -> int:
    await k.rcu_read_unlock(label)
    await k.put_page(label, page, f"gup:{k.name}")
    await k.retry(label, f"page #{page[0]}: {why}")
    return AGAIN


async def futex_wait(
    k: K,
    mm: Ref,
    addr: int,
    *,
    validate: bool = True,
    pin: str = INC_NOT_ZERO,
    swizzle: str = FINAL,
) -> int | None:
    """FUTEX_WAIT whose value check fails at once (EWOULDBLOCK): build the key, drop it."""
    await k.begin("FW0", "futex_wait")
    key = await get_futex_key(k, mm, addr, validate=validate, pin=pin, swizzle=swizzle)
    if key is not None:
        await put_futex_key(k, key)
    await k.end("FW9", "futex_wait")
    return key


# -- the world of 000a/000b ------------------------------------------------------------------

UADDR = 0x7F0000000000  # the futex word: page 0 of a MAP_SHARED mapping of file F
WAITS = 8


def shared_file_page(model: PageCacheModel, nlink: int = 1) -> tuple[Obj, Obj, Obj, Obj, Obj]:
    """A process maps file F MAP_SHARED at UADDR; F's page P at index 0 is cached and mapped by
    the process's pte. Returns (mm, inode, mapping, vma, P)."""
    mm = model.new_mm()
    inode, mapping = model.new_file(4 * PAGE, nlink=nlink)
    vma = model.new_vma(
        mm, UADDR, UADDR + 4 * PAGE, vkind="file", file=inode.oid, shared=1, writable=1
    )
    mapping.f["i_mmap"].append(vma.oid)
    page = model.new_page(FILE)
    model.cache_initial(mapping, page, 0)
    model.map_initial(mm, UADDR, page)
    return mm, inode, mapping, vma, page


def unlinked_file_world(
    cpu0: Callable[[K, Ref, int], Awaitable[object]], options: ModelOptions
) -> tuple[PageCacheModel, list[ActorSpec]]:
    """000a/000b initial state: F is unlinked but still open (i_count 1 from the struct file),
    its page P at index 0 is cached and mapped shared by the process's pte; CPU0 (thread A)
    runs ``cpu0``, CPU1 (thread B) munmaps and closes, CPU2 (another task) opens a file, which
    may reuse F's inode memory once RCU has freed it."""
    model = PageCacheModel(options)
    mm, inode, _mapping, vma, _page = shared_file_page(model, nlink=0)
    mm_ref, vma_ref, inode_ref = model.ref(mm), model.ref(vma), model.ref(inode)

    async def thread_a(k: K) -> None:
        # A lock waiter's loop (pthread_mutex_lock slow path): futex_wait returns at once while
        # the lock word keeps changing, so the thread keys the futex again and again, until
        # get_futex_key fails because the mapping is gone.
        for _ in range(WAITS):
            if await cpu0(k, mm_ref, UADDR) is None:
                break

    async def thread_b(k: K) -> None:
        await munmap(k, mm_ref, vma_ref, (UADDR,))
        await close_file(k, inode_ref)

    async def other_task(k: K) -> None:
        await k.alloc_inode("O1", PAGE, 1)

    return model, [
        actor("CPU0", thread_a),
        actor("CPU1", thread_b),
        actor("CPU2", other_task),
        actor(RCU_ACTOR, rcu_gp, daemon=True),
    ]
