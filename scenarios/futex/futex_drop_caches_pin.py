"""001c — drop_caches against a page pinned by get_futex_key: remove_mapping's refcount freeze
is what keeps a valid futex from failing.

Thread: S001, Hugh Dickins, "Re: [GIT PULL] futex fixlet", LKML 2011-12-30: "Someone doing an
echo to /proc/sys/vm/drop_caches at the wrong moment causing this futex path to fail? The
invalidate used in drop_caches does back off if the page is mapped, but who's to say that page
reclaim didn't just unmap it independently." The answer, recorded in e6780f7243ed's log: "even
/proc/sys/vm/drop_caches poses no problem, because it ends up using remove_mapping(), which takes
care not to interfere when the page reference count is raised" (page_ref_freeze(page, 2)).

CPU0 does FUTEX_WAIT (repeatedly, as a lock waiter does; e6780f7243ed's get_futex_key) on a
MAP_SHARED page P of a regular file; RECLAIM unmaps P and leaves it in the cache (clean);
CPU1 runs `echo 1 > /proc/sys/vm/drop_caches` (invalidate_mapping_pages) a few times.

BUGGY = ablation of D3: remove the page without the freeze (what invalidate_complete_page2 does);
FIXED = remove_mapping with page_ref_freeze. Oracle: INV-FUTEX-3 (EFAULT because drop_caches
took a pinned page out of its file); with option ref4=on, INV-REF-4 already at D3 (drop_caches
semantics: a page somebody else holds must keep its mapping).
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.shmem import drop_caches, kswapd
from actors.model import PageCacheModel, lock_options, scenario_options
from emulator.run.scenario import Scenario, Setup
from scenarios.futex.futex_fixlet import FIXED, futex_wait
from scenarios.futex.futex_lockless import shared_file_page

PAGE = 4096
UADDR = 0x7F0000000000
WAITS = 4
DROPS = 3

WINDOWS = [("L1", "L3")]
DIRECTED = [
    ("CPU0", "L2"),  # 1. gup -> P (cache + pte + pin)
    ("RECLAIM", "R7"),  # 2. R3 try_to_unmap(P): P stays in the cache, clean, unmapped
    ("CPU1", "D5"),  # 3. D1 trylock P, D2 not mapped/dirty, D3 delete: P.mapping = NULL
    ("CPU0", "L5"),  # 4. L3 lock, L4 mapping NULL, L5 !PageSwapCache -> -EFAULT
]


def build(variant: str, options: Mapping[str, str]) -> Setup:
    freeze = variant == "fixed"
    model = PageCacheModel(
        scenario_options("E2011", options, ref4_drop_caches=options.get("ref4", "off") == "on")
    )
    mm, _inode, mapping, _vma, page = shared_file_page(model)
    mm_ref, page_ref, mapping_ref = model.ref(mm), model.ref(page), model.ref(mapping)

    async def cpu0(k: K) -> None:
        for _ in range(WAITS):
            if await futex_wait(k, mm_ref, UADDR, FIXED) is None:
                break

    async def cpu1(k: K) -> None:
        for _ in range(DROPS):
            await drop_caches(k, mapping_ref, freeze)

    async def reclaim(k: K) -> None:
        await kswapd(k, page_ref, unmap_only=True)

    return Setup(
        model=model,
        actors=[
            actor("CPU0", cpu0),
            actor("CPU1", cpu1),
            actor("RECLAIM", reclaim),
        ],
        windows=WINDOWS,
        directed=DIRECTED,
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "ablation: remove_mapping without page_ref_freeze; get_futex_key of e6780f7243ed "
    "(3.2.7 kernel/futex.c); reclaim unmap only.",
    "fixed": "remove_mapping / __remove_mapping with page_freeze_refs (3.0.1 mm/vmscan.c:484, "
    ":515).",
}


SCENARIO = Scenario(
    name="futex-drop-caches-pin",
    spec_id="001c",
    thread="S001 Hugh Dickins, Re: [GIT PULL] futex fixlet (2011-12-30)",
    title="drop_caches takes a GUP-pinned page out of its file without the refcount freeze",
    era="E2011",
    commits="remove_mapping freeze ablated -> remove_mapping with page_ref_freeze",
    build=build,
    expects={"buggy": ("INV-FUTEX-3", "INV-REF-4"), "fixed": ()},
    options={"ref4": ("off", "on"), **lock_options("E2011")},
)
