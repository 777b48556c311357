"""Steps of truncate and invalidate (kernel-scenarios.md 2.4 "unmap_mapping_range",
"truncate_pagecache", "invalidate_inode_pages2_range") and the oracles they arm:

INV-EOF-1   once truncate to S has returned (until i_size grows), no pte of any vma of the file
            maps file index >= ceil(S/PAGE): neither the file page nor a COW copy of it.
INV-INVAL-1 once invalidate_inode_pages2 has returned success, no page it removed gets mapped.
INV-MAP-1   (extended) a page-cache page is never removed from the cache while a pte maps it.

INV-EOF-1 does not cover cache pages beyond EOF. From 2.6.23 until invalidate_lock (5.15) a
fault that passed FF1 before the truncate can read a page in at an index the truncate has
already passed; FF6 then refuses to map it. Such a page is unreachable through any pte and is
harmless, so flagging it would make every FIXED variant fail.

The actor-side routines live in ``actors/kernel/truncate.py``.
"""

from __future__ import annotations

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.mm import Mm
from actors.model.ops import op
from actors.model.pagecache import PageCache
from actors.objects import PAGE, Obj, Ref
from emulator.engine.violations import Violation

I_MMAP = "i_mmap_lock"

# What an unmapper needs to know about one vma of the file: (mm, start, end, pgoff).
Span = tuple[Ref, int, int, int]


