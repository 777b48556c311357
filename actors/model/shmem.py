"""shmem and the swap cache: shmem_writepage (W1-W4), swap-in by shmem_fault (S1-S8), the
reclaim pass over one isolated page (R3, R4), drop_caches' invalidate_mapping_pages (D2, D3)
with remove_mapping's refcount freeze, and the IO actor's steps (kernel-scenarios.md 1.7, 2.4).

Model choices:
  * A shmem mapping keeps a page in ``tree`` and a swapped-out index in ``swap`` (index -> swap
    entry); the kernel keeps both kinds in the one radix-tree slot. At most one of the two
    holds an index, which is all that matters, and lookups by code that knows nothing of shmem
    never meet a swap entry.
  * The swap cache is one object (``swap_space``): entry -> page. A page in it has
    PG_swapcache, ``private`` = entry, and one reference held by "swapcache".
  * The swap write is submitted with the page locked and the IO actor ends writeback and
    unlocks it, as kernel-scenarios.md 001b describes (the kernel's swap_writepage unlocks at
    submission; what matters here is only that the page stays locked until W4 is done).

The actor-side routines live in ``actors/kernel/shmem.py``.
"""

from __future__ import annotations

from typing import Any

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from actors.model.options import ModelOptions
from actors.model.pagecache import REMOVED_BY, PageCache
from actors.model.pages import Pages
from actors.model.swap import SwapMap, data_of
from actors.objects import PAGE, SHMEM, Obj, Ref
from emulator.engine.violations import Violation

SWAPCACHE = "swapcache"  # the swap-cache slot's holder name in the page's ledger


