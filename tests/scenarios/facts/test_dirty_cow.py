"""005a dirty-cow: with the 3.0 - 4.8.2 FOLL_WRITE drop, a madvise(MADV_DONTNEED) between
do_wp_page's VM_FAULT_WRITE and the next follow_page turns a forced write through a private
mapping into a write to the read-only file's page cache (INV-COW-1); 19be0eaffa3a's FOLL_COW
re-faults for write and COWs again. Without the racing zap both forms write into the copy."""

from __future__ import annotations

from actors.api import K, actor
from actors.kernel.gup import get_user_pages_force
from actors.model import PageCacheModel, era_options
from actors.objects import ANON, FILE, Ref
from emulator.engine.runtime import RunConfig, run_sync
from emulator.engine.strategies import make_strategy
from emulator.run.session import run_once

NAME = "dirty-cow"
MAP = 0x400000


def test_directed_buggy_writes_into_the_page_cache() -> None:
    o = run_once(NAME, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None, o
    v = o.violation
    assert (v.oracle, v.actor, v.label) == ("INV-COW-1", "CPU0", "DW1")
    assert "read-only inode" in v.message


def test_directed_fixed_writes_into_a_new_copy() -> None:
    r = run_once(NAME, "fixed", seed=0, directed=True)
    assert r.outcome.status == "clean", r.outcome
    labels = [e.decode().label for e in r.events if e.actor == 0]
    assert labels.count("CW0") == 2  # COWed again after the zap


def test_buggy_found_from_seeds() -> None:
    for seed in range(200):
        o = run_once(NAME, "buggy", seed=seed).outcome
        if o.failed:
            assert o.violation is not None and o.violation.oracle == "INV-COW-1", o
            return
    raise AssertionError("no violation in 200 seeds")


def forced_write(fix: bool) -> None:
    m = PageCacheModel(era_options("E2011"))
    inode, mapping = m.new_file(size=4096)
    file_page = m.cache_file_page(mapping, 0)
    mm = m.new_mm()
    av = m.new_anon_vma()
    vma = m.new_file_vma(mm, inode, MAP, 1, shared=False, anon_vma=av, writable=0)
    m.objs[av].f["chain"] = (vma.oid,)
    got: list[Ref | None] = []

    async def prog(k: K) -> None:
        got.append(await get_user_pages_force(k, m.ref(mm), MAP, "gup:CPU0", foll_cow=fix))

    r = run_sync(m, [actor("CPU0", prog)], RunConfig(make_strategy("random", 0)))
    assert r.outcome.status == "clean", r.outcome
    page = got[0]
    assert page is not None
    assert m.objs[page[0]].f["ptype"] == ANON and file_page.f["ptype"] == FILE
    assert mm.f["ptes"][MAP] == (page[0], 0)
    labels = [e.decode().label for e in r.events]
    assert labels.count("WP4") == 1 and labels.count("CW0") == 1


def test_forced_write_without_a_zap_gets_the_cow_copy_in_both_forms() -> None:
    """No madvise: COW, do_wp_page reuse (VM_FAULT_WRITE), and the follow returns the copy,
    whether FOLL_WRITE was dropped or FOLL_COW set; the pte stays read-only (no VM_WRITE)."""
    forced_write(False)
    forced_write(True)
