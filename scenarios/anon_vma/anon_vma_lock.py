"""Thread 003 code paths shared by its scenarios: page_lock_anon_vma as in 88c22088bf23 (the
landed form of Peter Zijlstra's "[PATCH 13/13] mm: Optimize page_lock_anon_vma", S003; merged in
the v3.0-rc1 window and replaced by eee0f252c653 before 3.0 shipped) and as fixed by eee0f252c653
plus Hugh Dickins' 2014 "mm: fix sleeping function warning from __put_anon_vma"; and the
anon_vma lifecycle (fork, unlink, put, free) of mm/rmap.c.

Sources compared: 2.6.39.3 and 3.0.1 mm/rmap.c and include/linux/rmap.h (anon_vma_free at
3.0.1 rmap.c:85 syncs on the root mutex only if it is locked, with no might_sleep() at its
top; __put_anon_vma at 3.0.1 rmap.c:1644 frees the root first); 3.4.113 rmap.c:108 and 4.9
rmap.c:114 for Hugh's 2014 might_sleep(); 4.9 rmap.c:1710 for 624483f3ea82's order. The minus
lines of eee0f252c653 for 88c22088bf23's page_lock_anon_vma.

Labels follow kernel-scenarios.md thread 003. The FIXED steps carry the same labels as the BUGGY
ones they replace (the spec writes them A4', A5' ...), so one directed schedule drives both.
"""

from __future__ import annotations

from collections.abc import Sequence

from actors.api import K
from actors.model import PageCacheModel
from actors.objects import ANON, Obj, Ref

# __put_anon_vma's order: "root-first" (2.6.39 - 3.x: the root is freed, then anon_vma_free(av)
# reads av->root, 3.0.1 rmap.c:1644) or "av-first" (624483f3ea82, in 4.9 rmap.c:1710).
ROOT_FIRST, AV_FIRST = "root-first", "av-first"


async def anon_vma_free(k: K, av: Ref, sync: bool = True, might_sleep_top: bool = False) -> None:
    """mm/rmap.c anon_vma_free: sync against a lock-only holder (a walker that holds the root
    lock without a reference) before kmem_cache_free. 3.0.1 rmap.c:85: it takes the root mutex,
    and so may sleep, only if that mutex is locked; ``might_sleep_top`` is the unconditional
    might_sleep() that came with Hugh Dickins' 2014 fix (3.4.113 rmap.c:108, 4.9 rmap.c:114)."""
    if might_sleep_top:
        await k.might_sleep("AF0", "anon_vma_free")
    if sync and await k.mutex_is_locked_via("AF1", av, "root"):
        await k.mutex_lock_via("AF2", av, "root")  # might_sleep() of mutex_lock
        await k.mutex_unlock_via("AF3", av, "root")
    await k.kmem_cache_free("AF4", av)


async def put_anon_vma(
    k: K, av: Ref, sync: bool = True, order: str = ROOT_FIRST, might_sleep_top: bool = False
) -> None:
    if await k.atomic_dec_and_test("PA1", av, "refcount"):
        await put_anon_vma_final(k, av, sync, order, might_sleep_top)


async def put_anon_vma_final(
    k: K, av: Ref, sync: bool = True, order: str = ROOT_FIRST, might_sleep_top: bool = False
) -> None:
    """__put_anon_vma: free an anon_vma whose count reached zero and drop the reference it held
    on its root, in the era's ``order``."""
    root = await k.read("PA2", av, "root")
    if order == AV_FIRST:
        await anon_vma_free(k, av, sync, might_sleep_top)
    if root[0] != av[0] and await k.atomic_dec_and_test("PA3", root, "refcount"):
        await anon_vma_free(k, root, sync, might_sleep_top)
    if order == ROOT_FIRST:
        await anon_vma_free(k, av, sync, might_sleep_top)  # reads av->root again at AF1


async def page_lock_anon_vma_buggy(k: K, page: Ref, leave_rcu_first: bool = False) -> Ref | None:
    """88c22088bf23 page_lock_anon_vma (S003 13/13; the minus lines of eee0f252c653): validates
    a trylocked anon_vma by its refcount, re-reads av->root at every lock operation, and puts
    inside the RCU section. ``mutex_trylock(&anon_vma->root->mutex)`` is two steps: A5a loads
    ->root, A5b trylocks what it loaded. ``leave_rcu_first`` applies only Hugh's 2014 A9' on top
    (003b needs the refcount check without the 003c bug)."""
    av: Ref | None = None
    await k.rcu_read_lock("A1")
    m, anon = await k.page_mapping("A2", page)
    if m is not None and anon and await k.page_mapped("A3", page):
        av = await k.note("A4", "anon_vma = mapping - PAGE_MAPPING_ANON", m)
        assert av is not None
        root = await k.read("A5a", av, "root")
        if await k.mutex_trylock("A5b", root):
            if await k.atomic_read("A6", av, "refcount") == 0:
                await k.mutex_unlock_via("A6", av, "root")
                av = None
            else:
                await k.commit("A7", av, "returned locked as the page's anon_vma")
        elif not await k.atomic_inc_not_zero("A8", av, "refcount"):
            av = None
        elif not await k.page_mapped("A9", page):
            if leave_rcu_first:
                await k.rcu_read_unlock("A9")  # A9' (Hugh 2014): leave the section first
                await put_anon_vma(k, av, order=AV_FIRST, might_sleep_top=True)
                return None
            await put_anon_vma(k, av)  # still inside the RCU read-side section
            av = None
        else:
            await k.rcu_read_unlock("A10")
            await k.mutex_lock_via("A10", av, "root")
            if await k.atomic_dec_and_test("A11", av, "refcount"):
                await k.mutex_unlock_via("A11", av, "root")
                await put_anon_vma_final(k, av)
                return None
            await k.commit("A11", av, "returned locked as the page's anon_vma")
            return av
    await k.rcu_read_unlock("A12")
    return av


