"""Address spaces: vmas, page tables under their pte lock, mmap_sem (kernel-scenarios.md 1.2,
1.5), and the vma steps of get_user_pages and munmap.

mmap_sem is the mm's reader/writer semaphore (actors/model/locks.py, down_read ... up_write).
A pte holds (page oid, writable); installing one turns the caller's page reference into the
pte's. What a new pte must satisfy is checked by
``pte_checks``, run in order after every installation (INV-INVAL-1, INV-MAP-1, INV-EOF-1: the
model composes them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from actors.model.pages import Pages
from actors.objects import ANON, PAGE, ZERO, Obj, Ref
from emulator.engine.violations import Violation

PTL = "ptl"

# The vma fields a fault needs (stable under mmap_sem): kind, writable, vm_start, vm_pgoff and
# the file's inode.
VmaInfo = tuple[str, int, int, int, Ref | None]


def pte_holder(mm: int, addr: int) -> str:
    return f"pte:mm#{mm}@{addr:#x}"


class Mm:
    def __init__(self, core: Core, locks: Locks, pages: Pages) -> None:
        self.core = core
        self.locks = locks
        self.pages = pages
        self.pte_checks: list[Callable[[Obj, int, Obj], None]] = []

    # -- setup helpers (initial state, not steps) -------------------------------------------

    def new_mm(self) -> Obj:
        return self.core.new("mm", {"ptes": {}, "vmas": []})

    def new_vma(self, mm: Obj, start: int, end: int, **kw: Any) -> Obj:
        f: dict[str, Any] = {
            "mm": mm.oid,
            "start": start,
            "end": end,
            "pgoff": 0,
            "shared": 0,
            "file": None,
            "anon_vma": None,
            "writable": 1,
        }
        f.update(kw)
        v = self.core.new("vma", f)
        mm.f["vmas"].append(v.oid)
        return v

    def new_file_vma(
        self,
        mm: Obj,
        inode: Obj,
        start: int,
        npages: int,
        shared: bool,
        pgoff: int = 0,
        **kw: Any,
    ) -> Obj:
        """mmap(file) at ``start``: a vma over file pages [pgoff, pgoff + npages), linked into
        the file's i_mmap so that unmap_mapping_range finds it."""
        vma = self.new_vma(
            mm,
            start,
            start + npages * PAGE,
            file=inode.oid,
            pgoff=pgoff,
            shared=int(shared),
            vkind="file",
            **kw,
        )
        self.core.objs[inode.f["i_mapping"]].f["i_mmap"].append(vma.oid)
        return vma

    def map_initial(self, mm: Obj, addr: int, page: Obj, writable: int = 1) -> None:
        mm.f["ptes"][addr] = (page.oid, writable)
        page.f["mapcount"] += 1
        page.f["holders"].append(pte_holder(mm.oid, addr))
        page.f["_refcount"] += 1

    # -- page tables -------------------------------------------------------------------------

    @op
    def pte_read(self, cx: Step, mm: Ref, addr: int) -> tuple[Ref, int] | None:
        """Lockless pte read (GUP-fast, fault entry)."""
        m = self.core.deref(cx, mm)
        pte = m.f["ptes"].get(addr)
        if pte is None:
            return None
        p = self.core.objs[pte[0]]
        return ((p.oid, p.gen), pte[1])

    def _need_ptl(self, cx: Step, m: Obj) -> None:
        if not self.locks.holds(cx.actor, (m.oid, PTL)):
            raise Violation("INV-LOCK-3", f"pte of {m.name()} changed without its pte lock")

    @op
    def pte_install(
        self, cx: Step, mm: Ref, addr: int, page: Ref, writable: int, holder: str
    ) -> bool:
        """Under the pte lock: if pte_none, page_add_*_rmap and set the pte; the caller's page
        reference (``holder``) becomes the pte's. False if somebody else won the race."""
        return self.set_pte(cx, mm, addr, page, writable, holder)

    def set_pte(self, cx: Step, mm: Ref, addr: int, page: Ref, writable: int, holder: str) -> bool:
        """The step every pte installation shares (pte_install, rmap_order's set_pte_at): under
        the pte lock, if pte_none, the caller's page reference becomes the pte's, the pte counts
        in ``mapcount`` and the installation checks run. False if somebody else won the race."""
        core = self.core
        m = core.deref(cx, mm)
        self._need_ptl(cx, m)
        if addr in m.f["ptes"] or addr in m.f.get("swap_ptes", ()):  # a swap pte is not none
            return False
        p = core.deref(cx, page)
        holders: list[str] = p.f["holders"]
        if holder not in holders:
            raise Violation(
                "INV-REF-3", f"pte install of {p.name()} without a reference ({holder})"
            )
        holders[holders.index(holder)] = pte_holder(m.oid, addr)
        m.f["ptes"][addr] = (p.oid, writable)
        core.set(cx, p, "mapcount", p.f["mapcount"] + 1)
        core.wrote(cx, m, f"pte@{addr:#x}", p.name())
        for check in self.pte_checks:
            check(m, addr, p)
        return True

    @op
    def pte_zap(self, cx: Step, mm: Ref, addr: int) -> Ref | None:
        """Under the pte lock: clear the pte, page_remove_rmap, drop the pte's reference."""
        core = self.core
        m = core.deref(cx, mm)
        self._need_ptl(cx, m)
        pte = m.f["ptes"].pop(addr, None)
        if pte is None:
            return None
        p = core.objs[pte[0]]
        core.wrote(cx, m, f"pte@{addr:#x}", None)
        core.set(cx, p, "mapcount", p.f["mapcount"] - 1)
        ref = (p.oid, p.gen)
        self.pages.put(cx, p, pte_holder(m.oid, addr))
        return ref

    @op
    def gup_fast_pte(self, cx: Step, mm: Ref, addr: int, write: int, holder: str) -> Ref | None:
        """x86 get_user_pages_fast for one pte, 2.6.27 - 4.12 (3.0.1 arch/x86/mm/gup.c
        gup_pte_range): with local_irq_save() the pte is read (gup_get_pte) and, if present,
        user, writable when asked for and not _PAGE_SPECIAL (the ZERO_PAGE, pte_mkspecial since
        2.6.32), get_page() is taken with no pte re-check. ONE step: an unmap cannot complete
        in between, because its TLB-flush IPI waits for this CPU to re-enable interrupts.
        None = fall back to the slow path."""
        core = self.core
        m = core.deref(cx, mm)
        pte = m.f["ptes"].get(addr)
        if pte is None or (write and not pte[1]):
            return None
        p = core.objs[pte[0]]
        if p.f["ptype"] == ZERO:
            return None
        self.pages.get(cx, p, holder)
        return (p.oid, p.gen)

    @op
    def pte_mkwrite(self, cx: Step, mm: Ref, addr: int, page: Ref) -> bool:
        """do_wp_page's reuse (3.0.1 mm/memory.c:2477 "reuse:": maybe_mkwrite(pte_mkdirty()),
        ptep_set_access_flags) under the pte lock, if the pte still maps ``page`` (pte_same).
        False: the pte changed since the fault read it."""
        core = self.core
        m = core.deref(cx, mm)
        self._need_ptl(cx, m)
        pte = m.f["ptes"].get(addr)
        if pte is None or pte[0] != page[0]:
            return False
        m.f["ptes"][addr] = (pte[0], 1)
        core.wrote(cx, m, f"pte@{addr:#x}", f"{core.objs[pte[0]].name()} writable")
        return True

    @op
    def pte_cow_replace(
        self, cx: Step, mm: Ref, addr: int, old: Ref, new: Ref, holder: str
    ) -> bool:
        """do_wp_page's copy, under the pte lock (3.0.1 mm/memory.c: if pte_same:
        ptep_clear_flush, page_add_new_anon_rmap(new), set_pte_at writable,
        page_remove_rmap(old), and the old pte's reference is dropped). ``holder``'s reference
        on the new page becomes the pte's. False: the pte changed (the copy is not used)."""
        core = self.core
        m = core.deref(cx, mm)
        self._need_ptl(cx, m)
        pte = m.f["ptes"].get(addr)
        if pte is None or pte[0] != old[0]:
            return False
        o = core.objs[pte[0]]
        del m.f["ptes"][addr]
        core.set(cx, o, "mapcount", o.f["mapcount"] - 1)
        self.pages.put(cx, o, pte_holder(m.oid, addr))
        return self.pte_install(cx, mm, addr, new, 1, holder)

    def check_in_cache(self, m: Obj, addr: int, p: Obj) -> None:
        """INV-MAP-1: a pte of a file vma maps a page that is in that file's page cache."""
        vma = self.vma_at(m, addr)
        if vma is None or vma.f["file"] is None or p.f["ptype"] == ANON:
            return
        objs = self.core.objs
        mapping = objs[vma.f["file"]].f["i_mapping"]
        index = vma.f["pgoff"] + (addr - vma.f["start"]) // PAGE
        tree = objs[mapping].f["tree"]
        if p.f["mapping"] != mapping or tree.get(index) != p.oid or p.f["index"] != index:
            raise Violation(
                "INV-MAP-1",
                f"pte ({m.name()}, addr {addr:#x}) maps page {p.name()} not in cache of "
                f"{objs[mapping].name()}@{index} (mapping={p.f['mapping']})",
            )

    def private_write_check(self, inode: Obj) -> Callable[[], None]:
        """INV-COW-1 for a file nobody may write (opened O_RDONLY, mapped MAP_PRIVATE): a user
        step check that fails once a page of its cache holds data written through a mapping
        (the ``data`` field: a write through a pinned page, access_process_vm's
        copy_to_user_page). A private mapping's writes belong in COW copies."""
        objs = self.core.objs

        def check() -> None:
            mapping = objs[inode.f["i_mapping"]]
            for index, oid in mapping.f["tree"].items():
                p = objs.get(oid)
                if p is not None and p.f.get("data") is not None:
                    raise Violation(
                        "INV-COW-1",
                        f"page cache page {p.name()} of read-only {inode.name()}@{index} holds "
                        f"{p.f['data']!r}: a write through a private mapping reached the file",
                    )

        return check

    # -- vmas --------------------------------------------------------------------------------

    def vma_at(self, m: Obj, addr: int) -> Obj | None:
        for v in m.f["vmas"]:
            vo = self.core.objs[v]
            if vo.f["start"] <= addr < vo.f["end"]:
                return vo
        return None

    @op
    def find_vma(self, cx: Step, mm: Ref, addr: int) -> Ref | None:
        v = self.vma_at(self.core.deref(cx, mm), addr)
        return None if v is None else (v.oid, v.gen)

    @op
    def gup_vma_info(self, cx: Step, vma: Ref) -> VmaInfo:
        """The vma fields a fault needs (stable under mmap_sem): kind, writable, start, pgoff,
        and the file's inode."""
        f = self.core.deref(cx, vma).f
        inode = f["file"]
        iref = None if inode is None else (inode, self.core.objs[inode].gen)
        return (f["vkind"], f["writable"], f["start"], f["pgoff"], iref)

    @op
    def gup_map_zero(self, cx: Step, mm: Ref, addr: int) -> bool:
        """do_anonymous_page for a read fault: map the ZERO_PAGE read-only (pte lock held)."""
        assert self.pages.zero_page is not None, "scenario has no ZERO_PAGE"
        core = self.core
        z = core.objs[self.pages.zero_page]
        holder = f"fault:{core.names[cx.actor]}"
        self.pages.get(cx, z, holder)
        if self.pte_install(cx, mm, addr, core.ref(z), 0, holder):
            return True
        self.pages.put(cx, z, holder)
        return False

    @op
    def detach_vmas_to_be_unmapped(self, cx: Step, mm: Ref, vma: Ref) -> None:
        """munmap's detach_vmas_to_be_unmapped, under mmap_sem held for writing."""
        core = self.core
        m = core.deref(cx, mm)
        if not self.locks.rwsem_write_held(cx.actor, mm):
            raise Violation(
                "INV-LOCK-3", f"vma list of {m.name()} changed without mmap_sem held for write"
            )
        v = core.deref(cx, vma)
        m.f["vmas"] = [x for x in m.f["vmas"] if x != v.oid]
        core.wrote(cx, m, "vmas", tuple(m.f["vmas"]))
        inode = v.f["file"]
        if inode is not None:
            mapping = core.objs[core.objs[inode].f["i_mapping"]]
            mapping.f["i_mmap"] = [x for x in mapping.f["i_mmap"] if x != v.oid]
