"""003c — sleeping inside the RCU read-side section of page_lock_anon_vma.

Thread: S003, Paul E. McKenney on Peter Zijlstra's "[PATCH 13/13] mm: Optimize
page_lock_anon_vma" (LKML 2010-04-09): the anon_vma lock became a mutex, and "since we cannot
wait for the mutex acquisition inside the RCU read lock, we use the ref count in the slow path".
The landed form, 88c22088bf23 "mm: Optimize page_lock_anon_vma() fast-path" (2.6.39), still
dropped that reference inside the read-side section when the page turned out to be unmapped
(A9); if it was the last reference, __put_anon_vma -> anon_vma_free takes the root lock, which
may sleep. Fixed by Hugh Dickins' 2014 "mm: fix sleeping function warning from __put_anon_vma"
(Fixes: 88c22088bf23; trinity: down_write < __put_anon_vma < page_get_anon_vma): "we should
not put_anon_vma() from inside an rcu_read_lock()ed section" (A9': leave the section first).

Actors: CPU0 = reclaim (shrink_page_list) on anon page P: the rmap walk of page_referenced,
then, if P is still mapped, the one of try_to_unmap; CPU1 = the only process mapping P exits;
CPU2 = migration of another page of the same anon_vma A, holding its own reference on A and
taking A's root lock for its rmap walk (so CPU0's trylock can fail and it takes the slow path).

anon_vma_free is a "sleeps" primitive as a whole (mm/rmap.c puts might_sleep() at its top), so
INV-RCU-1 fires whether or not the lock happens to be free: that is how trinity caught it.

Variants: "buggy" = BUGGY-2 (88c22088bf23), "fixed" = eee0f252c653 + Hugh 2014, and
"buggy-naive" = BUGGY-1, the naive conversion that calls mutex_lock inside the section.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.model import PageCacheModel, lock_options, scenario_options
from actors.objects import Ref
from emulator.run.scenario import Scenario, Setup
from scenarios.anon_vma.anon_vma_lock import (
    mapped_anon_page,
    page_unlock_anon_vma,
    put_anon_vma,
    rmap_walk_anon,
    zap_and_unlink,
)

ADDR = 0x1000
# Chaos hints: CPU0 between taking its reference and re-checking page_mapped; CPU2 while it
# holds the root lock (so CPU0's trylock fails and it takes the slow path).
WINDOWS = [("A8", "A9"), ("MG1", "MG3")]


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


async def migrate_other_page(k: K, av: Ref) -> None:
    """CPU2: migration of another page of A. Its page_get_anon_vma reference was taken before
    the scenario starts; remove_migration_ptes walks A under the root lock, then the reference
    is dropped (the last one frees A, outside any RCU section)."""
    await k.begin("MG0", "migrate_pages")
    await k.mutex_lock_via("MG1", av, "root")
    await k.avc_walk("MG2", av)
    await k.mutex_unlock_via("MG3", av, "root")
    await put_anon_vma(k, av)
    await k.end("MG4", "migrate_pages")


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(scenario_options("E2011", options))
    # refcount 2: the structural reference + CPU2's
    mm, a, vma, page = mapped_anon_page(model, ADDR, refcount=2)
    p, av = model.ref(page), (a, 1)

    async def walk(k: K) -> None:
        if variant == "buggy-naive":
            await rmap_walk_naive(k, p)
        else:
            await rmap_walk_anon(k, p, fixed=variant == "fixed")

    async def reclaim(k: K) -> None:
        """shrink_page_list on P: page_referenced's rmap walk, then try_to_unmap's."""
        if not await k.trylock_page("R1", p):
            return
        await walk(k)  # page_referenced (rmap_walk_anon brackets any walk as try_to_unmap)
        if await k.page_mapped("R3", p):
            await walk(k)  # try_to_unmap
        await k.unlock_page("R6", p)
        await k.put_page("R6", p, "isolate:CPU0")

    async def exiter(k: K) -> None:
        await zap_and_unlink(k, model.ref(mm), model.ref(vma), ADDR)

    async def migration(k: K) -> None:
        await migrate_other_page(k, av)

    return Setup(
        model=model,
        actors=[actor("CPU0", reclaim), actor("CPU1", exiter), actor("CPU2", migration)],
        windows=WINDOWS,
        directed=[
            ("CPU2", "MG1"),  # 1. CPU2 holds A.root.lock
            ("CPU0", "A8"),  # 2. CPU0 A1-A5: trylock fails; A8 refcount 2 -> 3
            ("CPU2", "MG4"),  # CPU2 unlocks, drops its reference 3 -> 2
            ("CPU1", "X4"),  # 3. CPU1 zaps P, unlinks, put_anon_vma 2 -> 1
            ("CPU0", "AF0"),  # 4. CPU0 A9: P unmapped -> put 1 -> 0 -> anon_vma_free
        ],
    )


SCENARIO = Scenario(
    name="anon-vma-rcu-sleep",
    spec_id="003c",
    thread="S003 McKenney on [PATCH 13/13] mm: Optimize page_lock_anon_vma (2010-04-09)",
    title="put_anon_vma (may sleep) inside page_lock_anon_vma's RCU read-side section",
    era="E2011",
    commits="88c22088bf23 -> eee0f252c653 + Hugh Dickins 2014 (fix sleeping function warning)",
    build=build,
    expects={"buggy": ("INV-RCU-1",), "fixed": (), "buggy-naive": ("INV-RCU-1",)},
    variants=("buggy", "fixed", "buggy-naive"),
    options=lock_options("E2011"),
)
