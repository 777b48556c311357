"""The page cache: files and their address_space tree (kernel-scenarios.md 1.2), the lookups
of find_get_page and pagevec_lookup, insertion of a page being read in, and removal.

Why a page left the cache matters to INV-FUTEX-3: truncation, invalidate2 and eviction are
legitimate reasons for get_futex_key to fail, shmem swap-out and drop_caches are not (S001,
e6780f7243ed). ``cache_remove`` records the reason on the page; pages removed by code that does
not say (``delete_from_page_cache``) count as truncated.
"""

from __future__ import annotations

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from actors.model.pages import Pages
from actors.objects import FILE, Obj, Ref, page_fields
from emulator.engine.violations import Violation

# Reasons a page may leave its mapping; the futex oracle knows which ones may fail a futex.
REMOVED_BY = "removed_by"


class PageCache:
    def __init__(self, core: Core, locks: Locks, pages: Pages) -> None:
        self.core = core
        self.locks = locks
        self.pages = pages

    # -- setup helpers (initial state, not steps) -------------------------------------------

    def new_file(self, size: int, nlink: int = 1) -> tuple[Obj, Obj]:
        """An inode with its embedded address_space (i_data)."""
        inode = self.core.new(
            "inode",
            {"i_count": 1, "i_state": "", "nlink": nlink, "i_size": size, "i_mapping": None},
        )
        mapping = self.core.new(
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

    def cache_file_page(self, mapping: Obj, index: int, uptodate: int = 1) -> Obj:
        """A page of the file already in the page cache (held by the cache only)."""
        page = self.pages.new_page(FILE, index)
        page.f["uptodate"] = uptodate
        self.cache_initial(mapping, page, index)
        return page

    # -- lookups -----------------------------------------------------------------------------

    @op
    def tree_load(self, cx: Step, mapping: Ref, index: int) -> Ref | None:
        """xas_load / radix_tree_lookup: lockless slot read (caller is in an RCU section)."""
        m = self.core.deref(cx, mapping)
        oid = m.f["tree"].get(index)
        return None if oid is None else (oid, self.core.objs[oid].gen)

    @op
    def fault_lookup(self, cx: Step, mapping: Ref, index: int, holder: str) -> Ref | None:
        """find_get_page of the E2006 era: one step under read_lock(tree_lock), get_page."""
        m = self.core.deref(cx, mapping)
        oid = m.f["tree"].get(index)
        if oid is None:
            return None
        page = self.core.objs[oid]
        self.pages.get(cx, page, holder)
        return self.core.ref(page)

    @op
    def fault_lookup_from(
        self, cx: Step, mapping: Ref, start: int, holder: str
    ) -> tuple[int, Ref] | None:
        """pagevec_lookup for one page: the first cached page at an index >= ``start``, pinned
        (truncate's T2a, invalidate's I1). Atomic under the tree lock / RCU + speculative ref:
        which page is returned is what matters, not how it was found."""
        tree: dict[int, int] = self.core.deref(cx, mapping).f["tree"]
        later = [i for i in tree if i >= start]
        if not later:
            return None
        index = min(later)
        page = self.core.objs[tree[index]]
        self.pages.get(cx, page, holder)
        return (index, self.core.ref(page))

    @op
    def inode_cache_indices(self, cx: Step, mapping: Ref) -> tuple[int, ...]:
        """pagevec_lookup over the whole file (E4, D0): the indices present, in index order."""
        m = self.core.deref(cx, mapping)
        return tuple(sorted(m.f["tree"]))

    # -- insertion ---------------------------------------------------------------------------

    def _insert_locked(self, cx: Step, m: Obj, page: Obj, index: int) -> Ref:
        m.f["tree"][index] = page.oid
        m.f["nrpages"] += 1
        self.core.wrote(cx, m, f"tree[{index}]", page.name())
        ref = self.core.ref(page)
        key = self.locks.page_key(ref)
        self.locks.take(cx, key, self.locks.lock(key, "page"))
        return ref

    @op
    def add_to_page_cache_locked(
        self, cx: Step, mapping: Ref, index: int, holder: str
    ) -> Ref | None:
        """page_cache_alloc + add_to_page_cache_locked: a new, not yet uptodate page, locked by
        the caller, in the cache at ``index`` with the cache's and the caller's references.
        None (-EEXIST) if somebody inserted a page first: the caller looks it up again."""
        m = self.core.deref(cx, mapping)
        if index in m.f["tree"]:
            return None
        fields = page_fields(FILE, index)
        fields.update(uptodate=0, mapping=m.oid, holders=["cache", holder], _refcount=2)
        return self._insert_locked(cx, m, self.core.alloc(cx, "page", fields), index)

    @op
    def add_to_page_cache_lru(self, cx: Step, mapping: Ref, index: int, holder: str) -> Ref | None:
        """page_cache_alloc + add_to_page_cache_lru + a read that completes at once: a new
        page, locked by the caller, in the cache at ``index``; None if somebody added one
        first (the caller repeats its lookup)."""
        m = self.core.deref(cx, mapping)
        if index in m.f["tree"]:
            return None
        p = self.pages.new_page(FILE, index, holders=(holder, "cache"))
        p.f["mapping"] = m.oid
        return self._insert_locked(cx, m, p, index)

    # -- removal -----------------------------------------------------------------------------

    @op
    def delete_from_page_cache(self, cx: Step, page: Ref) -> None:
        """__delete_from_page_cache under the tree lock; the caller holds the page lock."""
        core = self.core
        p = core.deref(cx, page)
        if not self.locks.holds(cx.actor, self.locks.page_key(page)):
            raise Violation("INV-LOCK-3", f"mapping of page {p.name()} changed without PG_locked")
        if p.f["mapping"] is None or p.f["anon"]:
            # Every remover must re-check page->mapping under the page lock: somebody else may
            # have removed the page (and dropped the cache's reference) before we locked it.
            raise Violation(
                "INV-REF-3",
                f"delete_from_page_cache of page {p.name()} that is in no page cache "
                f"(mapping=None): its cache reference was already dropped",
            )
        m = core.objs[p.f["mapping"]]
        m.f["tree"].pop(p.f["index"], None)
        m.f["nrpages"] -= 1
        core.wrote(cx, m, f"tree[{p.f['index']}]", None)
        core.set(cx, p, "mapping", None)
        self.pages.put(cx, p, "cache")

    @op
    def cache_remove(self, cx: Step, page: Ref, reason: str) -> None:
        """__delete_from_page_cache (page locked, tree lock) by truncate, eviction or
        invalidation, remembering why the page lost its mapping."""
        self.delete_from_page_cache(cx, page)
        self.core.objs[page[0]].f[REMOVED_BY] = reason