class Shmem:
    def __init__(
        self, core: Core, locks: Locks, pages: Pages, cache: PageCache, options: ModelOptions
    ) -> None:
        self.core = core
        self.locks = locks
        self.pages = pages
        self.cache = cache
        self.swap_space: int | None = None
        self.swap_map = SwapMap()  # the swap device's counts (actors/model/swap.py)
        self.swap_io: list[int] = []  # pages with a swap write in flight, oldest first
        self.swap_io_actor: int | None = None
        self.swap_io_idle = False
        self.ref4_drop_caches = options.ref4_drop_caches
        self.reclaim_ignores_pins = options.reclaim_ignores_pins

    # -- setup helpers -----------------------------------------------------------------------

    def new_shmem_file(self, size: int) -> tuple[Obj, Obj]:
        """A tmpfs / SysV shm file, held open (i_count 1), with an empty swap map."""
        inode, mapping = self.cache.new_file(size)
        mapping.f["swap"] = {}
        self.swap_space_obj()
        return inode, mapping

    def new_shmem_page(self, mapping: Obj, index: int, holders: tuple[str, ...] = ()) -> Obj:
        page = self.pages.new_page(SHMEM, index, holders)
        self.cache.cache_initial(mapping, page, index)
        return page

    def _swap(self) -> Obj:
        assert self.swap_space is not None, "scenario has no swap"
        return self.core.objs[self.swap_space]

    def swap_space_obj(self) -> Obj:
        """The swap cache (swapper_space), made with the first shmem file or swap entry."""
        if self.swap_space is None:
            self.swap_space = self.core.new("swap_space", {"slots": {}, "next": 1}).oid
        return self.core.objs[self.swap_space]

    # -- shmem_writepage: W1-W4 (reclaim holds the page lock) ------------------------------

    @op
    def get_swap_page(self, cx: Step, page: Ref) -> int:
        """W1 get_swap_page (3.0.1 mm/swapfile.c:412): a free slot with SWAP_HAS_CACHE. Slots
        are reused once free (actors/model/swap.py); a shmem slot keeps its swap count (W3) for
        good, so shmem alone sees 1, 2, 3 ... as before."""
        self.pages.locked(cx, page, "swap slot")
        sw = self.swap_space_obj()
        entry = self.swap_map.alloc()
        self.core.set(cx, sw, "next", max(int(sw.f["next"]), entry + 1))
        return entry

    @op
    def add_to_swap_cache(self, cx: Step, page: Ref, entry: int) -> None:
        """W2 add_to_swap_cache: PG_swapcache, private = entry, +1 ref for the slot. The page
        is now visible with mapping != NULL and PG_swapcache (1.7)."""
        p = self.pages.locked(cx, page, "PG_swapcache")
        sw = self._swap()
        sw.f["slots"][entry] = p.oid
        self.swap_map.data[entry] = data_of(p)  # what swap-in must find again (INV-MAP-1)
        self.core.wrote(cx, sw, f"slot[{entry}]", p.name())
        p.f["private"] = entry
        self.core.set(cx, p, "swapcache", 1)
        self.pages.get(cx, p, SWAPCACHE)

    @op
    def shmem_swap_out(self, cx: Step, page: Ref) -> None:
        """W3: the shmem slot now holds the swap entry; page->mapping = NULL and the cache's
        reference goes. R4 has made sure nobody else holds the page (unless the
        ``reclaim_ignores_pins`` ablation is on)."""
        p = self.pages.locked(cx, page, "mapping")
        m = self.core.objs[p.f["mapping"]]
        index = p.f["index"]
        del m.f["tree"][index]
        m.f["swap"][index] = p.f["private"]
        # The shmem slot's swap count; shmem's swap-in does not swap_free it (not modelled).
        self.swap_map.count[p.f["private"]] = self.swap_map.count.get(p.f["private"], 0) + 1
        m.f["nrpages"] -= 1
        self.core.wrote(cx, m, f"tree[{index}]", f"swap:{p.f['private']}")
        self.core.set(cx, p, "mapping", None)
        p.f[REMOVED_BY] = "swapout"
        self.pages.put(cx, p, "cache")

    @op
    def swap_writepage(self, cx: Step, page: Ref) -> None:
        """W4 swap_writepage: writeback set, IO submitted; the page lock now belongs to the IO,
        which drops it at completion."""
        p = self.pages.locked(cx, page, "PG_writeback")
        self.core.set(cx, p, "writeback", 1)
        self.locks.hand_to_io(cx, self.locks.page_key(page))
        self.swap_io.append(p.oid)
        if self.swap_io_idle and self.swap_io_actor is not None:
            self.swap_io_idle = False
            self.core.wake(self.swap_io_actor)

    # -- the IO actor's steps ----------------------------------------------------------------

    @op
    def swap_io_wait(self, cx: Step) -> Any:
        self.swap_io_actor = cx.actor
        if self.swap_io:
            oid = self.swap_io.pop(0)
            return (oid, self.core.objs[oid].gen)
        self.swap_io_idle = True
        return self.core.park(cx, "no swap IO in flight", None, idle=True)

    @op
    def swap_io_done(self, cx: Step, page: Ref) -> None:
        """end_page_writeback + unlock_page by the IO completion."""
        p = self.core.deref(cx, page)
        self.core.set(cx, p, "writeback", 0)
        self.locks.unlock_page(cx, page)

    # -- swap-in by shmem_fault (S1-S8) ----------------------------------------------------

    @op
    def find_get_entry(self, cx: Step, mapping: Ref, index: int) -> tuple[str, Any]:
        """S1 find_get_entry: ("page", page) | ("swap", entry) | ("none", None)."""
        m = self.core.deref(cx, mapping)
        oid = m.f["tree"].get(index)
        if oid is not None:
            return ("page", (oid, self.core.objs[oid].gen))
        entry = m.f["swap"].get(index)
        if entry is not None:
            return ("swap", entry)
        return ("none", None)

    @op
    def lookup_swap_cache(self, cx: Step, entry: int, holder: str) -> Ref | None:
        """S2 lookup_swap_cache: the page with a reference, or None if it has left."""
        oid = self._swap().f["slots"].get(entry)
        if oid is None:
            return None
        p = self.core.objs[oid]
        self.pages.get(cx, p, holder)
        return self.core.ref(p)

    @op
    def swap_confirm(self, cx: Step, page: Ref, mapping: Ref, index: int) -> bool:
        """S4 under the page lock: still in swap cache with the entry the shmem slot holds."""
        p = self.core.deref(cx, page)
        m = self.core.deref(cx, mapping)
        entry = p.f.get("private")
        return bool(p.f["swapcache"]) and entry is not None and m.f["swap"].get(index) == entry

    @op
    def shmem_add_to_page_cache(self, cx: Step, page: Ref, mapping: Ref, index: int) -> None:
        """S6 shmem_add_to_page_cache: the same struct page goes back into the shmem slot
        (mapping set, +1 ref for the cache) while still in swap cache."""
        p = self.pages.locked(cx, page, "mapping")
        m = self.core.deref(cx, mapping)
        del m.f["swap"][index]
        m.f["tree"][index] = p.oid
        m.f["nrpages"] += 1
        self.core.wrote(cx, m, f"tree[{index}]", p.name())
        p.f["index"] = index
        self.core.set(cx, p, "mapping", m.oid)
        p.f.pop(REMOVED_BY, None)
        self.pages.get(cx, p, "cache")

    @op
    def delete_from_swap_cache(self, cx: Step, page: Ref) -> None:
        """S7 delete_from_swap_cache (3.0.1 mm/swap_state.c:196): PG_swapcache cleared, the
        slot's reference dropped, swapcache_free (SWAP_HAS_CACHE cleared: a slot with no swap
        count left is free)."""
        p = self.pages.locked(cx, page, "PG_swapcache")
        sw = self._swap()
        entry = p.f.pop("private")
        del sw.f["slots"][entry]
        self.swap_map.put(entry, cache=True)
        self.core.wrote(cx, sw, f"slot[{entry}]", None)
        self.core.set(cx, p, "swapcache", 0)
        self.pages.put(cx, p, SWAPCACHE)

    # -- reclaim's rmap walk for file/shmem pages (R3, R4) ----------------------------------

    @op
    def reclaim_rmap(self, cx: Step, page: Ref) -> tuple[tuple[Ref, int], ...]:
        """rmap_walk_file under i_mmap: (mm, address) of every vma that maps the page's index."""
        objs = self.core.objs
        p = self.core.deref(cx, page)
        if p.f["mapping"] is None:
            return ()
        index = p.f["index"]
        out = []
        for v in objs[p.f["mapping"]].f["i_mmap"]:
            vma = objs[v]
            addr = vma.f["start"] + (index - vma.f["pgoff"]) * PAGE
            if vma.f["start"] <= addr < vma.f["end"]:
                mm = objs[vma.f["mm"]]
                out.append((self.core.ref(mm), addr))
        return tuple(out)

    @op
    def reclaim_pageout_ok(self, cx: Step, page: Ref) -> bool:
        """R4 under the page lock: shrink_page_list's checks before pageout(). Unmapped (the
        try_to_unmap above cleared every pte), not already in swap cache, not under writeback,
        and pageout()'s is_page_cache_freeable() (3.0.1 mm/vmscan.c:336, :418): ``page_count -
        page_has_private == 2``, the page cache's reference and the isolating caller's. Any
        other reference (a GUP pin, a lookup in flight) makes it PAGE_KEEP. The
        ``reclaim_ignores_pins`` ablation drops the count test."""
        f = self.core.deref(cx, page).f
        if f["mapcount"] >= 0 or f["swapcache"] or f["writeback"]:
            return False
        if self.reclaim_ignores_pins:
            return True
        return bool(f["_refcount"] - int(bool(f.get("has_private", 0))) == 2)

    # -- drop_caches: invalidate_mapping_pages (D2, D3) -------------------------------------

    @op
    def drop_invalidatable(self, cx: Step, page: Ref, mapping: Ref) -> bool:
        """D2 under the page lock: still this mapping's, clean, not under writeback, unmapped."""
        f = self.core.deref(cx, page).f
        return bool(
            f["mapping"] == mapping[0]
            and not f["dirty"]
            and not f["writeback"]
            and f["mapcount"] < 0
        )

    @op
    def remove_mapping(self, cx: Step, page: Ref, holder: str, freeze: bool) -> bool:
        """D3 remove_mapping under the tree lock: page_ref_freeze(page, 2) (the cache's and our
        lookup's references) fails if anybody else holds the page, e.g. a GUP pin; then the
        dirty re-check, delete from the cache, unfreeze to our one reference. ``freeze=False``
        is the ablation: delete whatever the refcount (what invalidate2 does)."""
        p = self.pages.locked(cx, page, "mapping")
        others = [h for h in p.f["holders"] if h not in ("cache", holder)]
        if freeze and p.f["_refcount"] != 2:
            return False
        if p.f["dirty"]:
            return False
        if others and self.ref4_drop_caches:
            raise Violation(
                "INV-REF-4",
                f"drop_caches takes page {p.name()} out of its mapping while it is still "
                f"held by {', '.join(others)}",
            )
        self.cache.cache_remove(cx, page, "drop_caches")
        return True
