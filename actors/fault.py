"""Page-cache steps of the fault paths (kernel-scenarios.md 2.4 "filemap_fault", "find_get_page",
thread 002 listing): lookups that pin a page, page-cache insertion of a page being read in, and
allocation of COW pages; plus setup helpers for file-backed vmas.

The actor-side routines that string these steps together live in ``actors/filemap.py``.
"""

from __future__ import annotations

from typing import Any

from actors.mm import MmMixin
from actors.objects import FILE, Obj, page_fields
from actors.state import Ref


class FaultMixin(MmMixin):
    # -- setup helpers (initial state, not steps) -------------------------------------------

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
            start + npages * 4096,
            file=inode.oid,
            pgoff=pgoff,
            shared=int(shared),
            vkind="file",
            **kw,
        )
        self.objs[inode.f["i_mapping"]].f["i_mmap"].append(vma.oid)
        return vma

    def cache_file_page(self, mapping: Obj, index: int, uptodate: int = 1) -> Obj:
        """A page of the file already in the page cache (held by the cache only)."""
        page = self.new_page(FILE, index)
        page.f["uptodate"] = uptodate
        self.cache_initial(mapping, page, index)
        return page

    # -- steps -------------------------------------------------------------------------------

    def op_fault_lookup(self, actor: int, mapping: Ref, index: int, holder: str) -> Ref | None:
        """find_get_page of the E2006 era: one step under read_lock(tree_lock), get_page."""
        m = self.deref(actor, mapping)
        oid = m.f["tree"].get(index)
        if oid is None:
            return None
        page = self.objs[oid]
        self._get(page, holder)
        return self.ref(page)

    def op_fault_lookup_from(
        self, actor: int, mapping: Ref, start: int, holder: str
    ) -> tuple[int, Ref] | None:
        """pagevec_lookup for one page: the first cached page at an index >= ``start``, pinned
        (truncate's T2a, invalidate's I1). Atomic under the tree lock / RCU + speculative ref:
        which page is returned is what matters, not how it was found."""
        tree: dict[int, int] = self.deref(actor, mapping).f["tree"]
        later = [i for i in tree if i >= start]
        if not later:
            return None
        index = min(later)
        page = self.objs[tree[index]]
        self._get(page, holder)
        return (index, self.ref(page))

    def op_fault_add_locked(self, actor: int, mapping: Ref, index: int, holder: str) -> Ref | None:
        """page_cache_alloc + add_to_page_cache_locked: a new, not yet uptodate page, locked by
        the caller, in the cache at ``index`` with the cache's and the caller's references.
        None (-EEXIST) if somebody inserted a page first: the caller looks it up again."""
        m = self.deref(actor, mapping)
        if index in m.f["tree"]:
            return None
        fields = page_fields(FILE, index)
        fields.update(uptodate=0, mapping=m.oid, holders=["cache", holder], _refcount=2)
        page = self.alloc("page", fields)
        m.f["tree"][index] = page.oid
        m.f["nrpages"] += 1
        self.wrote(m, f"tree[{index}]", page.name())
        key = self.page_key(self.ref(page))
        self._take(actor, key, self._lock(key, "page"))
        return self.ref(page)

    def op_fault_alloc_page(self, actor: int, ptype: str, holder: str) -> Ref:
        """alloc_page for a COW copy: a fresh page owned by the faulting task only."""
        fields = page_fields(ptype)
        fields.update(holders=[holder], _refcount=1)
        return self.ref(self.alloc("page", fields))
