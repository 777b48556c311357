"""filemap_fault after ->readpage (3ef0f720e47e, Miklos Szeredi 2008, fixing d00806b18315's
infinite loop; 3.0.1 and 5.9.1 mm/filemap.c): wait_on_page_locked, then -EIO (SIGBUS) if the
page is still not uptodate; an asynchronous read is waited for."""

from __future__ import annotations

from actors.api import K, actor
from actors.kernel.filemap import failing_readpage, file_view, filemap_fault
from actors.model import PageCacheModel
from actors.objects import Ref
from emulator.engine.runtime import RunConfig, run_sync
from emulator.engine.strategies import make_strategy

PAGE = 4096


def test_failing_readpage_is_sigbus_not_a_livelock() -> None:
    m = PageCacheModel()
    inode, mapping = m.new_file(size=PAGE)
    m.cache_file_page(mapping, 0, uptodate=0)
    f = file_view(m, inode)
    got: list[Ref | None] = []

    async def fault(k: K) -> None:
        got.append(await filemap_fault(k, f, 0, "fault", failing_readpage))

    r = run_sync(m, [actor("CPU0", fault)], RunConfig(make_strategy("chaos", 0)))
    assert r.outcome.status == "clean", r.outcome
    assert got == [None]  # VM_FAULT_SIGBUS
    assert any(e.decode().label == "FF5c" for e in r.events)


def test_async_read_is_waited_for() -> None:
    """The read completes later, in another task (end_page_read): the fault sleeps in
    wait_on_page_locked (FF5b) and maps the page once it is uptodate."""
    m = PageCacheModel()
    inode, mapping = m.new_file(size=PAGE)
    page = m.ref(m.cache_file_page(mapping, 0, uptodate=0))
    f = file_view(m, inode)
    submitted: list[Ref] = []
    got: list[Ref | None] = []

    async def async_readpage(k: K, p: Ref) -> None:
        await k.page_lock_to_io("RP1", p)  # submit_bio: the IO task will complete it
        submitted.append(p)

    async def io(k: K) -> None:
        while not submitted:
            await k.note("IO0", "wait for a bio")
        await k.set_page_flag("IO1", submitted[0], "uptodate", 1)
        await k.unlock_page("IO2", submitted[0])

    async def fault(k: K) -> None:
        p = await filemap_fault(k, f, 0, "fault", async_readpage)
        got.append(p)
        if p is not None:
            await k.unlock_page("FF9", p)
            await k.put_page("FF9", p, "fault")

    cfg = RunConfig(make_strategy("chaos", 0), directed=[("CPU0", "FF5b")])
    r = run_sync(m, [actor("CPU0", fault), actor("IO", io)], cfg)
    assert r.outcome.status == "clean", r.outcome
    assert got == [page]
    assert any(e.decode().label == "FF5b" and e.status == "parks" for e in r.events)
