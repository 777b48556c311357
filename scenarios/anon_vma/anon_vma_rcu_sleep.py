"""003c — sleeping inside the RCU read-side section of page_lock_anon_vma.

Thread: S003, Paul E. McKenney on Peter Zijlstra's "[PATCH 13/13] mm: Optimize
page_lock_anon_vma" (LKML 2010-04-09): the anon_vma lock became a mutex, and "since we cannot
wait for the mutex acquisition inside the RCU read lock, we use the ref count in the slow path".
The landed form, 88c22088bf23 "mm: Optimize page_lock_anon_vma() fast-path" (v3.0-rc1 window),
and every mainline kernel from 3.0 to 3.15 (3.2.7 rmap.c:486-489 too) drop that reference
inside the read-side section when the page turned out to be unmapped (A9). If it was the last
reference, __put_anon_vma -> anon_vma_free takes the root mutex, which may sleep. Fixed by Hugh
Dickins' 2014 "mm: fix sleeping function warning from __put_anon_vma" (Fixes: 88c22088bf23;
trinity: down_write < __put_anon_vma < page_get_anon_vma): "we should not put_anon_vma() from
inside an rcu_read_lock()ed section" (A9': leave the section first).

Sources compared: 3.0.1 and 3.2.7 mm/rmap.c. Their anon_vma_free (3.0.1 rmap.c:85) has no
might_sleep() at its top (that annotation came with Hugh's fix: 3.4.113 rmap.c:108, 4.9
rmap.c:114). It sleeps only when ``mutex_is_locked(&anon_vma->root->mutex)``: then it takes and
drops the root mutex, whose mutex_lock is might_sleep(). So the warning needs a fourth party
that holds the root lock at the moment the walker drops the last reference inside RCU.

Actors (the natural four-party setup): A is the anon_vma of a forked child, whose root is the
parent's anon_vma R. CPU0 = reclaim (shrink_page_list) on the child's COWed page X: the rmap
walk of page_referenced, then, if X is still mapped, the one of try_to_unmap. CPU1 = the child
exits (zap X, unlink A's chain under R's lock, put A). CPU2 = rmap walks of a parent page Y of
R, one after another, each holding R's lock. CPU0's trylock of R fails while CPU2 walks, so it
takes the slow path (A8: A 1 -> 2); CPU1's exit puts A 2 -> 1; CPU0's A9 finds X unmapped and
puts A 1 -> 0 inside RCU: __put_anon_vma (root first, 3.0.1 rmap.c:1644) -> anon_vma_free(A) ->
AF1 R is locked (CPU2's next walk) -> AF2 mutex_lock: INV-RCU-1 ("BUG: sleeping function called
from invalid context" under CONFIG_PREEMPT, "Illegal context switch in RCU read-side critical
section" with PROVE_RCU from 3.2). If nobody holds R at AF1, 3.0 frees A without sleeping: the
same interleaving is clean (tests/scenarios/facts/test_anon_vma_rcu_sleep.py).

Variants: "buggy" = BUGGY-2 (88c22088bf23 / 3.0 - 3.15), "fixed" = eee0f252c653 + Hugh 2014 (with
its unconditional might_sleep(), which is harmless outside RCU), and "buggy-naive" = BUGGY-1,
the naive conversion that calls mutex_lock inside the section.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.model import SLAB_PAGE_OPTION, PageCacheModel, lock_options, scenario_options
from actors.objects import Obj, Ref
from emulator.run.scenario import Scenario, Setup
from scenarios.anon_vma.anon_vma_lock import (
    mapped_anon_page,
    page_unlock_anon_vma,
    rmap_walk_anon,
    zap_and_unlink,
)

ADDR = 0x1000
RECLAIM_WALKS = 4
PARENT_WALKS = 20
PARENT_GAP = 2
# Chaos hints: CPU0 between its trylock and the put inside RCU; CPU2 while it holds R's lock
# (so CPU0's trylock fails, and so anon_vma_free finds the root locked).
WINDOWS = [("A8", "PA1"), ("PW1", "PW3"), ("U1", "PA1")]
DIRECTED = [
    ("CPU2", "PW1"),  # 1. CPU2 holds R's lock (rmap walk of the parent's page Y)
    ("CPU0", "A8"),  # 2. CPU0 A1-A5b: trylock(R) fails; A8 A.refcount 1 -> 2
    ("CPU2", "PW3"),  #    CPU2 unlocks R
    ("CPU1", "X4"),  # 3. CPU1 zaps X, unlinks under R, put_anon_vma(A) 2 -> 1
    ("CPU2", "PW1"),  # 4. CPU2's next walk holds R again
    ("CPU0", "AF2"),  # 5. CPU0 A9: X unmapped -> put 1 -> 0 -> anon_vma_free(A): R locked ->
    #                      mutex_lock inside the RCU read-side section
]


async def page_lock_anon_vma_naive(k: K, page: Ref) -> Ref | None:
    """BUGGY-1: the obvious conversion of the spinlock-era code to a mutex: lock it while still
    inside the RCU read-side section that keeps the anon_vma type-stable."""
    await k.rcu_read_lock("A1")
    m, anon = await k.page_mapping("A2", page)
    av: Ref | None = None
    if m is not None and anon and await k.page_mapped("A3", page):
        av = m
        await k.mutex_lock_via("A5", av, "root")  # may sleep: inside RCU
        await k.commit("A7", av, "returned locked as the page's anon_vma")
    await k.rcu_read_unlock("A12")
    return av


async def rmap_walk_naive(k: K, page: Ref) -> None:
    await k.begin("R3", "try_to_unmap")
    av = await page_lock_anon_vma_naive(k, page)
    if av is not None:
        await k.avc_walk("W1", av)
        await page_unlock_anon_vma(k, av)
    await k.end("R3", "try_to_unmap")


async def parent_walks(k: K, root: Ref, walks: int = PARENT_WALKS) -> None:
    """CPU2: rmap walks (page_referenced, try_to_unmap, migration ...) of the parent's pages,
    one after another, each under R's lock (the walker of a parent page locks R directly: R is
    its own root)."""
    for _ in range(walks):
        await k.begin("PW0", "rmap_walk")
        await k.mutex_lock("PW1", root)
        for vma in await k.avc_walk("PW2", root):  # page_referenced_one per vma of the chain
            await k.note("PW2", "page_referenced_one(vma)", vma)
        await k.mutex_unlock("PW3", root)
        await k.end("PW4", "rmap_walk")
        for _ in range(PARENT_GAP):  # the scan goes on with other pages before it meets R again
            await k.note("PW5", "scan the next page")


def forked_child(model: PageCacheModel) -> tuple[Obj, Obj, int, Obj]:
    """The parent's anon_vma R (its own root; refcount 2: the parent's structural reference
    and the child's anon_vma's pin on its root) and the child's anon_vma A (root R, refcount 1)
    whose vma maps the COWed page X, isolated by reclaim (CPU0). Returns (child mm, child vma,
    R's oid, X)."""
    mm_p = model.new_mm()
    r = model.new_anon_vma()
    vma_p = model.new_vma(mm_p, 0, 0x10000, anon_vma=r)
    mm_c, a, vma_c, page = mapped_anon_page(model, ADDR)
    model.objs[a].f["root"] = r
    model.objs[r].f["refcount"] = 2
    model.objs[r].f["chain"] = (vma_p.oid, vma_c.oid)
    return mm_c, vma_c, r, page


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(scenario_options("E2011", options))
    mm, vma, r, page = forked_child(model)
    p, root = model.ref(page), (r, 1)

    async def walk(k: K) -> None:
        if variant == "buggy-naive":
            await rmap_walk_naive(k, p)
        else:
            await rmap_walk_anon(k, p, fixed=variant == "fixed")

    async def reclaim(k: K) -> None:
        """Reclaim scanning X: page_referenced's rmap walk from each LRU pass (shrink_active_list,
        then shrink_page_list), then try_to_unmap's, as long as X is still mapped."""
        if not await k.trylock_page("R1", p):
            return
        for _ in range(RECLAIM_WALKS):
            await walk(k)  # rmap_walk_anon brackets any walk as try_to_unmap
            if not await k.page_mapped("R3", p):
                break
        await k.unlock_page("R6", p)
        await k.put_page("R6", p, "isolate:CPU0")

    async def child_exit(k: K) -> None:
        await zap_and_unlink(k, model.ref(mm), model.ref(vma), ADDR)

    async def parent(k: K) -> None:
        await parent_walks(k, root)

    return Setup(
        model=model,
        actors=[actor("CPU0", reclaim), actor("CPU1", child_exit), actor("CPU2", parent)],
        windows=WINDOWS,
        directed=DIRECTED,
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "3.0.1 / 3.2.7 mm/rmap.c: the put inside RCU at A9 (3.2.7 :486-489), anon_vma_free "
    "without might_sleep (:85, sleeps only when the root mutex is locked), __put_anon_vma root "
    "first (:1644). Simplified: the parent's walks lock R directly.",
    "fixed": "Hugh Dickins 2014 (3.4.113 mm/rmap.c:108 might_sleep, :526-529 rcu_read_unlock "
    "before put_anon_vma) with 624483f3ea82's free order.",
    "buggy-naive": "kernel-scenarios.md BUGGY-1: mutex_lock inside the RCU section (never "
    "merged; the conversion McKenney warned about).",
}


SCENARIO = Scenario(
    name="anon-vma-rcu-sleep",
    spec_id="003c",
    thread="S003 McKenney on [PATCH 13/13] mm: Optimize page_lock_anon_vma (2010-04-09)",
    title="the last put_anon_vma inside page_lock_anon_vma's RCU section takes a root lock "
    "another walker holds",
    era="E2011",
    commits="88c22088bf23 (3.0-3.15 A9) -> eee0f252c653 + Hugh Dickins 2014 (fix sleeping "
    "function warning)",
    build=build,
    expects={"buggy": ("INV-RCU-1",), "fixed": (), "buggy-naive": ("INV-RCU-1",)},
    variants=("buggy", "fixed", "buggy-naive"),
    options={**lock_options("E2011"), **SLAB_PAGE_OPTION},
)
