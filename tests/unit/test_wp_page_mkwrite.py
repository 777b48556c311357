"""do_wp_page on a shared file mapping calls ->page_mkwrite (3.0.1 mm/memory.c:2531): a write
fault on a read-only pte of a shared file page locks the page, re-checks page->mapping and backs
off (VM_FAULT_NOPAGE) when a truncate took the page meanwhile; otherwise the pte becomes
writable and the page dirty. Races are searched over seeds inside the test."""

from __future__ import annotations

from actors.api import K, actor
from actors.kernel.filemap import file_view
from actors.kernel.gup import NO_FAST, gup
from actors.kernel.truncate import truncate_pagecache
from actors.model import PageCacheModel
from actors.model.options import era_options
from actors.objects import Obj, Ref
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy

PAGE = 4096
MAP = 0x10000
SEEDS = 60


def shared_mapped(era: str = "E2011") -> tuple[PageCacheModel, Obj, Obj, list[Obj]]:
    """A two-page file mmapped MAP_SHARED, both pages mapped read-only (clean after
    writeback: clear_page_dirty_for_io write-protected the ptes)."""
    m = PageCacheModel(era_options(era))
    inode, mapping = m.new_file(size=2 * PAGE)
    pages = [m.cache_file_page(mapping, i) for i in range(2)]
    mm = m.new_mm()
    m.new_file_vma(mm, inode, MAP, 2, shared=True)
    for i, p in enumerate(pages):
        m.map_initial(mm, MAP + i * PAGE, p, writable=0)
    return m, mm, inode, pages


def labels(r: RunResult) -> list[str]:
    return [e.decode().label for e in r.events]


def test_write_fault_on_a_shared_file_pte_calls_page_mkwrite() -> None:
    m, mm, _inode, pages = shared_mapped()
    got: list[Ref | None] = []

    async def prog(k: K) -> None:
        got.append(await gup(k, m.ref(mm), MAP + PAGE, True, "gup:CPU0", NO_FAST))

    r = run_sync(m, [actor("CPU0", prog)], RunConfig(make_strategy("random", 0)))
    assert r.outcome.status == "clean", r.outcome
    assert got == [m.ref(pages[1])]  # the page cache page itself, no COW copy
    assert mm.f["ptes"][MAP + PAGE] == (pages[1].oid, 1)
    assert pages[1].f["dirty"] == 1 and not pages[1].f["locked"]
    seq = labels(r)
    assert seq.index("WM0") < seq.index("PM1") < seq.index("PM2") < seq.index("WM3")


def race(seed: int) -> tuple[RunResult, list[Ref | None], Obj, Obj]:
    """CPU0 write-faults page 1 through GUP while CPU1 truncates the file to one page (pct:
    either may run far ahead of the other, so the truncate lands inside ->page_mkwrite's
    window in some seeds)."""
    m, mm, inode, pages = shared_mapped()
    f = file_view(m, inode)
    got: list[Ref | None] = []

    async def writer(k: K) -> None:
        got.append(await gup(k, m.ref(mm), MAP + PAGE, True, "gup:CPU0", NO_FAST))
        if got[0] is not None:
            await k.put_page("W9", got[0], "gup:CPU0")

    async def truncater(k: K) -> None:
        await truncate_pagecache(k, f, PAGE)

    progs = [actor("CPU0", writer), actor("CPU1", truncater)]
    r = run_sync(m, progs, RunConfig(make_strategy("pct", seed)))
    return r, got, mm, pages[1]


def test_page_mkwrite_backs_off_when_the_page_was_truncated() -> None:
    """Truncated between WM0 (pte lock dropped) and PM2: page->mapping is NULL, NOPAGE (WM1),
    no writable pte of a page outside the file (INV-MAP-1, INV-EOF-1 hold); GUP's retry faults
    beyond EOF: -EFAULT. Written before the truncate: the truncate unmaps the writable pte."""
    nopage = written = 0
    for seed in range(SEEDS):
        r, got, mm, _page = race(seed)
        assert r.outcome.status == "clean", (seed, r.outcome)
        assert MAP + PAGE not in mm.f["ptes"]  # truncate unmapped it either way
        if "WM1" in labels(r):
            nopage += 1
            assert got == [None] and "WM3" not in labels(r)
        elif "WM3" in labels(r):
            written += 1
    assert nopage and written
