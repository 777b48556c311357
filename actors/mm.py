"""Pages, page tables and the page cache: refcounts with a holder ledger, mapcount, ptes under
their pte lock, the address_space tree (kernel-scenarios.md 1.1, 1.2, 1.5)."""

from __future__ import annotations

from typing import Any

from actors.locks import LocksMixin
from actors.objects import ANON, FREE, Obj, page_fields
from actors.state import Ref
from emulator.engine.violations import Violation

PTL = "ptl"


def pte_holder(mm: int, addr: int) -> str:
    return f"pte:mm#{mm}@{addr:#x}"


class MmMixin(LocksMixin):
    # -- setup helpers (initial state, not steps) -------------------------------------------

    def new_page(self, ptype: str, index: int = 0, holders: tuple[str, ...] = ()) -> Obj:
        f = page_fields(ptype, index)
        f["holders"] = list(holders)
        f["_refcount"] = len(holders)
        return self.new("page", f)

    def new_mm(self) -> Obj:
        return self.new("mm", {"ptes": {}, "vmas": []})

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
        v = self.new("vma", f)
        mm.f["vmas"].append(v.oid)
        return v

    def map_initial(self, mm: Obj, addr: int, page: Obj, writable: int = 1) -> None:
        mm.f["ptes"][addr] = (page.oid, writable)
        page.f["mapcount"] += 1
        page.f["holders"].append(pte_holder(mm.oid, addr))
        page.f["_refcount"] += 1

    # -- refcount ----------------------------------------------------------------------------

    def _get(self, o: Obj, holder: str) -> None:
        o.f["_refcount"] += 1
        o.f["holders"].append(holder)
        self.wrote(o, "_refcount", o.f["_refcount"])

    def _put(self, actor: int, o: Obj, holder: str) -> int:
        holders: list[str] = o.f["holders"]
        if o.f["_refcount"] <= 0:
            raise Violation("INV-REF-1", f"refcount underflow on {o.gname()}")
        if holder not in holders:
            raise Violation(
                "INV-REF-3",
                f"refcount/holders mismatch on page {o.name()}: put by {holder}, holders={holders}",
            )
        holders.remove(holder)
        c: int = o.f["_refcount"] - 1
        o.f["_refcount"] = c
        self.wrote(o, "_refcount", c)
        if c == 0:
            self._free_page(o)
        return c

    def _free_page(self, o: Obj) -> None:
        if o.f["reserved"]:
            raise Violation("INV-REF-1", f"reserved page {o.name()} refcount dropped to 0")
        if o.f["mapcount"] >= 0:
            raise Violation("INV-REF-4", f"freed page {o.name()} still mapped by a pte")
        o.f["mapping"] = None
        o.f["anon"] = 0
        self.free(o)

    def op_get_page(self, actor: int, page: Ref, holder: str) -> None:
        o = self.deref(actor, page)
        if o.f["_refcount"] <= 0:
            raise Violation("INV-REF-2", f"get on zero-count {o.gname()} (resurrection)")
        self._get(o, holder)

    def op_get_page_unless_zero(self, actor: int, page: Ref, holder: str) -> bool:
        o = self.objs[page[0]]
        if o.state == FREE or o.f["_refcount"] == 0:
            return False
        self._get(o, holder)
        return True

    def op_put_page(self, actor: int, page: Ref, holder: str) -> int:
        return self._put(actor, self.deref(actor, page), holder)

    # -- page state reads --------------------------------------------------------------------

    def op_page_mapped(self, actor: int, page: Ref) -> bool:
        return bool(self.deref(actor, page).f["mapcount"] >= 0)

    def op_page_mapping(self, actor: int, page: Ref) -> tuple[Ref | None, int]:
        """READ_ONCE(page->mapping): the pointer and its PAGE_MAPPING_ANON bit."""
        o = self.deref(actor, page)
        m = o.f["mapping"]
        if m is None:
            return (None, 0)
        return ((m, self.objs[m].gen), o.f["anon"])

    def op_page_flag(self, actor: int, page: Ref, flag: str) -> int:
        return int(self.deref(actor, page).f[flag])

    def op_set_page_flag(self, actor: int, page: Ref, flag: str, value: int) -> None:
        o = self.deref(actor, page)
        if flag in ("uptodate", "swapcache") and not self.holds(actor, self.page_key(page)):
            raise Violation("INV-LOCK-3", f"{flag} of page {o.name()} changed without PG_locked")
        self.set(o, flag, value)

    # -- page tables -------------------------------------------------------------------------

    def op_pte_read(self, actor: int, mm: Ref, addr: int) -> tuple[Ref, int] | None:
        """Lockless pte read (GUP-fast, fault entry)."""
        m = self.deref(actor, mm)
        pte = m.f["ptes"].get(addr)
        if pte is None:
            return None
        p = self.objs[pte[0]]
        return ((p.oid, p.gen), pte[1])

    def _need_ptl(self, actor: int, m: Obj) -> None:
        if not self.holds(actor, (m.oid, PTL)):
            raise Violation("INV-LOCK-3", f"pte of {m.name()} changed without its pte lock")

    def op_pte_install(
        self, actor: int, mm: Ref, addr: int, page: Ref, writable: int, holder: str
    ) -> bool:
        """Under the pte lock: if pte_none, page_add_*_rmap and set the pte; the caller's page
        reference (``holder``) becomes the pte's. False if somebody else won the race."""
        m = self.deref(actor, mm)
        self._need_ptl(actor, m)
        if addr in m.f["ptes"]:
            return False
        p = self.deref(actor, page)
        holders: list[str] = p.f["holders"]
        if holder not in holders:
            raise Violation(
                "INV-REF-3", f"pte install of {p.name()} without a reference ({holder})"
            )
        holders[holders.index(holder)] = pte_holder(m.oid, addr)
        m.f["ptes"][addr] = (p.oid, writable)
        self.set(p, "mapcount", p.f["mapcount"] + 1)
        self.wrote(m, f"pte@{addr:#x}", p.name())
        self.check_pte(m, addr, p)
        return True

    def op_pte_zap(self, actor: int, mm: Ref, addr: int) -> Ref | None:
        """Under the pte lock: clear the pte, page_remove_rmap, drop the pte's reference."""
        m = self.deref(actor, mm)
        self._need_ptl(actor, m)
        pte = m.f["ptes"].pop(addr, None)
        if pte is None:
            return None
        p = self.objs[pte[0]]
        self.wrote(m, f"pte@{addr:#x}", None)
        self.set(p, "mapcount", p.f["mapcount"] - 1)
        ref = (p.oid, p.gen)
        self._put(actor, p, pte_holder(m.oid, addr))
        return ref

    def check_pte(self, m: Obj, addr: int, p: Obj) -> None:
        """INV-MAP-1 for a pte of a file vma that maps a page-cache page (overridden per era)."""
        vma = self.vma_at(m, addr)
        if vma is None or vma.f["file"] is None or p.f["ptype"] == ANON:
            return
        mapping = self.objs[vma.f["file"]].f["i_mapping"]
        index = vma.f["pgoff"] + (addr - vma.f["start"]) // 4096
        tree = self.objs[mapping].f["tree"]
        if p.f["mapping"] != mapping or tree.get(index) != p.oid or p.f["index"] != index:
            raise Violation(
                "INV-MAP-1",
                f"pte ({m.name()}, addr {addr:#x}) maps page {p.name()} not in cache of "
                f"{self.objs[mapping].name()}@{index} (mapping={p.f['mapping']})",
            )

    def vma_at(self, m: Obj, addr: int) -> Obj | None:
        for v in m.f["vmas"]:
            vo = self.objs[v]
            if vo.f["start"] <= addr < vo.f["end"]:
                return vo
        return None

    def op_find_vma(self, actor: int, mm: Ref, addr: int) -> Ref | None:
        v = self.vma_at(self.deref(actor, mm), addr)
        return None if v is None else (v.oid, v.gen)

    # -- page cache (address_space tree) -----------------------------------------------------

    def new_file(self, size: int, nlink: int = 1) -> tuple[Obj, Obj]:
        """An inode with its embedded address_space (i_data)."""
        inode = self.new(
            "inode",
            {"i_count": 1, "i_state": "", "nlink": nlink, "i_size": size, "i_mapping": None},
        )
        mapping = self.new(
            "address_space", {"host": inode.oid, "tree": {}, "nrpages": 0, "i_mmap": []}
        )
        inode.f["i_mapping"] = mapping.oid
        return inode, mapping

    def cache_initial(self, mapping: Obj, page: Obj, index: int) -> None:
        page.f["mapping"] = mapping.oid
        page.f["index"] = index
        page.f["holders"].append("cache")
        page.f["_refcount"] += 1
        mapping.f["tree"][index] = page.oid
        mapping.f["nrpages"] += 1

    def op_tree_load(self, actor: int, mapping: Ref, index: int) -> Ref | None:
        """xas_load / radix_tree_lookup: lockless slot read (caller is in an RCU section)."""
        m = self.deref(actor, mapping)
        oid = m.f["tree"].get(index)
        return None if oid is None else (oid, self.objs[oid].gen)

    def op_delete_from_page_cache(self, actor: int, page: Ref) -> None:
        """__delete_from_page_cache under the tree lock; the caller holds the page lock."""
        p = self.deref(actor, page)
        if not self.holds(actor, self.page_key(page)):
            raise Violation("INV-LOCK-3", f"mapping of page {p.name()} changed without PG_locked")
        if p.f["mapping"] is None or p.f["anon"]:
            # Every remover must re-check page->mapping under the page lock: somebody else may
            # have removed the page (and dropped the cache's reference) before we locked it.
            raise Violation(
                "INV-REF-3",
                f"delete_from_page_cache of page {p.name()} that is in no page cache "
                f"(mapping=None): its cache reference was already dropped",
            )
        m = self.objs[p.f["mapping"]]
        m.f["tree"].pop(p.f["index"], None)
        m.f["nrpages"] -= 1
        self.wrote(m, f"tree[{p.f['index']}]", None)
        self.set(p, "mapping", None)
        self._put(actor, p, "cache")
