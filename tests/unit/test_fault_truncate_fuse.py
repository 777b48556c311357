"""The fault, truncate/invalidate and fuse primitive families on hand-made actors: what each
oracle they arm catches (INV-EOF-1, INV-INVAL-1, INV-MAP-1 at removal), what it lets through,
and the daemon edge in the wait-for graph."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from actors.api import K, actor
from actors.kernel.filemap import File, Vma, file_view, vma_view
from actors.kernel.fuse import fuse_request
from actors.model import PageCacheModel
from actors.model.mm import PTL
from actors.objects import ANON, Ref
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy

PAGE = 4096
MAP = 0x10000


def run(model: PageCacheModel, *progs: tuple[str, Callable[[K], Awaitable[None]]]) -> RunResult:
    actors = [actor(name, prog) for name, prog in progs]
    return run_sync(model, actors, RunConfig(make_strategy("random", 0)))


def private_file(npages: int) -> tuple[PageCacheModel, File, Vma, list[Ref]]:
    m = PageCacheModel()
    inode, mapping = m.new_file(size=npages * PAGE)
    pages = [m.ref(m.cache_file_page(mapping, i)) for i in range(npages)]
    av = m.new_anon_vma()
    vma = m.new_file_vma(m.new_mm(), inode, MAP, npages, shared=False, anon_vma=av)
    return m, file_view(m, inode), vma_view(m, vma), pages


async def map_page(k: K, v: Vma, index: int, page: Ref, holder: str) -> None:
    await k.spin_lock("FS1", v.mm, PTL)
    assert await k.pte_install("FS4", v.mm, v.addr(index), page, 0, holder)
    await k.spin_unlock("FS5", v.mm, PTL)


async def map_cow_copy(k: K, v: Vma, index: int) -> None:
    cow = await k.alloc_page("C1", ANON, "cow")
    await map_page(k, v, index, cow, "cow")


def test_truncate_return_finds_a_cow_copy_beyond_eof() -> None:
    m, f, v, _pages = private_file(2)

    async def prog(k: K) -> None:
        await map_cow_copy(k, v, 1)
        await k.trunc_done("T4", f.mapping, 1)

    o = run(m, ("CPU0", prog)).outcome
    assert o.violation is not None and o.violation.oracle == "INV-EOF-1", o
    assert "index 1" in o.violation.message and "ANON" in o.violation.message


@pytest.mark.parametrize("grow,expect", [(False, "INV-EOF-1"), (True, None)])
def test_eof_watch_covers_later_ptes_until_the_file_grows(grow: bool, expect: str | None) -> None:
    m, f, v, pages = private_file(2)

    async def prog(k: K) -> None:
        await k.trunc_done("T4", f.mapping, 1)
        if grow:
            await k.i_size_write("W", f.inode, 2 * PAGE)
        await k.get_page("G", pages[1], "fault")
        await map_page(k, v, 1, pages[1], "fault")

    o = run(m, ("CPU0", prog)).outcome
    assert (o.violation.oracle if o.violation else None) == expect, o


def test_zap_without_even_cows_keeps_cow_copies() -> None:
    m, f, v, pages = private_file(2)
    seen: list[int] = []

    async def prog(k: K) -> None:
        await k.get_page("G", pages[0], "fault")
        await map_page(k, v, 0, pages[0], "fault")
        await map_cow_copy(k, v, 1)
        await k.spin_lock("U2a", v.mm, PTL)
        seen.append(await k.zap_page_range("U2a", v.mm, v.start, v.end, f.mapping[0]))
        seen.append(await k.zap_page_range("U2a", v.mm, v.start, v.end, None))
        await k.spin_unlock("U2a", v.mm, PTL)

    assert run(m, ("CPU0", prog)).outcome.status == "clean"
    assert seen == [1, 1]  # the file page first, the COW copy only with even_cows


def test_removing_a_mapped_page_is_inv_map_1() -> None:
    m, _f, v, pages = private_file(1)

    async def prog(k: K) -> None:
        await k.get_page("G", pages[0], "fault")
        await map_page(k, v, 0, pages[0], "fault")
        await k.lock_page("T2a", pages[0])
        await k.truncate_complete_page("T2e", pages[0], "truncate", False)

    o = run(m, ("CPU0", prog)).outcome
    assert o.violation is not None and o.violation.oracle == "INV-MAP-1", o
    assert "still map it" in o.violation.message


@pytest.mark.parametrize("ok,expect", [(True, "INV-INVAL-1"), (False, "INV-MAP-1")])
def test_invalidated_page_must_not_be_mapped_again(ok: bool, expect: str) -> None:
    """After a successful invalidate2 the precise diagnosis; after a failed one (-EBUSY makes
    no promise) the page is still a dangling page-cache page."""
    m, f, v, pages = private_file(1)
    page = pages[0]

    async def prog(k: K) -> None:
        await k.get_page("I1", page, "inval")
        await k.lock_page("I1", page)
        assert await k.truncate_complete_page("I4", page, "invalidate2", True)
        await k.unlock_page("I5", page)
        await k.trunc_invalidate_done("I6", f.mapping, ok)
        await map_page(k, v, 0, page, "inval")

    o = run(m, ("CPU0", prog)).outcome
    assert o.violation is not None and o.violation.oracle == expect, o


def test_invalidate_refuses_a_dirty_page() -> None:
    m, _f, _v, pages = private_file(1)
    m.objs[pages[0][0]].f["dirty"] = 1
    got: list[bool] = []

    async def prog(k: K) -> None:
        await k.lock_page("I1", pages[0])
        got.append(await k.truncate_complete_page("I4", pages[0], "invalidate2", True))
        await k.unlock_page("I5", pages[0])

    assert run(m, ("CPU0", prog)).outcome.status == "clean"
    assert got == [False]


def test_a_daemon_stuck_behind_its_requester_closes_a_cycle() -> None:
    m, _f, _v, pages = private_file(1)

    async def task(k: K) -> None:
        await k.lock_page("Q2", pages[0])
        await fuse_request(k, "Q6", "WRITE", 12)
        await k.unlock_page("Q8", pages[0])

    async def daemon(k: K) -> None:
        await k.fuse_dev_read("D1")
        await k.lock_page("D1b", pages[0])  # a server that touches the file through its cache

    o = run(m, ("T", task), ("FUSED", daemon)).outcome
    assert o.violation is not None and o.violation.oracle == "INV-DL-1", o
    assert "fuse reply to WRITE" in o.violation.message
