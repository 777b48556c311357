"""003a — McKenney's reuse scenario: a trylock on a recycled anon_vma whose root switches under
the walker, so that the walker unlocks a lock it does not hold and leaks the one it took.

Thread: S003, Paul E. McKenney on Peter Zijlstra's "[PATCH 13/13] mm: Optimize
page_lock_anon_vma", LKML 2010-04-09 (McKenney's five steps). Landed as 88c22088bf23 "mm:
Optimize page_lock_anon_vma() fast-path" in the v3.0-rc1 merge window (not in 2.6.39, never in
a release); fixed before 3.0 by eee0f252c653 "mm: fix page_lock_anon_vma leaving mutex locked"
(Hugh Dickins). The same root switch had hit the spinlock form once before: f18194275c39
"page_unlock_anon_vma() might address a different root->lock" (2.6.36).

Sources compared: the minus lines of eee0f252c653 (88c22088bf23's page_lock_anon_vma); 3.0.1
mm/rmap.c:453 (the fix) and include/linux/rmap.h:111 (anon_vma_unlock re-reads ->root);
2.6.39.3 mm/rmap.c:80 (anon_vma_alloc: refcount 1, root self) and anon_vma_fork (->root set
without a lock). Simplifications: one vma per process, the chain is a tuple; the walk (W1) is
one step.

The anon_vma slab is SLAB_TYPESAFE_BY_RCU and its mutex is set up once by the constructor: an
object freed while a walker sits in its RCU section is immediately reusable as another anon_vma,
and a lock on it survives the free. The BUGGY walker loads av->root (A5a), trylocks what it
loaded (A5b) and trusts a non-zero refcount (A6); a recycled object has one too.

What is harmful and what is not: if the recycled object's root is switched (fork, F2) BEFORE
A5a, the walker trylocks the new root, walks a chain it does not care about and unlocks the same
root: harmless. If the root switches between A5a and page_unlock_anon_vma (W2, which re-reads
->root), the walker unlocks the new root's lock, which it does not hold (INV-LOCK-1: with
CONFIG_DEBUG_MUTEXES the kernel warns "lock->owner != current"; without it the unlock releases
another task's lock), and the lock it took stays locked for ever (the hang Hugh saw in
anon_vma_prepare). The recycling itself is reported as a diagnosis (the model option
reuse_diagnosis), not as a failure. FIXED saves the root it locked, validates with
page_mapped() and unlocks what it locked.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.rcu import RCU_ACTOR, rcu_gp
from actors.model import SLAB_PAGE_OPTION, PageCacheModel, lock_options, scenario_options
from emulator.run.scenario import Scenario, Setup
from scenarios.anon_vma.anon_vma_lock import (
    anon_vma_fork,
    mapped_anon_page,
    rmap_walk_anon,
    zap_and_unlink,
)

ADDR = 0x1000
FORKS = 3
# Chaos hints: CPU0 between its lockless load of page->mapping and its trylock, and between the
# load of ->root and the unlock that re-reads it; the fork between its allocation and the root
# switch (anon_vma_chain_alloc may sleep there).
WINDOWS = [("A2", "A5b"), ("A5a", "W2"), ("F1", "F2")]
DIRECTED = [
    ("CPU0", "A4"),  # 1. av = A (gen g), not yet trylocked
    ("CPU1", "AF4"),  # 2. zap, unlink, put 1 -> 0, kmem_cache_free(A)
    ("CPU2", "F1"),  # 3. anon_vma_alloc returns A (gen g+1), refcount 1, root A
    ("CPU0", "W1"),  # 4. A5a root = A, A5b trylock(A) succeeds, A6 refcount 1, A7, W1 walk
    ("CPU2", "F2a"),  #    fork reads the parent's root R2 ...
    ("CPU2", "F2"),  # 5. fork: A.root := R2
    ("CPU0", "W2"),  # 6. page_unlock_anon_vma re-reads A->root: unlock of R2, not held
]


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(scenario_options("E2011", options, reuse_diagnosis=True))
    # The exiting process: one vma mapping anon page P, whose anon_vma A is its own root.
    mm1, _a, vma1, page = mapped_anon_page(model, ADDR)
    # An unrelated process that forks: its anon_vma R2 is the root of the child's new one.
    mm2 = model.new_mm()
    r2 = model.new_anon_vma()
    vma2 = model.new_vma(mm2, 0, 0x10000, anon_vma=r2)
    model.objs[r2].f["chain"] = (vma2.oid,)
    # The forking process forks FORKS children, one after another (a forking server): each
    # fork allocates an anon_vma, which the slab may hand back recycled.
    children = []
    for _ in range(FORKS):
        mm3 = model.new_mm()
        children.append(model.ref(model.new_vma(mm3, 0, 0x10000)))

    p_ref = model.ref(page)
    fixed = variant == "fixed"

    async def reclaim(k: K) -> None:
        if not await k.trylock_page("R1", p_ref):
            return
        await rmap_walk_anon(k, p_ref, fixed)
        await k.unlock_page("R6", p_ref)
        await k.put_page("R6", p_ref, "isolate:CPU0")

    async def exiter(k: K) -> None:
        await zap_and_unlink(k, model.ref(mm1), model.ref(vma1), ADDR)

    async def forker(k: K) -> None:
        for child in children:
            await anon_vma_fork(k, (r2, 1), child)

    return Setup(
        model=model,
        actors=[
            actor("CPU0", reclaim),
            actor("CPU1", exiter),
            actor("CPU2", forker),
            actor(RCU_ACTOR, rcu_gp, daemon=True),
        ],
        windows=WINDOWS,
        directed=DIRECTED,
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "88c22088bf23's page_lock_anon_vma (minus lines of eee0f252c653; v3.0-rc1 window) "
    "with 2.6.39.3/3.0.1 mm/rmap.c anon_vma_alloc, anon_vma_fork (:280), anon_vma_free (:85), "
    "__put_anon_vma (:1644, root first). Simplified: one vma per process; the walk is one step.",
    "fixed": "eee0f252c653 as in 3.0.1 mm/rmap.c:453 (root saved, page_mapped validation) plus "
    "Hugh Dickins 2014 and 624483f3ea82's free order (4.9 mm/rmap.c:114, :1710).",
}


SCENARIO = Scenario(
    name="anon-vma-reuse",
    spec_id="003a",
    thread="S003 McKenney on [PATCH 13/13] mm: Optimize page_lock_anon_vma (2010-04-09)",
    title="trylock on a recycled anon_vma whose root switches: unlock of a lock not held",
    era="E2011",
    commits="88c22088bf23 (v3.0-rc1 window) -> eee0f252c653",
    build=build,
    # INV-LOCK-1: the unlock of the switched root (W2 or A6); INV-LOCK-2: the lock the walker
    # took leaks at the end of its walk. 88c22088bf23 also drops the last reference inside the
    # RCU section when its trylock fails (A9): with a root lock held that is 003c's INV-RCU-1.
    expects={"buggy": ("INV-LOCK-1", "INV-LOCK-2", "INV-RCU-1"), "fixed": ()},
    options={**lock_options("E2011"), **SLAB_PAGE_OPTION},
)
