"""Reclaim of one page as Linux 3.0.1 shrink_page_list does it (actors/kernel/reclaim.py): a
dirty file page is written back before it leaves the cache, __remove_mapping's refcount freeze
fails while anybody else holds a reference, and a pinned page is never freed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from actors.api import K, actor
from actors.kernel.fault import fault_anon_swap
from actors.kernel.lookup import find_get_page
from actors.kernel.reclaim import reclaim_page
from actors.kernel.swap import block_io
from actors.model import PageCacheModel
from actors.model.mm import VmaInfo
from actors.objects import FREE, Obj, Ref
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy

Prog = Callable[[K], Awaitable[None]]
ADDR = 0x1000


def run(m: PageCacheModel, progs: dict[str, Prog], seed: int = 0) -> RunResult:
    actors = [actor(n, p) for n, p in progs.items()]
    actors.append(actor("IO", block_io, daemon=True))
    return run_sync(m, actors, RunConfig(make_strategy("random", seed)))


def ops(r: RunResult) -> list[tuple[str, str, object]]:
    """(label, op, result) of every applied step."""
    out = []
    for ev in r.events:
        d = ev.decode()
        if d.status == "ok":
            out.append((d.label, d.op, d.result))
    return out


def file_page(m: PageCacheModel, dirty: bool, mapped: bool) -> tuple[Obj, Obj, Obj]:
    """A file with one cached page at index 0, dirty or clean, mapped shared at ADDR or not."""
    inode, mapping = m.new_file(4096)
    page = m.cache_file_page(mapping, 0)
    page.f["dirty"] = int(dirty)
    if mapped:
        mm = m.new_mm()
        m.new_file_vma(mm, inode, ADDR, 1, shared=True)
        m.map_initial(mm, ADDR, page)
    return inode, mapping, page


async def reclaim_until_freed(k: K, page: Ref, passes: int = 4) -> int:
    """Memory pressure that keeps finding the page on the LRU: a pass, then (while its write
    is in flight) time for the IO, then another pass."""
    for _ in range(passes):
        if await reclaim_page(k, page):
            return 1
        while await k.page_flag("T0", page, "writeback"):
            await k.note("T0", "the LRU scan comes back later")
    return 0


@pytest.mark.parametrize("mapped", [False, True])
def test_a_dirty_file_page_is_written_back_before_it_is_removed(mapped: bool) -> None:
    m = PageCacheModel()
    _inode, mapping, page = file_page(m, dirty=True, mapped=mapped)
    p = m.ref(page)
    freed: list[int] = []

    async def kswapd(k: K) -> None:
        freed.append(await reclaim_until_freed(k, p))

    r = run(m, {"kswapd": kswapd})
    assert r.outcome.status == "clean", r.outcome
    assert freed == [1] and page.state == FREE and mapping.f["tree"] == {}
    steps = ops(r)
    write = steps.index(("PO3", "set_page_writeback", 0))
    done = steps.index(("BIO2", "end_page_writeback", None))
    removed = steps.index(("RC7", "reclaim_remove_mapping", True))
    assert steps.index(("PO2", "set_page_flag", None)) < write < done < removed
    assert steps.index(("PO1", "is_page_cache_freeable", True)) < write


def test_remove_mapping_refuses_a_dirty_page() -> None:
    """__remove_mapping's PageDirty test after the freeze (3.0.1 mm/vmscan.c:518): a page
    dirtied after pageout's checks stays."""
    m = PageCacheModel()
    _inode, mapping, page = file_page(m, dirty=True, mapped=False)
    p = m.ref(page)
    got: list[bool] = []

    async def reclaimer(k: K) -> None:
        assert await k.get_page_unless_zero("T1", p, "isolate:R")
        await k.lock_page("T2", p)
        got.append(await k.reclaim_remove_mapping("T3", p, "isolate:R"))
        await k.set_page_flag("T4", p, "dirty", 0)
        got.append(await k.reclaim_remove_mapping("T5", p, "isolate:R"))

    assert run(m, {"R": reclaimer}).outcome.status == "clean"
    assert got == [False, True] and page.state == FREE and mapping.f["tree"] == {}


