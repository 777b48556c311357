"""Anonymous swap and page reclaim's last steps, Linux 3.0.1 (mm/swapfile.c, mm/swap_state.c,
mm/memory.c do_swap_page, mm/rmap.c try_to_unmap_one, mm/vmscan.c __remove_mapping), and the
block layer that completes writeback.

State and model choices:
  * One swap device. ``SwapMap`` is its swap_map: per offset ("entry") the number of swap ptes
    (and shmem slots) holding it (swap_duplicate / swap_free) and SWAP_HAS_CACHE while a
    swap-cache page owns it (get_swap_page, swapcache_prepare / swapcache_free). An offset with
    neither is free and is handed out again. 3.0's scan_swap_map searches from cluster_next and
    wraps; the model hands out the lowest free offset, so a freed slot is reused as early as
    the kernel may reuse it.
  * The swap cache itself (entry -> page, PG_swapcache, page_private) is the ``swap_space``
    object of actors/model/shmem.py, shared with shmem: one swap cache, as in the kernel.
  * A swap pte lives in ``mm.f["swap_ptes"]`` (addr -> entry), beside the present ptes, so
    code that knows nothing of swap sees pte_none; ``pte_install`` refuses an address that holds
    a swap entry (it is not pte_none).
  * Data identity (INV-MAP-1 for anonymous memory): every page holds the data of one "life"
    (``data``: set when it is read from swap, else the page's own identity); a slot holds the
    data of the page written to it. A pte that do_swap_page installs for entry E must map a
    page that holds E's current data: mapping another page is the user seeing stale or foreign
    memory. The kernel's own checks (PageSwapCache, page_private, pte_same) are what keep this.
  * Reads from swap complete at once (read_swap_cache_async returns an uptodate, unlocked
    page): the window in which the new page is locked for the read changes nothing the
    re-checks look at. Writes complete through the block layer: ``submit_bio`` queues the page,
    an IO actor (``bio_wait``, then end_page_writeback) completes it later.

The actor-side routines are actors/kernel/swap.py and actors/kernel/reclaim.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.mm import Mm, pte_holder
from actors.model.ops import op
from actors.model.pagecache import PageCache
from actors.model.pages import Pages
from actors.objects import ANON, PAGE, Obj, Ref
from emulator.engine.violations import Violation

if TYPE_CHECKING:
    from actors.model.shmem import Shmem

SWAPCACHE = "swapcache"  # the swap cache's holder name in a page's ledger (as in shmem.py)
PTL = "ptl"


def data_of(p: Obj) -> str:
    """The data a page holds: what it was read from swap with, else its own (oid, gen)."""
    d = p.f.get("data")
    return str(d) if d is not None else f"page#{p.oid}.{p.gen}"


class SwapMap:
    """The swap device's swap_map (3.0.1 mm/swapfile.c), plus the data each slot holds."""

    def __init__(self) -> None:
        self.count: dict[int, int] = {}  # swap ptes and shmem slots holding the entry
        self.cache: dict[int, int] = {}  # SWAP_HAS_CACHE
        self.data: dict[int, str] = {}  # whose data the slot holds (INV-MAP-1)

    def in_use(self, entry: int) -> bool:
        return self.count.get(entry, 0) > 0 or entry in self.cache

    def alloc(self) -> int:
        """get_swap_page -> scan_swap_map(si, SWAP_HAS_CACHE) (3.0.1 mm/swapfile.c:412, :440):
        the lowest free offset, with SWAP_HAS_CACHE set."""
        entry = 1
        while self.in_use(entry):
            entry += 1
        self.cache[entry] = 1
        return entry

    def put(self, entry: int, cache: bool) -> None:
        """swap_entry_free (3.0.1 mm/swapfile.c:512): drop one swap count or SWAP_HAS_CACHE;
        the slot is free when neither is left."""
        if cache:
            self.cache.pop(entry, None)
        elif self.count.get(entry, 0) > 0:
            self.count[entry] -= 1
            if not self.count[entry]:
                del self.count[entry]
        if not self.in_use(entry):
            self.data.pop(entry, None)


