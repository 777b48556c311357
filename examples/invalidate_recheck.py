"""Worked example of a user scenario script: invalidation that forgets to re-check
page->mapping after taking the page lock.

Every remover of a page-cache page holds the page lock *and re-checks page->mapping under it*
(truncate's T2b, invalidate's D2/I1, reclaim's __remove_mapping): the page may have been removed
by somebody else between the lockless lookup and the lock. CPU0 here is a drop_caches-style
invalidator; CPU1 truncates the same file. BUGGY skips the re-check and removes the page a second
time, dropping a page-cache reference it does not own (INV-REF-3). FIXED re-checks and skips.

Run it with:  pcemu run examples/invalidate_recheck.py --variant buggy --seed 8
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.model import PageCacheModel
from actors.objects import FILE
from emulator.run.scenario import Scenario, Setup


def build(variant: str, options: Mapping[str, str]) -> Setup:
    model = PageCacheModel()
    _inode, mapping = model.new_file(size=4096)
    page = model.new_page(FILE)
    model.cache_initial(mapping, page, index=0)
    m = model.ref(mapping)

    async def invalidate(k: K) -> None:
        found = await k.tree_load("D1a", m, 0)  # lockless lookup ...
        if found is None or not await k.get_page_unless_zero("D1b", found, "lookup:CPU0"):
            return  # ... pinned only if still live
        if await k.trylock_page("D1c", found):
            mapping_now, _anon = await k.page_mapping("D2", found)
            if variant == "fixed" and mapping_now is None:
                pass  # truncated under us: nothing to remove
            else:
                await k.delete_from_page_cache("D3", found)
            await k.unlock_page("D4", found)
        await k.put_page("D4", found, "lookup:CPU0")

    async def truncate(k: K) -> None:
        # find_get_page: a page found in the tree is pinned only if it is still live.
        found = await k.tree_load("T2a", m, 0)
        if found is None or not await k.get_page_unless_zero("T2a", found, "lookup:CPU1"):
            return
        await k.lock_page("T2a", found)
        mapping_now, _anon = await k.page_mapping("T2b", found)  # truncate always re-checks
        if mapping_now is not None:
            await k.delete_from_page_cache("T2e", found)
        await k.unlock_page("T2f", found)
        await k.put_page("T2f", found, "lookup:CPU1")

    return Setup(
        model=model,
        actors=[actor("CPU0", invalidate), actor("CPU1", truncate)],
        windows=[("D1b", "D2")],  # delay between the lookup and the re-check
        # 1. CPU0 finds and pins the page; 2. CPU1 truncates it; 3. CPU0 locks and removes.
        directed=[("CPU0", "D1b"), ("CPU1", "T2f")],
    )


SCENARIO = Scenario(
    name="invalidate-recheck",
    spec_id="example",
    thread="worked example (docs/writing-scenarios.md)",
    title="invalidate without re-checking page->mapping under the page lock",
    era="E2011",
    commits="-",
    build=build,
    expects={"buggy": ("INV-REF-3",), "fixed": ()},
)