async def page_lock_anon_vma_fixed(k: K, page: Ref) -> Ref | None:
    """eee0f252c653 + Hugh 2014 (mm/rmap.c@00170fdd0846 page_lock_anon_vma_read): the root is
    read once and the lock actually taken is the one released; a trylocked anon_vma is validated
    by page_mapped() (a mapped page's anon_vma cannot be freed while its root lock is held); the
    slow path leaves the RCU section before put_anon_vma, whose anon_vma_free carries Hugh's
    might_sleep() and frees in 624483f3ea82's order (the code as of 4.x)."""
    av: Ref | None = None
    await k.rcu_read_lock("A1")
    m, anon = await k.page_mapping("A2", page)
    if m is not None and anon and await k.page_mapped("A3", page):
        av = m
        root = await k.read("A4", av, "root")  # A4': root = READ_ONCE(anon_vma->root)
        if await k.mutex_trylock("A5", root):
            if not await k.page_mapped("A6", page):
                await k.mutex_unlock("A6", root)
                av = None
            else:
                await k.commit("A7", av, "returned locked as the page's anon_vma")
        elif not await k.atomic_inc_not_zero("A8", av, "refcount"):
            av = None
        elif not await k.page_mapped("A9", page):
            await k.rcu_read_unlock("A9")  # A9': leave the read-side section first
            await put_anon_vma(k, av, order=AV_FIRST, might_sleep_top=True)
            return None
        else:
            await k.rcu_read_unlock("A10")
            await k.mutex_lock_via("A10", av, "root")
            if await k.atomic_dec_and_test("A11", av, "refcount"):
                await k.mutex_unlock_via("A11", av, "root")
                await put_anon_vma_final(k, av, order=AV_FIRST, might_sleep_top=True)
                return None
            await k.commit("A11", av, "returned locked as the page's anon_vma")
            return av
    await k.rcu_read_unlock("A12")
    return av


async def page_unlock_anon_vma(k: K, av: Ref) -> None:
    """Unlocks av->root's lock, re-reading av->root (both eras)."""
    await k.mutex_unlock_via("W2", av, "root")


async def rmap_walk_anon(k: K, page: Ref, fixed: bool) -> None:
    """Reclaim's try_to_unmap / page_referenced on a locked anon page."""
    await k.begin("R3", "try_to_unmap")
    lock = page_lock_anon_vma_fixed if fixed else page_lock_anon_vma_buggy
    av = await lock(k, page)
    if av is not None:
        await k.avc_walk("W1", av)
        await page_unlock_anon_vma(k, av)
    await k.end("R3", "try_to_unmap")


async def zap_and_unlink(
    k: K,
    mm: Ref,
    vma: Ref,
    addr: int,
    before: Sequence[int] = (),
    sync: bool = True,
    order: str = ROOT_FIRST,
) -> None:
    """exit_mmap: zap the vma's ptes in address order (``before``, then the page's), then
    unlink_anon_vmas and drop the structural ref (``sync``: anon_vma_free syncs on the lock)."""
    await k.begin("X0", "exit_mmap")
    for a in (*before, addr):
        await k.spin_lock("X1", mm, "ptl")
        await k.pte_zap("X2", mm, a)
        await k.spin_unlock("X3", mm, "ptl")
    av = await k.read("U0", vma, "anon_vma")
    await k.mutex_lock_via("U1", av, "root")
    empty = await k.avc_unlink("U2", av, vma)
    await k.mutex_unlock_via("U3", av, "root")
    if empty:
        await put_anon_vma(k, av, sync, order)
    await k.end("X4", "exit_mmap")


async def anon_vma_fork(k: K, parent_av: Ref, child_vma: Ref) -> None:
    """anon_vma_fork (3.0.1 mm/rmap.c:280): allocate (maybe a recycled object) and the chain
    entry (GFP_KERNEL: may sleep), then switch its root to the parent's root without any lock,
    pin the root, link under the root lock."""
    await k.begin("F0", "fork")
    av = await k.anon_vma_alloc("F1")
    await k.note("F1b", "avc = anon_vma_chain_alloc(GFP_KERNEL)")
    root = await k.read("F2a", parent_av, "root")
    await k.write("F2", av, "root", root)  # anon_vma->root = pvma->anon_vma->root
    await k.atomic_inc("F3", root, "refcount")
    await k.mutex_lock("F4", root)
    await k.anon_vma_chain_link("F5", av, child_vma)
    await k.mutex_unlock("F6", root)
    await k.write("F7", child_vma, "anon_vma", av)
    await k.end("F8", "fork")


def mapped_anon_page(
    model: PageCacheModel, addr: int, refcount: int = 1
) -> tuple[Obj, int, Obj, Obj]:
    """Thread 003's initial state: a process whose one vma maps anon page P at ``addr``; P's
    anon_vma A is its own root and holds ``refcount`` references (1 = the structural one); reclaim
    (CPU0) has isolated P. Returns (mm, A's oid, vma, P)."""
    mm = model.new_mm()
    a = model.new_anon_vma()
    vma = model.new_vma(mm, 0, 0x10000, anon_vma=a)
    model.objs[a].f["chain"] = (vma.oid,)
    model.objs[a].f["refcount"] = refcount
    page = model.new_page(ANON, holders=("isolate:CPU0",))  # reclaim isolated P
    page.f["mapping"] = a
    page.f["anon"] = 1
    model.map_initial(mm, addr, page)
    return mm, a, vma, page
