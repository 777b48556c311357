"""005a — Dirty COW: a forced write through a private mapping lands in the page cache.

CVE-2016-5195. get_user_pages(write=1, force=1) (access_process_vm: a write to /proc/self/mem,
ptrace POKEDATA) on a MAP_PRIVATE, PROT_READ mapping of a file opened O_RDONLY. The first write
fault COWs the file page into an anonymous copy mapped dirty but read-only (no VM_WRITE); the
next follow_page(FOLL_WRITE) still fails, the second fault (do_wp_page) reuses the copy and
returns VM_FAULT_WRITE, and 2.6.22 - 4.8.2 then drop FOLL_WRITE (3.0.1 mm/memory.c:1795
"foll_flags &= ~FOLL_WRITE") so that the loop ends. If madvise(MADV_DONTNEED), which holds
mmap_sem only for read, zaps the copy's pte before that read-only follow_page, the follow
faults for READ, maps the file's page cache page and returns it: the write goes to the file.
Fixed by 19be0eaffa3a ("mm: remove gup_flags FOLL_WRITE games from __get_user_pages()",
4.8.3, backported to the 3.x stable trees): FOLL_WRITE stays and FOLL_COW lets a read-only pte
through only if it is dirty (a COW copy), so a zapped pte is write-faulted and COWed again.

Actors: CPU0 = the writer (get_user_pages_force, the write into the page, set_page_dirty_lock,
put_page); CPU1 = madvise(MADV_DONTNEED) of the page, a few times (the exploit loops).

BUGGY: CPU0 COWs (CW*), re-faults (WP*: VM_FAULT_WRITE, FOLL_WRITE dropped); CPU1 zaps the
copy (MD2); CPU0's read follow faults the file page in (FF*, FS*) and writes into it (DW1):
INV-COW-1. FIXED: the same moment re-faults for write and writes into a new copy.
"""

from __future__ import annotations

from collections.abc import Mapping

from actors.api import K, actor
from actors.kernel.gup import get_user_pages_force, madvise_dontneed
from actors.kernel.writeback import set_page_dirty_lock
from actors.model import PageCacheModel, scenario_options
from emulator.run.scenario import Scenario, Setup

MAP = 0x400000
ZAPS = 3  # madvise(MADV_DONTNEED) calls: the exploit's thread loops on it

DIRECTED = {
    # 1. CPU0 COWs the page and breaks COW again in do_wp_page: VM_FAULT_WRITE, FOLL_WRITE
    # dropped (G5). 2. CPU1's madvise zaps the copy's pte (MD3). 3. CPU0 follows for read,
    # faults the file page in and writes into it (DW1).
    "buggy": [("CPU0", "WP4"), ("CPU1", "MD3"), ("CPU0", "DW1")],
    "fixed": [("CPU0", "WP4"), ("CPU1", "MD3"), ("CPU0", "DW1")],
}


def build(variant: str, options: Mapping[str, str]) -> Setup:
    fixed = variant == "fixed"
    model = PageCacheModel(scenario_options("E2011", options))
    inode, mapping = model.new_file(size=4096)
    model.cache_file_page(mapping, 0)
    mm = model.new_mm()
    av = model.new_anon_vma()  # anon_vma_prepare already done for this private vma
    vma = model.new_file_vma(mm, inode, MAP, 1, shared=False, anon_vma=av, writable=0)
    model.objs[av].f["chain"] = (vma.oid,)
    model.step_checks.append(model.mm.private_write_check(inode))
    mref = model.ref(mm)

    async def writer(k: K) -> None:
        # mem_rw -> access_process_vm(write): get_user_pages(tsk, mm, addr, 1, 1, 1, &page)
        holder = "gup:CPU0"
        page = await get_user_pages_force(k, mref, MAP, holder, foll_cow=fixed)
        if page is None:
            return
        await k.write("DW1", page, "data", "CPU0's /proc/self/mem write")  # copy_to_user_page
        await set_page_dirty_lock(k, page)
        await k.put_page("DW2", page, holder)

    async def madvise(k: K) -> None:
        for _ in range(ZAPS):
            await madvise_dontneed(k, mref, (MAP,))

    return Setup(
        model=model,
        actors=[actor("CPU0", writer), actor("CPU1", madvise)],
        windows=[("WP4", "G5")],
        directed=DIRECTED["fixed" if fixed else "buggy"],
    )


# Per variant: the kernel source this code was compared with, and what it simplifies.
SOURCES: dict[str, str] = {
    "buggy": "3.0.1 mm/memory.c __get_user_pages (:1635-1795), __do_fault, do_wp_page, "
    "mm/madvise.c madvise_dontneed. Simplified: one page; pte_dirty is 'maps an anonymous "
    "page'; the write is one step before set_page_dirty_lock.",
    "fixed": "19be0eaffa3a (4.8.3; as in 4.9 mm/gup.c can_follow_write_pte, faultin_page) on "
    "the same 3.0.1 code (the 3.x stable backports).",
}


SCENARIO = Scenario(
    name="dirty-cow",
    spec_id="005a",
    thread="CVE-2016-5195 (Dirty COW), Linus Torvalds's fix 19be0eaffa3a (2016-10-13)",
    title="a forced write through a private mapping reaches the page cache of a read-only file",
    era="E2011",
    commits="3.0 - 4.8.2 FOLL_WRITE drop -> 19be0eaffa3a FOLL_COW",
    build=build,
    expects={"buggy": ("INV-COW-1",), "fixed": ()},
    options={},
    labels={
        "G4": "get_user_pages(write=1, force=1): mmap_sem for read, find_vma, VM_MAYWRITE",
        "G5": "follow_page under the pte lock (FOLL_WRITE: the pte must be writable), or fault",
        "CW0": "__do_fault, write on a private vma: ->fault (FF*) returns the file page locked",
        "CW1": "anon_vma_prepare, alloc_page, copy_user_highpage: the COW copy",
        "CW2": "the file page unlocked and released; the copy mapped dirty, read-only (FS*)",
        "WP4": "do_wp_page reuses the copy (maybe_mkwrite: still read-only): VM_FAULT_WRITE",
        "MD2": "madvise(MADV_DONTNEED): zap_page_range zaps the copy's pte",
        "MD3": "madvise returns (mmap_sem released)",
        "DW1": "access_process_vm: copy_to_user_page into the page GUP returned",
        "DW2": "set_page_dirty_lock done (SD*), put_page",
    },
)
