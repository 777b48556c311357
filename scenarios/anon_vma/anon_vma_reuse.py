"""003a — McKenney's reuse scenario: a trylock succeeds on a recycled anon_vma.

Thread: S003, Paul E. McKenney on Peter Zijlstra's "[PATCH 13/13] mm: Optimize
page_lock_anon_vma", LKML 2010-04-09 (McKenney's five steps). Landed as 88c22088bf23 "mm:
Optimize page_lock_anon_vma() fast-path"; fixed by eee0f252c653 "mm: fix page_lock_anon_vma
leaving mutex locked" (and earlier f18194275c39, the root-switch hang).

The anon_vma slab is SLAB_TYPESAFE_BY_RCU: an object freed while a walker sits in its RCU
section is immediately reusable as another anon_vma. The BUGGY walker trylocks av->root's lock
and trusts a non-zero refcount; a recycled object has one too. FIXED validates with
page_mapped() under the lock it actually took.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.rcu import RCU_ACTOR, rcu_gp
from actors.model import PageCacheModel, lock_options, scenario_options
from emulator.run.scenario import Scenario, Setup
from scenarios.anon_vma.anon_vma_lock import (
    anon_vma_fork,
    mapped_anon_page,
    rmap_walk_anon,
    zap_and_unlink,
)

ADDR = 0x1000


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(scenario_options("E2011", options))
    # The exiting process: one vma mapping anon page P, whose anon_vma A is its own root.
    mm1, _a, vma1, page = mapped_anon_page(model, ADDR)
    # An unrelated process that forks: its anon_vma R2 is the root of the child's new one.
    mm2 = model.new_mm()
    r2 = model.new_anon_vma()
    vma2 = model.new_vma(mm2, 0, 0x10000, anon_vma=r2)
    model.objs[r2].f["chain"] = (vma2.oid,)
    mm3 = model.new_mm()
    vma3 = model.new_vma(mm3, 0, 0x10000)

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
        await anon_vma_fork(k, (r2, 1), model.ref(vma3))

    return Setup(
        model=model,
        actors=[
            actor("CPU0", reclaim),
            actor("CPU1", exiter),
            actor("CPU2", forker),
            actor(RCU_ACTOR, rcu_gp, daemon=True),
        ],
        windows=[("A4", "A5"), ("A2", "A5")],
        directed=[
            ("CPU0", "A4"),  # 1. av = A (gen g), not yet trylocked
            ("CPU1", "AF4"),  # 2. zap, unlink, put 1->0, kmem_cache_free(A)
            ("CPU2", "F1"),  # 4. anon_vma_alloc returns A (gen g+1), refcount 1, root A
            ("CPU0", "A7"),  # 5. trylock(A.root.lock) succeeds, refcount 1 -> "locked" A
        ],
    )


SCENARIO = Scenario(
    name="anon-vma-reuse",
    spec_id="003a",
    thread="S003 McKenney on [PATCH 13/13] mm: Optimize page_lock_anon_vma (2010-04-09)",
    title="trylock succeeds on a recycled anon_vma (+ root switch)",
    era="E2011",
    commits="88c22088bf23 -> eee0f252c653",
    build=build,
    # 88c22088bf23 also drops the last reference inside the RCU section when its trylock fails
    # (A9): the same BUGGY code shows 003c's INV-RCU-1 on some interleavings.
    expects={"buggy": ("INV-ID-1", "INV-LOCK-1", "INV-LOCK-2", "INV-RCU-1"), "fixed": ()},
    options=lock_options("E2011"),
)