class Truncate:
    def __init__(self, core: Core, locks: Locks, mm: Mm, cache: PageCache) -> None:
        self.core = core
        self.locks = locks
        self.mm = mm
        self.cache = cache
        self.eof_first: dict[int, int] = {}  # mapping oid -> first index beyond EOF (armed)
        self.inval_removed: dict[int, list[Ref]] = {}  # actor -> pages its invalidate removed
        self.invalidated: dict[Ref, int] = {}  # page (oid, gen) -> step invalidate returned

    # -- i_size ------------------------------------------------------------------------------

    @op
    def i_size_read(self, cx: Step, inode: Ref) -> int:
        """i_size_read: the file size in bytes."""
        return int(self.core.read_value(self.core.deref(cx, inode), "i_size"))

    @op
    def i_size_write(self, cx: Step, inode: Ref, size: int) -> None:
        """i_size_write (caller holds i_rwsem). Growing the file ends INV-EOF-1's watch."""
        o = self.core.deref(cx, inode)
        self.core.set(cx, o, "i_size", size)
        first = self.eof_first.get(o.f["i_mapping"])
        if first is not None and (size + PAGE - 1) // PAGE > first:
            del self.eof_first[o.f["i_mapping"]]

    # -- unmapping ---------------------------------------------------------------------------

    @op
    def trunc_vmas(self, cx: Step, mapping: Ref) -> tuple[Span, ...]:
        """Walk i_mmap (the caller holds the i_mmap lock): every vma mapping the file."""
        core = self.core
        m = core.deref(cx, mapping)
        if not self.locks.holds(cx.actor, (m.oid, I_MMAP)):
            raise Violation("INV-LOCK-3", f"i_mmap of {m.name()} walked without its lock")
        spans = []
        for v in m.f["i_mmap"]:
            vma = core.objs[v]
            mm = core.objs[vma.f["mm"]]
            spans.append((core.ref(mm), vma.f["start"], vma.f["end"], vma.f["pgoff"]))
        return tuple(spans)

    @op
    def zap_page_range(
        self, cx: Step, mm: Ref, start: int, end: int, check_mapping: int | None
    ) -> int:
        """zap_pte_range over [start, end) under the pte lock. With ``check_mapping`` (even_cows
        == 0) only ptes of pages still in that mapping go: private COW copies stay."""
        m = self.core.deref(cx, mm)
        zapped = 0
        for addr in sorted(m.f["ptes"]):
            if not start <= addr < end:
                continue
            page = self.core.objs[m.f["ptes"][addr][0]]
            if check_mapping is not None and page.f["mapping"] != check_mapping:
                continue
            self.mm.pte_zap(cx, mm, addr)
            zapped += 1
        return zapped

    # -- removal from the page cache ---------------------------------------------------------

    @op
    def truncate_complete_page(self, cx: Step, page: Ref, why: str, fail_if_dirty: bool) -> bool:
        """__delete_from_page_cache under the tree lock (truncate T2e, invalidate I4). A page
        that a pte still maps would leave that pte pointing outside the cache: INV-MAP-1.
        invalidate_complete_page2 refuses a dirty page (False)."""
        p = self.core.deref(cx, page)
        if fail_if_dirty and p.f["dirty"]:
            return False
        if p.f["mapcount"] >= 0:
            raise Violation(
                "INV-MAP-1",
                f"{why} removes page {p.name()} from the cache of "
                f"address_space#{p.f['mapping']}@{p.f['index']} while "
                f"{p.f['mapcount'] + 1} pte(s) still map it",
            )
        self.cache.delete_from_page_cache(cx, page)
        if why == "invalidate2":
            self.inval_removed.setdefault(cx.actor, []).append(page)
        return True

    # -- arming the oracles ------------------------------------------------------------------

    @op
    def trunc_done(self, cx: Step, mapping: Ref, first: int) -> None:
        """truncate returns: from now on no pte may map file index >= first (INV-EOF-1)."""
        objs = self.core.objs
        m = self.core.deref(cx, mapping)
        self.eof_first[m.oid] = first
        for v in m.f["i_mmap"]:
            vma = objs[v]
            mm = objs[vma.f["mm"]]
            for addr in sorted(mm.f["ptes"]):
                if vma.f["start"] <= addr < vma.f["end"]:
                    self._check_eof(mm, vma, addr)

    @op
    def trunc_invalidate_done(self, cx: Step, mapping: Ref, ok: bool) -> None:
        """invalidate_inode_pages2 returns: on success none of the pages it removed may be
        mapped from now on (INV-INVAL-1). None is mapped now: removing a mapped page is
        already INV-MAP-1 at the removal."""
        self.core.deref(cx, mapping)
        removed = self.inval_removed.pop(cx.actor, [])
        if ok:
            for ref in removed:
                self.invalidated[ref] = cx.step

    # -- checks at pte installation ----------------------------------------------------------

    def check_not_invalidated(self, m: Obj, addr: int, p: Obj) -> None:
        """A page that invalidate_inode_pages2 removed and reported gone also breaks INV-MAP-1
        (it is in no cache); INV-INVAL-1 is the more precise diagnosis, so it goes first."""
        since = self.invalidated.get((p.oid, p.gen))
        if since is not None:
            raise Violation(
                "INV-INVAL-1",
                f"invalidated page {p.name()} mapped at ({m.name()}, addr {addr:#x}) after "
                f"invalidate_inode_pages2 returned at step {since} (mapping={p.f['mapping']})",
            )

    def check_inside_eof(self, m: Obj, addr: int, p: Obj) -> None:
        vma = self.mm.vma_at(m, addr)
        if vma is not None and vma.f["file"] is not None:
            self._check_eof(m, vma, addr)

    def _check_eof(self, m: Obj, vma: Obj, addr: int) -> None:
        objs = self.core.objs
        mapping = objs[vma.f["file"]].f["i_mapping"]
        first = self.eof_first.get(mapping)
        if first is None:
            return
        index = vma.f["pgoff"] + (addr - vma.f["start"]) // PAGE
        if index >= first:
            inode = objs[vma.f["file"]]
            raise Violation(
                "INV-EOF-1",
                f"pte/page beyond EOF after truncate: index {index}, size {inode.f['i_size']} "
                f"(pte {m.name()} addr {addr:#x} maps {self._pte_page(m, addr)})",
            )

    def _pte_page(self, m: Obj, addr: int) -> str:
        pte = m.f["ptes"].get(addr)
        if pte is None:
            return "nothing"
        p = self.core.objs[pte[0]]
        return f"{p.name()} ({p.f['ptype']})"
