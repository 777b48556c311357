"""003d — __put_anon_vma frees the root first, then anon_vma_free reads anon_vma->root.

From 3.0 (when anon_vma_free learnt to sync on the root mutex) to 624483f3ea82 "mm: rmap: fix
use-after-free in __put_anon_vma" (Andrey Ryabinin; in 4.9 mm/rmap.c:1710, stable 3.4.113
mm/rmap.c:1779), __put_anon_vma dropped the root's reference, and freed the root when that was
the last one, before it freed the anon_vma itself; anon_vma_free(anon_vma) then evaluates
mutex_is_locked(&anon_vma->root->mutex): a read of the root it has just freed. Nothing holds
rcu_read_lock on the exit path, so the SLAB_DESTROY_BY_RCU slab page may already be back in
the page allocator (KASAN: use-after-free).

Sources compared: 3.0.1 mm/rmap.c:1644 (__put_anon_vma, root first) and :85 (anon_vma_free);
2.6.39.3 anon_vma_free does not read ->root, so 2.6.39 is not affected. FIXED: 624483f3ea82's
order (the anon_vma first, then the root).

Actor: CPU1, a forked child whose parent has already exited, exits: the child's anon_vma A
(root R) loses its last reference, and so does R (its only reference was A's pin). No race: the
oracle (model option typesafe_uaf, on by default; "--set slab_page=kept" turns it off) is that a
freed type-safe object is read outside any RCU read-side section that predates the free
(INV-UAF-2).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.model import SLAB_PAGE_OPTION, PageCacheModel, lock_options, scenario_options
from actors.objects import ANON
from emulator.run.scenario import Scenario, Setup
from scenarios.anon_vma.anon_vma_lock import AV_FIRST, ROOT_FIRST, zap_and_unlink

ADDR = 0x1000


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel(scenario_options("E2011", options))
    mm = model.new_mm()
    r = model.new_anon_vma()  # the exited parent's anon_vma: only A's pin keeps it
    a = model.new_anon_vma(root=r)
    vma = model.new_vma(mm, 0, 0x10000, anon_vma=a)
    model.objs[a].f["chain"] = (vma.oid,)
    model.objs[r].f["chain"] = ()
    page = model.new_page(ANON)
    page.f["mapping"] = a
    page.f["anon"] = 1
    model.map_initial(mm, ADDR, page)
    order = ROOT_FIRST if variant == "buggy" else AV_FIRST

    async def child_exit(k: K) -> None:
        await zap_and_unlink(k, model.ref(mm), model.ref(vma), ADDR, order=order)

    return Setup(
        model=model,
        actors=[actor("CPU1", child_exit)],
        directed=[("CPU1", "X4")],
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "3.0.1 mm/rmap.c:1644 __put_anon_vma (root first) and :85 anon_vma_free. "
    "Simplified: the slab page is taken as released (the model cannot know the slab's other "
    "objects).",
    "fixed": "624483f3ea82 (4.9 mm/rmap.c:1710): the anon_vma first, then the root.",
}

SCENARIO = Scenario(
    name="anon-vma-root-uaf",
    spec_id="003d",
    thread="624483f3ea82 (Andrey Ryabinin): mm: rmap: fix use-after-free in __put_anon_vma",
    title="__put_anon_vma frees the root, then anon_vma_free reads anon_vma->root",
    era="E2011",
    commits="3.0 __put_anon_vma -> 624483f3ea82",
    build=build,
    expects={"buggy": ("INV-UAF-2",), "fixed": ()},
    options={**lock_options("E2011"), **SLAB_PAGE_OPTION},
)