class Swap:
    def __init__(
        self, core: Core, locks: Locks, pages: Pages, cache: PageCache, mm: Mm, shmem: Shmem
    ) -> None:
        self.core = core
        self.locks = locks
        self.pages = pages
        self.cache = cache
        self.mm = mm
        self.shmem = shmem
        self.map = shmem.swap_map
        self.bios: list[int] = []  # pages whose write bio is in flight, oldest first
        self.io_actor: int | None = None
        self.io_idle = False

    # -- setup helpers (initial state, not steps) -------------------------------------------

    def new_anon_page(self, mm: Obj, addr: int) -> Obj:
        """A private anonymous page mapped at ``addr`` (the vma there gets an anon_vma)."""
        vma = self._vma(mm, addr)
        page = self.pages.new_page(ANON)
        page.f["mapping"] = vma.f["anon_vma"]
        page.f["anon"] = 1
        page.f["index"] = vma.f["pgoff"] + (addr - vma.f["start"]) // PAGE
        self.mm.map_initial(mm, addr, page)
        return page

    def _vma(self, mm: Obj, addr: int) -> Obj:
        """The vma at ``addr``, with an anon_vma (anon_vma_prepare at setup)."""
        vma = self.mm.vma_at(mm, addr)
        assert vma is not None, f"no vma at {addr:#x}"
        if vma.f["anon_vma"] is None:
            av = self.core.new("anon_vma", {"root": None, "refcount": 1, "chain": (vma.oid,)})
            av.f["root"] = av.oid
            vma.f["anon_vma"] = av.oid
        return vma

    def new_swapped_page(self, mm: Obj, addr: int, cached: bool) -> tuple[int, Obj | None]:
        """An anonymous page already swapped out at ``addr``: a swap pte for a new entry, and
        (``cached``) its page still in the swap cache, clean, held by the cache only."""
        self.shmem.swap_space_obj()
        entry = self.map.alloc()
        self.map.count[entry] = 1
        mm.f.setdefault("swap_ptes", {})[addr] = entry
        page = None
        if cached:
            vma = self._vma(mm, addr)
            page = self.pages.new_page(ANON, holders=(SWAPCACHE,))
            page.f.update(mapping=vma.f["anon_vma"], anon=1, swapcache=1, private=entry)
            self.shmem._swap().f["slots"][entry] = page.oid
            self.map.data[entry] = data_of(page)
        else:
            self.map.cache.pop(entry)
            self.map.data[entry] = f"disk:{entry}"
        return entry, page

    def fork_swap_pte(self, parent: Obj, child: Obj, addr: int) -> None:
        """fork's copy_one_pte of a swap pte (3.0.1 mm/memory.c:855, :868): the child's pte
        holds the same entry (swap_duplicate) and the child's vma is on the parent's anon_vma
        chain (anon_vma_fork links it there), so rmap walks find both."""
        entry = parent.f["swap_ptes"][addr]
        self.map.count[entry] += 1
        child.f.setdefault("swap_ptes", {})[addr] = entry
        pv, cv = self._vma(parent, addr), self.mm.vma_at(child, addr)
        assert cv is not None, f"no vma at {addr:#x} in the child"
        av = self.core.objs[pv.f["anon_vma"]]
        av.f["chain"] = (*av.f["chain"], cv.oid)
        cv.f["anon_vma"] = av.oid

    # -- swap ptes -----------------------------------------------------------------------------

    @op
    def pte_swap_entry(self, cx: Step, mm: Ref, addr: int) -> int | None:
        """The pte as a swap entry (pte_to_swp_entry of a !pte_present, !pte_none pte), or None:
        do_swap_page's orig_pte, and its pte_same re-check when read under the pte lock."""
        m = self.core.deref(cx, mm)
        entry: int | None = m.f.get("swap_ptes", {}).get(addr)
        return entry

    def _need_ptl(self, cx: Step, m: Obj) -> None:
        if not self.locks.holds(cx.actor, (m.oid, PTL)):
            raise Violation("INV-LOCK-3", f"pte of {m.name()} changed without its pte lock")

    @op
    def set_swap_pte(self, cx: Step, mm: Ref, addr: int, page: Ref) -> bool:
        """try_to_unmap_one's anonymous branch (3.0.1 mm/rmap.c:1204-1261) under the pte lock,
        page locked and in the swap cache: if the pte still maps the page,
        ptep_clear_flush, swap_duplicate(entry), set_pte_at(swp_entry_to_pte(entry)),
        page_remove_rmap, page_cache_release. False: the pte no longer maps it."""
        core = self.core
        m = core.deref(cx, mm)
        self._need_ptl(cx, m)
        p = self.pages.locked(cx, page, "swap pte")
        pte = m.f["ptes"].get(addr)
        if pte is None or pte[0] != p.oid:
            return False
        entry = p.f.get("private")
        if not p.f["swapcache"] or not entry:
            raise Violation("INV-LOCK-3", f"swap pte for page {p.name()} not in swap cache")
        del m.f["ptes"][addr]
        self.map.count[entry] = self.map.count.get(entry, 0) + 1
        m.f.setdefault("swap_ptes", {})[addr] = entry
        core.wrote(cx, m, f"pte@{addr:#x}", f"swap:{entry}")
        core.set(cx, p, "mapcount", p.f["mapcount"] - 1)
        self.pages.put(cx, p, pte_holder(m.oid, addr))
        return True

    @op
    def swap_pte_map(
        self, cx: Step, mm: Ref, addr: int, entry: int, page: Ref, writable: int, holder: str
    ) -> None:
        """do_swap_page after its pte_same re-check, pte lock held (3.0.1 mm/memory.c:2984-2993):
        set_pte_at, do_page_add_anon_rmap; ``holder``'s reference becomes the pte's. INV-MAP-1
        if the page does not hold the data of the swap entry the pte held."""
        core = self.core
        m = core.deref(cx, mm)
        self._need_ptl(cx, m)
        swap_ptes: dict[int, int] = m.f.get("swap_ptes", {})
        if swap_ptes.get(addr) != entry:
            raise Violation("INV-MAP-1", f"swap pte at {addr:#x} replaced without pte_same")
        p = core.deref(cx, page)
        want = self.map.data.get(entry)
        if data_of(p) != want:
            raise Violation(
                "INV-MAP-1",
                f"pte ({m.name()}, addr {addr:#x}) maps page {p.name()} holding "
                f"{data_of(p)} for swap entry {entry}, which holds {want}: the slot was freed "
                f"and reused since the fault looked the page up",
            )
        holders: list[str] = p.f["holders"]
        if holder not in holders:
            raise Violation(
                "INV-REF-3", f"swap-in pte of {p.name()} without a reference ({holder})"
            )
        del swap_ptes[addr]
        holders[holders.index(holder)] = pte_holder(m.oid, addr)
        m.f["ptes"][addr] = (p.oid, writable)
        core.wrote(cx, m, f"pte@{addr:#x}", p.name())
        core.set(cx, p, "mapcount", p.f["mapcount"] + 1)
        if p.f["mapping"] is None:  # __page_set_anon_rmap of a page read from swap
            vma = self.mm.vma_at(m, addr)
            assert vma is not None
            core.set(cx, p, "mapping", vma.f["anon_vma"])
            p.f["anon"] = 1

    @op
    def zap_swap_pte(self, cx: Step, mm: Ref, addr: int, holder: str) -> Ref | None:
        """zap_pte_range's swap branch (3.0.1 mm/memory.c:1194) under the pte lock: pte_clear,
        then free_swap_and_cache's swap_lock section (mm/swapfile.c:686-703): one swap count
        less, and if only the swap cache still holds the entry, its page referenced by
        ``holder`` and trylocked (returned; None if there is none or it is locked)."""
        core = self.core
        m = core.deref(cx, mm)
        self._need_ptl(cx, m)
        entry = m.f.get("swap_ptes", {}).pop(addr, None)
        if entry is None:
            return None
        core.wrote(cx, m, f"pte@{addr:#x}", None)
        self.map.put(entry, cache=False)
        if self.map.count.get(entry, 0) or entry not in self.map.cache:
            return None
        oid = self.shmem.swap_space_obj().f["slots"].get(entry)
        if oid is None:
            return None
        ref = core.ref(core.objs[oid])
        if not self.locks.trylock_page(cx, ref):
            return None
        self.pages.get(cx, core.objs[oid], holder)
        return ref

    # -- the swap map and the swap cache -------------------------------------------------------

    @op
    def swap_free(self, cx: Step, entry: int) -> None:
        """swap_free (3.0.1 mm/swapfile.c:572): one swap count less; a slot with no count and
        no swap-cache page is free for the next get_swap_page."""
        if self.map.count.get(entry, 0) <= 0:
            raise Violation("INV-REF-1", f"swap_free of entry {entry} with swap count 0")
        self.map.put(entry, cache=False)
        self.core.wrote(cx, self.shmem.swap_space_obj(), f"swap_map[{entry}]", "-1")

    @op
    def page_private(self, cx: Step, page: Ref) -> int:
        """page_private(page): the swap entry of a swap-cache page, 0 otherwise."""
        return int(self.core.deref(cx, page).f.get("private") or 0)

    def _delete(self, cx: Step, p: Obj) -> None:
        """delete_from_swap_cache (3.0.1 mm/swap_state.c:196) of a locked page."""
        self.shmem.delete_from_swap_cache(cx, self.core.ref(p))

    def _swapcount(self, p: Obj) -> int:
        """page_swapcount (3.0.1 mm/swapfile.c:605)."""
        return self.map.count.get(int(p.f.get("private") or 0), 0)

    @op
    def reuse_swap_page(self, cx: Step, page: Ref) -> bool:
        """reuse_swap_page (3.0.1 mm/swapfile.c:626), page locked: True if this is the only
        user (mapcount + swapcount <= 1); then, unless under writeback, the page leaves the swap
        cache (and its slot is freed once its swap count goes) and is dirtied."""
        p = self.pages.locked(cx, page, "swap cache")
        count = p.f["mapcount"] + 1  # page_mapcount
        if count <= 1 and p.f["swapcache"]:
            count += self._swapcount(p)
            if count == 1 and not p.f["writeback"]:
                self._delete(cx, p)
                self.core.set(cx, p, "dirty", 1)
        return bool(count <= 1)

    @op
    def try_to_free_swap(self, cx: Step, page: Ref) -> bool:
        """try_to_free_swap (3.0.1 mm/swapfile.c:648), page locked: a swap-cache page no swap
        pte refers to any more, not under writeback, leaves the swap cache, dirty."""
        p = self.pages.locked(cx, page, "swap cache")
        if not p.f["swapcache"] or p.f["writeback"] or self._swapcount(p):
            return False
        self._delete(cx, p)
        self.core.set(cx, p, "dirty", 1)
        return True

    @op
    def read_swap_cache_async(self, cx: Step, entry: int, holder: str) -> tuple[str, Ref | None]:
        """One pass of read_swap_cache_async's loop (3.0.1 mm/swap_state.c:282-341):
        ("page", p) the entry's swap-cache page with a reference, or a new page read from the
        slot into the swap cache; ("freed", None) swapcache_prepare found the entry no longer in
        use; ("busy", None) -EEXIST: SWAP_HAS_CACHE is set but the page is not in the swap cache
        yet (add_to_swap between get_swap_page and add_to_swap_cache), the caller loops."""
        sw = self.shmem.swap_space_obj()
        self.core.frames[cx.actor].touched[sw.oid] = None  # a loop that waits for a writer
        slots: dict[int, int] = sw.f["slots"]
        oid = slots.get(entry)
        if oid is not None:
            p = self.core.objs[oid]
            self.pages.get(cx, p, holder)
            return ("page", self.core.ref(p))
        if not self.map.in_use(entry):
            return ("freed", None)
        if entry in self.map.cache:
            return ("busy", None)
        self.map.cache[entry] = 1
        p = self.pages.new_page(ANON, holders=(holder, SWAPCACHE))
        p.f.update(swapcache=1, private=entry, data=self.map.data.get(entry))
        slots[entry] = p.oid
        self.core.wrote(cx, sw, f"slot[{entry}]", p.name())
        return ("page", self.core.ref(p))

    # -- reclaim -----------------------------------------------------------------------------

    @op
    def anon_rmap(self, cx: Step, page: Ref) -> tuple[tuple[Ref, int], ...]:
        """rmap_walk_anon for try_to_unmap (3.0.1 mm/rmap.c try_to_unmap_anon, under the
        anon_vma lock): (mm, address) of every pte in the anon_vma's vmas that maps the page."""
        objs = self.core.objs
        p = self.core.deref(cx, page)
        if p.f["mapping"] is None or not p.f["anon"]:
            return ()
        out = []
        for v in objs[p.f["mapping"]].f["chain"]:
            vma = objs[v]
            mm = objs[vma.f["mm"]]
            for addr, pte in sorted(mm.f["ptes"].items()):
                if pte[0] == p.oid and vma.f["start"] <= addr < vma.f["end"]:
                    out.append((self.core.ref(mm), addr))
        return tuple(out)

    @op
    def is_page_cache_freeable(self, cx: Step, page: Ref) -> bool:
        """is_page_cache_freeable (3.0.1 mm/vmscan.c:336): page_count - page_has_private == 2,
        the cache's (or swap cache's) reference and the isolating caller's."""
        f = self.core.deref(cx, page).f
        return bool(f["_refcount"] - int(bool(f.get("has_private", 0))) == 2)

    @op
    def reclaim_remove_mapping(self, cx: Step, page: Ref, holder: str) -> bool:
        """shrink_page_list's __remove_mapping and free_it (3.0.1 mm/vmscan.c:484, :904-914),
        page locked, under the mapping's tree_lock: page_freeze_refs(page, 2) fails if anybody
        but the cache and the isolating ``holder`` has a reference (a GUP pin, a speculative
        get_page_unless_zero); PageDirty -> unfreeze, fail. Otherwise out of the swap cache
        (swapcache_free) or the page cache, __clear_page_locked, and the page is freed."""
        p = self.pages.locked(cx, page, "mapping")
        if p.f["_refcount"] != 2 or p.f.get("frozen"):
            return False
        if p.f["dirty"]:
            return False
        if p.f["swapcache"]:
            self.shmem.delete_from_swap_cache(cx, page)
        elif p.f["mapping"] is not None and not p.f["anon"]:
            self.cache.cache_remove(cx, page, "reclaim")
        else:
            return False  # no mapping: shrink_page_list keeps it ("!mapping" -> keep_locked)
        self.locks.unlock_page(cx, page)  # __clear_page_locked: nobody can have it any more
        self.pages.put(cx, p, holder)
        return True

    # -- the block layer -------------------------------------------------------------------

    @op
    def submit_bio(self, cx: Step, page: Ref) -> None:
        """submit_bio of a page under writeback (->writepage, swap_writepage): the IO actor
        completes it later with end_page_writeback."""
        p = self.core.deref(cx, page)
        if not p.f["writeback"]:
            raise Violation("INV-LOCK-3", f"bio submitted for page {p.name()} not under writeback")
        self.bios.append(p.oid)
        if self.io_idle and self.io_actor is not None:
            self.io_idle = False
            self.core.wake(self.io_actor)

    @op
    def bio_wait(self, cx: Step) -> Any:
        """The IO actor: the oldest bio in flight (parks while there is none)."""
        self.io_actor = cx.actor
        if self.bios:
            oid = self.bios.pop(0)
            return (oid, self.core.objs[oid].gen)
        self.io_idle = True
        return self.core.park(cx, "no bio in flight", None, idle=True)
