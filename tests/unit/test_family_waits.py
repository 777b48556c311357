"""Family primitives for user races: PG_writeback and its waiters, killable page-lock waits
ended by a fatal signal sent by a step, do_shared_fault with ->page_mkwrite (the page re-locked
and its mapping re-checked: VM_FAULT_NOPAGE after a truncate), and GUP for write with
set_page_dirty_lock. The actors order themselves by polling the model between steps (tests
only), so the facts hold under every seed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from actors.api import K, actor
from actors.kernel.fault import do_shared_fault, filemap_page_mkwrite
from actors.kernel.filemap import File, file_view, vma_view
from actors.kernel.truncate import truncate_pagecache
from actors.kernel.writeback import gup_write_and_dirty, writepage_start
from actors.model import PageCacheModel
from actors.objects import ANON, FILE, Ref
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy

PAGE = 4096
MAP = 0x10000
EINTR = -4


def run(
    m: PageCacheModel, progs: dict[str, Callable[[K], Awaitable[None]]], seed: int = 0
) -> RunResult:
    actors = [actor(n, p) for n, p in progs.items()]
    return run_sync(m, actors, RunConfig(make_strategy("chaos", seed)))


def labels(r: RunResult, who: int | None = None) -> list[str]:
    return [e.decode().label for e in r.events if who is None or e.actor == who]


# -- PG_writeback ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_wait_on_page_writeback_sleeps_until_end_page_writeback(seed: int) -> None:
    m = PageCacheModel()
    page = m.new_page(FILE, holders=("cache",))
    page.f["dirty"] = 1
    p = m.ref(page)
    seen: list[str] = []

    async def flusher(k: K) -> None:
        assert await writepage_start(k, p)
        while not m.locks.locks[(p[0], "PG_writeback")].shared:
            await k.note("IO0", "bio in flight")
        seen.append("end")
        await k.end_page_writeback("IO1", p)

    async def waiter(k: K) -> None:
        while not page.f["writeback"]:
            await k.note("W0", "truncate comes")
        await k.wait_on_page_writeback("W1", p)
        seen.append("woken")

    r = run(m, {"FLUSH": flusher, "CPU1": waiter}, seed)
    assert r.outcome.status == "clean", r.outcome
    assert seen == ["end", "woken"] and page.f["writeback"] == 0 and page.f["dirty"] == 0


def test_set_page_writeback_needs_the_page_lock_and_end_needs_writeback() -> None:
    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))

    async def unlocked(k: K) -> None:
        await k.set_page_writeback("WB2", p)

    v = run(m, {"CPU0": unlocked}).outcome.violation
    assert v is not None and v.oracle == "INV-LOCK-3", v

    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))

    async def end_twice(k: K) -> None:
        await k.end_page_writeback("IO1", p)

    v = run(m, {"CPU0": end_twice}).outcome.violation
    assert v is not None and v.oracle == "INV-LOCK-1" and "not under writeback" in v.message


def test_truncate_waits_for_writeback_under_the_page_lock() -> None:
    """truncate_inode_pages: lock_page, then wait_on_page_writeback (T2c) before removal."""
    m = PageCacheModel()
    inode, mapping = m.new_file(size=2 * PAGE)
    page = m.cache_file_page(mapping, 1)
    page.f["dirty"] = 1
    f, p = file_view(m, inode), m.ref(page)
    order: list[str] = []

    async def flusher(k: K) -> None:
        assert await writepage_start(k, p)
        while not m.locks.locks[(p[0], "PG_writeback")].shared:
            await k.note("IO0", "bio in flight")
        order.append("IO done")
        await k.end_page_writeback("IO1", p)

    async def truncater(k: K) -> None:
        while not page.f["writeback"]:
            await k.note("T", "later")
        await truncate_pagecache(k, f, PAGE)
        order.append("truncated")

    r = run(m, {"FLUSH": flusher, "CPU1": truncater})
    assert r.outcome.status == "clean", r.outcome
    assert order == ["IO done", "truncated"]


# -- killable waits and fatal signals ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_fatal_signal_ends_a_killable_page_lock_wait(seed: int) -> None:
    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))
    got: list[int] = []

    async def holder(k: K) -> None:
        await k.lock_page("H1", p)
        while not got:
            await k.note("H2", "holds the page lock")
        await k.unlock_page("H3", p)

    async def victim(k: K) -> None:
        while not m.core.frames[0].held:
            await k.note("V0", "fault")
        got.append(await k.lock_page_killable("V1", p))
        assert await k.fatal_signal_pending("V2")

    async def killer(k: K) -> None:
        while not m.core.frames[1].killable:
            await k.note("K0", "oom")
        assert await k.send_fatal_signal("K1", "CPU1")

    r = run(m, {"CPU0": holder, "CPU1": victim, "CPU2": killer}, seed)
    assert r.outcome.status == "clean", r.outcome
    assert got == [EINTR]


def test_killable_lock_takes_a_free_page_even_with_a_signal_pending() -> None:
    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))
    got: list[int] = []

    async def prog(k: K) -> None:
        await k.send_fatal_signal("S0", "CPU0")
        got.append(await k.lock_page_killable("L1", p))  # free: test_and_set_bit_lock first
        await k.unlock_page("L2", p)

    async def other(k: K) -> None:
        await k.note("X", "idle")

    r = run(m, {"CPU0": prog, "CPU1": other})
    assert r.outcome.status == "clean", r.outcome
    assert got == [0]


def test_uninterruptible_lock_page_ignores_the_signal() -> None:
    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))
    sent: list[bool] = []

    async def holder(k: K) -> None:
        await k.lock_page("H1", p)
        while not sent:
            await k.note("H2", "holds")
        await k.unlock_page("H3", p)

    async def victim(k: K) -> None:
        while not m.core.frames[0].held:
            await k.note("V0", "fault")
        await k.lock_page("V1", p)  # TASK_UNINTERRUPTIBLE
        await k.unlock_page("V2", p)

    async def killer(k: K) -> None:
        while m.core.frames[1].waiting is None:
            await k.note("K0", "oom")
        sent.append(await k.send_fatal_signal("K1", "CPU1"))

    r = run(m, {"CPU0": holder, "CPU1": victim, "CPU2": killer})
    assert r.outcome.status == "clean", r.outcome
    assert sent == [False] and "V2" in labels(r)


# -- do_shared_fault with ->page_mkwrite --------------------------------------------------------


def shared_file(npages: int) -> tuple[PageCacheModel, Ref, list[Ref]]:
    m = PageCacheModel()
    inode, mapping = m.new_file(size=npages * PAGE)
    pages = [m.ref(m.cache_file_page(mapping, i)) for i in range(npages)]
    vma = m.new_file_vma(m.new_mm(), inode, MAP, npages, shared=True)
    return m, m.ref(vma), pages


def test_shared_write_fault_maps_the_page_writable_and_dirty() -> None:
    m, vma, pages = shared_file(2)
    vo = m.objs[vma[0]]
    f, v = file_view(m, m.objs[vo.f["file"]]), vma_view(m, vo)

    async def prog(k: K) -> None:
        assert await do_shared_fault(k, f, v, v.addr(1))

    r = run(m, {"CPU0": prog})
    assert r.outcome.status == "clean", r.outcome
    mm = m.objs[v.mm[0]]
    assert mm.f["ptes"][v.addr(1)] == (pages[1][0], 1)
    assert m.objs[pages[1][0]].f["dirty"] == 1
    assert labels(r).index("SF1") < labels(r).index("PM1") < labels(r).index("FS4")


@pytest.mark.parametrize("seed", range(10))
def test_page_mkwrite_after_truncate_returns_nopage(seed: int) -> None:
    """The page is truncated between the fault's unlock (SF1) and ->page_mkwrite's lock_page
    (PM1): page->mapping is NULL at PM2, VM_FAULT_NOPAGE, no pte (so INV-MAP-1 and INV-EOF-1
    hold)."""
    m, vma, _pages = shared_file(2)
    vo = m.objs[vma[0]]
    f, v = file_view(m, m.objs[vo.f["file"]]), vma_view(m, vo)
    at_mkwrite: list[bool] = []
    truncated: list[bool] = []
    result: list[bool] = []

    async def preempted_mkwrite(k: K, f: File, page: Ref) -> bool:
        at_mkwrite.append(True)  # after SF1's unlock_page
        while not truncated:
            await k.note("X1", "preempted before ->page_mkwrite")
        return await filemap_page_mkwrite(k, f, page)

    async def fault(k: K) -> None:
        result.append(await do_shared_fault(k, f, v, v.addr(1), page_mkwrite=preempted_mkwrite))

    async def truncater(k: K) -> None:
        while not at_mkwrite:
            await k.note("T", "later")
        await truncate_pagecache(k, f, PAGE)
        truncated.append(True)

    r = run(m, {"CPU0": fault, "CPU1": truncater}, seed)
    assert r.outcome.status == "clean", r.outcome
    assert result == [True]
    assert v.addr(1) not in m.objs[v.mm[0]].f["ptes"]
    assert "SF2" in labels(r) and "FS4" not in labels(r)


def test_gup_write_and_dirty_breaks_cow_and_dirties_under_the_lock() -> None:
    m = PageCacheModel()
    av = m.new_anon_vma()
    mm = m.new_mm()
    m.new_vma(mm, 0, 0x10000, vkind="anon", anon_vma=av)
    page = m.new_page(ANON)
    page.f["mapping"] = av
    page.f["anon"] = 1
    m.map_initial(mm, 0x1000, page, writable=0)
    other = m.new_mm()
    m.new_vma(other, 0, 0x10000, vkind="anon", anon_vma=av)
    m.map_initial(other, 0x1000, page, writable=0)  # shared with a forked child
    got: list[Ref | None] = []

    async def prog(k: K) -> None:
        got.append(await gup_write_and_dirty(k, m.ref(mm), 0x1000, "gup:CPU0"))

    r = run(m, {"CPU0": prog})
    assert r.outcome.status == "clean", r.outcome
    new = got[0]
    assert new is not None and new[0] != page.oid
    assert m.objs[new[0]].f["dirty"] == 1 and page.f["dirty"] == 0
    assert labels(r)[-4:] == ["SD1", "SD2", "SD3", "GW3"]
