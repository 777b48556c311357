"""003b (ii) — anon_vma_free's lock-held test against a trylock-then-read holder.

Thread: S003, Paul E. McKenney on Peter Zijlstra's "[PATCH 13/13] mm: Optimize
page_lock_anon_vma" (LKML 2010-04-09): "do we also need an smp_mb() here?"; the acquire-only
PPC mutex_trylock. The ordering comment of anon_vma_free (88c22088bf23, kept in
mm/rmap.c@00170fdd0846): the walker's mutex_trylock then atomic_read(refcount) against
put_anon_vma's atomic_dec_and_test (a full barrier) then the lock-held test; "LOCK should suffice
since the actual taking of the lock must happen _before_ what follows". herd7 on the current
LKMM says it does not (litmus/scenarios/pcemu-003b-ii.litmus: Sometimes): a lock acquisition is
only an acquire, its store may be seen after the walker's read of the refcount.

BUGGY = the code as the comment claims (trylock, then read the refcount). FIXED = with
smp_mb__after_spinlock() after the trylock (pcemu-003b-ii-mb.litmus: Never).

Actors: CPU0 = reclaim's rmap walk of anon page P: page_lock_anon_vma's fast path (88c22088bf23,
with Hugh Dickins' 2014 A9' so that only the barrier differs); CPU1 = the only process mapping P
exits: zap, unlink, put_anon_vma drops the last reference, anon_vma_free syncs on the lock.
anon_vma->refcount is a weak location. Found under WEAK only (TSO orders the trylock's locked
store before the read).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.model import SLAB_PAGE_OPTION, ModelOptions, PageCacheModel
from actors.objects import Ref
from emulator.run.scenario import Scenario, Setup
from scenarios.anon_vma.anon_vma_lock import mapped_anon_page, zap_and_unlink

ADDR = 0x4000


async def page_lock_anon_vma(k: K, page: Ref, barrier: bool) -> Ref | None:
    """88c22088bf23's fast path: trylock the root, trust a non-zero refcount."""
    av: Ref | None = None
    await k.rcu_read_lock("A1")
    m, anon = await k.page_mapping("A2", page)
    if m is not None and anon and await k.page_mapped("A3", page):
        av = await k.note("A4", "anon_vma = mapping - PAGE_MAPPING_ANON", m)
        assert av is not None
        ok, _root = await k.mutex_trylock_via("A5", av, "root")
        if not ok:
            av = None  # (the slow path is 003a/003c's business)
        else:
            if barrier:
                await k.smp_mb__after_spinlock("A5a")
            if await k.atomic_read("A6", av, "refcount") == 0:
                await k.mutex_unlock_via("A6", av, "root")
                av = None
            else:
                await k.commit("A7", av, "returned locked as the page's anon_vma")
    await k.rcu_read_unlock("A12")
    return av


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(
        ModelOptions(
            mem=options.get("mem", "WEAK"),
            typesafe_uaf=options.get("slab_page", "may-release") != "kept",
        )
    )
    mm, a, vma, page = mapped_anon_page(model, ADDR, refcount=1)
    model.weak(model.objs[a], "refcount")
    p = model.ref(page)

    async def reclaim(k: K) -> None:
        av = await page_lock_anon_vma(k, p, barrier=variant == "fixed")
        if av is not None:
            await k.avc_walk("W1", av)
            await k.mutex_unlock_via("W2", av, "root")

    async def exiter(k: K) -> None:
        await zap_and_unlink(k, model.ref(mm), model.ref(vma), ADDR, (), sync=True)

    return Setup(
        model=model,
        actors=[actor("CPU0", reclaim), actor("CPU1", exiter)],
        windows=[("A3", "A7"), ("U3", "AF4")],
        directed=[
            ("CPU0", "A4"),  # P is mapped: av = A
            ("CPU1", "U3"),  # zap P's pte, unlink the vma under A's lock
            ("CPU0", "A5"),  # trylock of A's lock succeeds
            # CPU1 zaps, unlinks, drops the last reference (full barrier) and reads the lock
            # word: its value before CPU0's lock store -> frees A at once.
            ("CPU1", "AF4", "weak"),
            # CPU0 reads the refcount before CPU1's decrement: 1 -> trusts A, walks it.
            ("CPU0", "A7", "weak"),
        ],
    )


SOURCES: dict[str, str] = {
    "buggy": "3.0.1 mm/rmap.c anon_vma_free's mutex_is_locked() test after the full-barrier "
    "atomic_dec_and_test, as its 'LOCK should suffice' comment claims, against "
    "page_lock_anon_vma's trylock then atomic_read; litmus core pcemu-003b-ii (herd7: Sometimes).",
    "fixed": "the same with smp_mb__after_spinlock() after the trylock; litmus core "
    "pcemu-003b-ii-mb (herd7: Never).",
}

SCENARIO = Scenario(
    name="anon-vma-free-barrier",
    spec_id="003b",
    thread="S003 McKenney on [PATCH 13/13] mm: Optimize page_lock_anon_vma (2010-04-09): "
    "do we also need an smp_mb() here?",
    title="anon_vma_free's lock-held test misses a trylock whose store is not yet visible",
    era="E2011",
    commits="88c22088bf23 anon_vma_free ('LOCK should suffice') -> + smp_mb__after_spinlock "
    "(derived, herd7)",
    build=build,
    # INV-AV-1 when the free sees the walker's lock; INV-UAF-2 when the walker's trylock store
    # was not yet visible to the free, so the walker then walks A freed outside RCU (its slab
    # page may be gone: "--set slab_page=kept" leaves INV-AV-1 only).
    expects={"buggy": ("INV-AV-1", "INV-UAF-2"), "fixed": ()},
    options=SLAB_PAGE_OPTION,
    mem="WEAK",
    mems=("WEAK", "TSO", "SC"),
)
