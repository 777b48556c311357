"""A write fault on a present, read-only pte goes to do_wp_page (3.0.1 mm/memory.c:2477) instead
of re-faulting for ever: an anonymous page mapped once is reused (the pte becomes writable), one
shared with another mm after fork is copied, the ZERO_PAGE is copied; a write fault on an empty
anonymous pte maps a new page writable (do_anonymous_page). GUP for write gets the page the
fault left writable. x86 GUP-fast (2.6.27 - 4.12, arch/x86/mm/gup.c) is one step and leaves
the ZERO_PAGE (pte_special) to the slow path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from actors.api import K, actor
from actors.kernel.gup import GENERIC, NO_FAST, X86_IRQ, gup
from actors.model import PageCacheModel
from actors.objects import ANON, Obj, Ref
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy

ADDR = 0x1000


def run(m: PageCacheModel, prog: Callable[[K], Awaitable[None]], seed: int = 0) -> RunResult:
    return run_sync(m, [actor("CPU0", prog)], RunConfig(make_strategy("chaos", seed)))


def anon_mm(m: PageCacheModel, av: int | None) -> tuple[Obj, Obj]:
    mm = m.new_mm()
    vma = m.new_vma(mm, 0, 0x10000, vkind="anon", anon_vma=av)
    return mm, vma


def anon_page(m: PageCacheModel, av: int) -> Obj:
    p = m.new_page(ANON)
    p.f["mapping"] = av
    p.f["anon"] = 1
    return p


def labels(r: RunResult) -> list[str]:
    return [e.decode().label for e in r.events]


@pytest.mark.parametrize("fast", [NO_FAST, X86_IRQ, GENERIC])
def test_exclusive_anon_page_is_reused(fast: str) -> None:
    m = PageCacheModel()
    av = m.new_anon_vma()
    mm, _vma = anon_mm(m, av)
    page = anon_page(m, av)
    m.map_initial(mm, ADDR, page, writable=0)
    got: list[Ref | None] = []

    async def prog(k: K) -> None:
        got.append(await gup(k, m.ref(mm), ADDR, True, "gup:CPU0", fast))

    r = run(m, prog)
    assert r.outcome.status == "clean", r.outcome
    assert got == [m.ref(page)]
    assert mm.f["ptes"][ADDR] == (page.oid, 1)
    assert "WP4" in labels(r)  # reuse: pte_mkwrite


def test_page_shared_after_fork_is_copied() -> None:
    m = PageCacheModel()
    av = m.new_anon_vma()
    parent, _ = anon_mm(m, av)
    child, _ = anon_mm(m, av)
    page = anon_page(m, av)
    m.map_initial(parent, ADDR, page, writable=0)
    m.map_initial(child, ADDR, page, writable=0)
    got: list[Ref | None] = []

    async def prog(k: K) -> None:
        got.append(await gup(k, m.ref(child), ADDR, True, "gup:CPU0", X86_IRQ))

    r = run(m, prog)
    assert r.outcome.status == "clean", r.outcome
    new = got[0]
    assert new is not None and new[0] != page.oid
    assert child.f["ptes"][ADDR] == (new[0], 1)
    assert parent.f["ptes"][ADDR] == (page.oid, 0)
    assert page.f["mapcount"] == 0  # _mapcount: one pte left
    assert m.objs[new[0]].f["mapping"] == av and m.objs[new[0]].f["anon"] == 1


def test_zero_page_is_copied_on_write() -> None:
    m = PageCacheModel()
    mm, vma = anon_mm(m, None)
    zero = m.new_zero_page()
    got: list[Ref | None] = []

    async def prog(k: K) -> None:
        got.append(await gup(k, m.ref(mm), ADDR, False, "r:CPU0", X86_IRQ))  # read: ZERO_PAGE
        got.append(await gup(k, m.ref(mm), ADDR, True, "w:CPU0", X86_IRQ))  # write: COW

    r = run(m, prog)
    assert r.outcome.status == "clean", r.outcome
    assert got[0] == m.ref(zero) and got[1] is not None and got[1][0] != zero.oid
    assert mm.f["ptes"][ADDR] == (got[1][0], 1)
    assert vma.f["anon_vma"] is not None  # anon_vma_prepare ran
    assert zero.f["mapcount"] == -1  # _mapcount: no pte left


def test_write_fault_on_empty_anon_pte_maps_a_new_page() -> None:
    m = PageCacheModel()
    mm, _ = anon_mm(m, None)
    got: list[Ref | None] = []

    async def prog(k: K) -> None:
        got.append(await gup(k, m.ref(mm), ADDR, True, "gup:CPU0", X86_IRQ))

    r = run(m, prog)
    assert r.outcome.status == "clean", r.outcome
    assert got[0] is not None and mm.f["ptes"][ADDR] == (got[0][0], 1)


def test_x86_gup_fast_is_one_step_without_recheck() -> None:
    m = PageCacheModel()
    av = m.new_anon_vma()
    mm, _ = anon_mm(m, av)
    page = anon_page(m, av)
    m.map_initial(mm, ADDR, page, writable=1)

    async def prog(k: K) -> None:
        assert await gup(k, m.ref(mm), ADDR, True, "gup:CPU0", X86_IRQ) == m.ref(page)

    r = run(m, prog)
    assert r.outcome.status == "clean", r.outcome
    assert labels(r) == ["G1"]  # no G2 speculative get, no G3 pte re-check, no slow path


def test_x86_gup_fast_leaves_the_zero_page_to_the_slow_path() -> None:
    m = PageCacheModel()
    mm, _ = anon_mm(m, None)
    zero = m.new_zero_page()
    m.map_initial(mm, ADDR, zero, writable=0)

    async def prog(k: K) -> None:
        assert await gup(k, m.ref(mm), ADDR, False, "gup:CPU0", X86_IRQ) == m.ref(zero)

    r = run(m, prog)
    assert r.outcome.status == "clean", r.outcome
    assert "G4" in labels(r)  # _PAGE_SPECIAL: get_user_pages under mmap_sem


def test_busy_page_lock_is_waited_for_after_dropping_the_pte_lock() -> None:
    """do_wp_page trylocks the anon page; if that fails it drops the pte lock, sleeps on the
    page lock and re-checks pte_same (3.0.1 mm/memory.c do_wp_page)."""
    for seed in range(10):
        m = PageCacheModel()
        av = m.new_anon_vma()
        mm, _ = anon_mm(m, av)
        page = anon_page(m, av)
        m.map_initial(mm, ADDR, page, writable=0)
        p, mmr = m.ref(page), m.ref(mm)

        async def locker(k: K, p: Ref = p) -> None:
            await k.lock_page("R1", p)
            for _ in range(4):
                await k.note("R2", "reclaim work")
            await k.unlock_page("R3", p)

        async def writer(k: K, mmr: Ref = mmr) -> None:
            await k.note("W0", "write")
            await gup(k, mmr, ADDR, True, "gup:CPU1", NO_FAST)

        cfg = RunConfig(make_strategy("chaos", seed), directed=[("CPU0", "R1")])
        r = run_sync(m, [actor("CPU0", locker), actor("CPU1", writer)], cfg)
        assert r.outcome.status == "clean", r.outcome
        assert mm.f["ptes"][ADDR] == (page.oid, 1)