def test_the_refcount_freeze_fails_while_a_speculative_reference_is_held() -> None:
    """A lookup's get_page_unless_zero taken after reclaim's earlier checks: the freeze of 2
    fails while it is held, and the page stays in the cache. Over seeds, every run where
    the reference was held across RC7 kept the page; the page is freed only when it was not
    held; no run breaks a refcount."""
    held_across = freed = 0
    for seed in range(120):
        m = PageCacheModel()
        _inode, mapping, page = file_page(m, dirty=False, mapped=False)
        p = m.ref(page)

        def speculative(p: Ref) -> Prog:
            async def prog(k: K) -> None:
                if await k.get_page_unless_zero("L1", p, "spec"):
                    await k.note("L2", "reads the page")
                    await k.put_page("L3", p, "spec")

            return prog

        async def kswapd(k: K, p: Ref = p) -> None:
            await reclaim_page(k, p)

        r = run(m, {"lookup": speculative(p), "kswapd": kswapd}, seed)
        assert r.outcome.status == "clean", (seed, r.outcome)
        steps = ops(r)
        rc7 = [i for i, s in enumerate(steps) if s[:2] == ("RC7", "reclaim_remove_mapping")]
        got = [i for i, s in enumerate(steps) if s == ("L1", "get_page_unless_zero", True)]
        put = [i for i, s in enumerate(steps) if s[:2] == ("L3", "put_page")]
        if rc7 and got and got[0] < rc7[0] < put[0]:
            held_across += 1
            assert steps[rc7[0]][2] is False and mapping.f["tree"] == {0: page.oid}
        if page.state == FREE:
            freed += 1
            assert not got or put[0] < rc7[0]
    assert held_across > 0 and freed > 0


def test_a_lockless_lookup_racing_reclaim_returns_the_cached_page_or_none() -> None:
    """find_get_page (speculative reference, slot re-check) against reclaim's freeze: the
    lookup returns the page only while it is the file's, never a freed or foreign page."""
    for seed in range(80):
        m = PageCacheModel()
        _inode, mapping, page = file_page(m, dirty=False, mapped=False)
        p, mref = m.ref(page), m.ref(mapping)
        found: list[Ref | None] = []

        async def lookup(k: K, mref: Ref = mref, found: list[Ref | None] = found) -> None:
            got = await find_get_page(k, mref, 0, "lookup")
            found.append(got)
            if got is not None:
                await k.put_page("L9", got, "lookup")

        async def kswapd(k: K, p: Ref = p) -> None:
            await reclaim_page(k, p)

        r = run(m, {"lookup": lookup, "kswapd": kswapd}, seed)
        assert r.outcome.status == "clean", (seed, r.outcome)
        assert found in ([p], [None])


@pytest.mark.parametrize("dirty", [False, True])
def test_a_pinned_file_page_is_not_reclaimed(dirty: bool) -> None:
    """A GUP pin (direct IO, a futex key) makes the count 3: pageout's is_page_cache_freeable
    keeps a dirty page, __remove_mapping's freeze keeps a clean one."""
    m = PageCacheModel()
    _inode, mapping, page = file_page(m, dirty=dirty, mapped=True)
    page.f["holders"].append("gup:CPU0")
    page.f["_refcount"] += 1
    p = m.ref(page)

    async def kswapd(k: K) -> None:
        assert await reclaim_until_freed(k, p) == 0

    r = run(m, {"kswapd": kswapd})
    assert r.outcome.status == "clean", r.outcome
    assert page.state != FREE and mapping.f["tree"] == {0: page.oid}
    assert page.f["holders"] == ["cache", "gup:CPU0"] and page.f["dirty"] == int(dirty)
    if dirty:
        assert ("PO1", "is_page_cache_freeable", False) in ops(r)
    else:
        assert ("RC7", "reclaim_remove_mapping", False) in ops(r)


def test_a_pinned_anonymous_page_goes_to_swap_but_is_not_freed() -> None:
    """Reclaim unmaps a pinned anonymous page (try_to_unmap does not look at the count) but
    pageout keeps it: it stays in the swap cache, and the next fault maps the same page."""
    m = PageCacheModel()
    mm = m.new_mm()
    m.new_vma(mm, ADDR, ADDR + 0x1000, vkind="anon-swap")
    page = m.new_anon_page(mm, ADDR)
    page.f["holders"].append("gup:CPU0")
    page.f["_refcount"] += 1
    p, mref = m.ref(page), m.ref(mm)
    info: VmaInfo = ("anon-swap", 1, ADDR, 0, None)
    seen: list[object] = []

    async def cpu(k: K) -> None:
        seen.append(await reclaim_until_freed(k, p))
        seen.append(await k.pte_swap_entry("T1", mref, ADDR))
        seen.append(await k.page_private("T1", p))
        await fault_anon_swap(k, mref, info, ADDR, False)
        pte = await k.pte_read("T2", mref, ADDR)
        seen.append(None if pte is None else pte[0])

    r = run(m, {"CPU0": cpu})
    assert r.outcome.status == "clean", r.outcome
    assert seen == [0, 1, 1, p]
    assert ("PO1", "is_page_cache_freeable", False) in ops(r)
