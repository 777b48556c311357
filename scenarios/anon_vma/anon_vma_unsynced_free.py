"""003b (i) — a lock-only holder of an anon_vma vs an anon_vma_free that does not sync on the lock.

Thread: S003, Paul E. McKenney on Peter Zijlstra's "[PATCH 13/13] mm: Optimize
page_lock_anon_vma" (LKML 2010-04-09). McKenney: "Can the above mutex be contended?"; Peter:
"when the holder of the lock finds a !0 refcount it knows it can't go away because any free will
first wait to acquire the lock". That wait is anon_vma_free's "if the root lock is held, take it
and drop it" (88c22088bf23 "mm: Optimize page_lock_anon_vma() fast-path", kept with its ordering
comment in mm/rmap.c@00170fdd0846).

The walker's fast path returns the anon_vma holding only its root lock: no reference, and out of
the RCU section. Nothing but that sync keeps the object alive for it. BUGGY = the ablation
(kernel-scenarios.md 003b (i)): anon_vma_free frees at once. FIXED = the sync as landed.

Both variants use the 88c22088bf23 walker (refcount validation) with Hugh Dickins' 2014 fix
already applied (A9': put_anon_vma outside the RCU section), so that they differ in the free
only: without A9' the walker's own slow path trips INV-RCU-1 (scenario anon-vma-rcu-sleep).

Actors: CPU0 = reclaim (shrink_page_list) on anon page P, locked and isolated: the rmap walk of
page_referenced, then, if P is still mapped, the one of try_to_unmap; CPU1 = the only process
mapping P exits (zap, unlink, drop the structural reference); CPU2 = migration of another page
of the same anon_vma A, holding a page_get_anon_vma reference it drops when done.

Option ``anon_vma``: "own-root" (default: A is its own root) or "child" (A is a forked child's
anon_vma whose root is the parent's R; the parent stays). In the child form every lock the
walker and the exit take is R's (anon_vma_lock locks anon_vma->root->mutex, 3.0.1
include/linux/rmap.h:106; 012f18004da3 from 2.6.36), and so is the lock anon_vma_free syncs on
(3.0.1 mm/rmap.c:85): INV-AV-1 watches the root's lock, A's own mutex is never taken.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.model import SLAB_PAGE_OPTION, PageCacheModel, lock_options, scenario_options
from actors.objects import ANON, Ref
from emulator.run.scenario import Scenario, Setup
from scenarios.anon_vma.anon_vma_lock import (
    mapped_anon_page,
    page_lock_anon_vma_buggy,
    page_unlock_anon_vma,
    put_anon_vma,
    zap_and_unlink,
)

ADDR = 0x4000
OTHERS = (0x1000, 0x2000)  # other anon pages of the vma, below P
# Chaos hints: CPU0 between its page_mapped check and the trylock (CPU1's exit has to fit),
# and while it holds the lock on trust; CPU2 before it drops its reference.
WINDOWS = [("A3", "A5b"), ("A6", "W2"), ("MG0", "PA1")]


async def rmap_walk(k: K, page: Ref) -> None:
    """An anon rmap walk (page_referenced_anon, try_to_unmap_anon) under the anon_vma lock:
    88c22088bf23's walker, which trusts a trylocked anon_vma whose refcount is not zero (A6),
    with Hugh's A9' so that the free is the only difference between the variants."""
    av = await page_lock_anon_vma_buggy(k, page, leave_rcu_first=True)
    if av is not None:
        await k.avc_walk("W1", av)
        await page_unlock_anon_vma(k, av)


async def migrate_other_page(k: K, av: Ref, sync: bool) -> None:
    """CPU2: migration of another page of A is done; drop its page_get_anon_vma reference."""
    await k.begin("MG0", "migrate_pages")
    await k.note("MG1", "remove_migration_ptes done")
    await put_anon_vma(k, av, sync)
    await k.end("MG4", "migrate_pages")


def build(variant: str, options: Mapping[str, str]) -> Setup:
    sync = variant == "fixed"
    model = PageCacheModel(scenario_options("E2011", options))
    # refcount 2: the structural reference + CPU2's
    mm, a, vma, page = mapped_anon_page(model, ADDR, refcount=2)
    if options.get("anon_vma", "own-root") == "child":
        # The parent's anon_vma R: its own root, refcount 2 (the parent's structural reference
        # and A's pin on its root, anon_vma_fork 3.0.1 mm/rmap.c:280), chain: both vmas.
        parent_vma = model.new_vma(model.new_mm(), 0, 0x10000)
        r = model.new_anon_vma()
        parent_vma.f["anon_vma"] = r
        model.objs[r].f["refcount"] = 2
        model.objs[r].f["chain"] = (parent_vma.oid, vma.oid)
        model.objs[a].f["root"] = r
    for addr in OTHERS:
        other = model.new_page(ANON)
        other.f["mapping"] = a
        other.f["anon"] = 1
        model.map_initial(mm, addr, other)
    p, av = model.ref(page), (a, 1)

    async def reclaim(k: K) -> None:
        if not await k.trylock_page("R1", p):
            return
        await rmap_walk(k, p)  # page_referenced
        if await k.page_mapped("R3", p):
            await rmap_walk(k, p)  # try_to_unmap
        await k.unlock_page("R6", p)
        await k.put_page("R6", p, "isolate:CPU0")

    async def exiter(k: K) -> None:
        await zap_and_unlink(k, model.ref(mm), model.ref(vma), ADDR, OTHERS, sync)

    async def migration(k: K) -> None:
        await migrate_other_page(k, av, sync)

    return Setup(
        model=model,
        actors=[actor("CPU0", reclaim), actor("CPU1", exiter), actor("CPU2", migration)],
        windows=WINDOWS,
        directed=[
            ("CPU0", "A4"),  # 2. av = A; P mapped
            ("CPU1", "X4"),  # 3. zap P, unlink, put_anon_vma 2 -> 1
            ("CPU0", "A12"),  # 4. trylock ok, refcount 1 != 0 -> A returned locked, RCU left
            ("CPU2", "AF4"),  # 5. put 1 -> 0 -> anon_vma_free: kmem_cache_free under CPU0
        ],
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "ablation (kernel-scenarios.md 003b (i)): anon_vma_free without its lock sync; the "
    "walker is 88c22088bf23's with Hugh's A9'. Not re-audited beyond the A5a/A5b split.",
    "fixed": "anon_vma_free as landed (3.0.1 mm/rmap.c:85: lock and unlock the root if locked).",
}


SCENARIO = Scenario(
    name="anon-vma-unsynced-free",
    spec_id="003b",
    thread="S003 McKenney on [PATCH 13/13] mm: Optimize page_lock_anon_vma (2010-04-09)",
    title="anon_vma freed under a walker that holds only its lock (free without lock sync)",
    era="E2011",
    commits="anon_vma_free sync ablated -> 88c22088bf23 anon_vma_free (lock, unlock, free)",
    build=build,
    expects={"buggy": ("INV-AV-1",), "fixed": ()},
    options={"anon_vma": ("own-root", "child"), **lock_options("E2011"), **SLAB_PAGE_OPTION},
)
