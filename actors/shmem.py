"""shmem and the swap cache: shmem_writepage (W1-W4), swap-in by shmem_fault (S1-S8), the
reclaim pass over one isolated page (R1-R7), drop_caches' invalidate_mapping_pages (D1-D4) with
remove_mapping's refcount freeze, and the IO actor that completes swap writes
(kernel-scenarios.md 1.7 and 2.4).

Model choices:
  * A shmem mapping keeps a page in ``tree`` and a swapped-out index in ``swap`` (index -> swap
    entry); the kernel keeps both kinds in the one radix-tree slot. At most one of the two
    holds an index, which is all that matters, and lookups by code that knows nothing of shmem
    never meet a swap entry.
  * The swap cache is one object (``swap_space``): entry -> page. A page in it has
    PG_swapcache, ``private`` = entry, and one reference held by "swapcache".
  * Reclaim makes one pass over the page: a swapped-out page stays in swap cache until swap-in
    takes it back (the second pass, __remove_mapping from swap cache, is not modelled; its
    page_ref_freeze would fail on a pinned page anyway).
  * The swap write is submitted with the page locked and the IO actor ends writeback and
    unlocks it, as kernel-scenarios.md 001b describes (the kernel's swap_writepage unlocks at
    submission; what matters here is only that the page stays locked until W4 is done).
"""

from __future__ import annotations

from typing import Any

from actors.inode import REMOVED_BY, InodeMixin
from actors.kfutex import KF, VmaInfo
from actors.mm import PTL
from actors.objects import SHMEM, Obj
from actors.pgcache import find_get_page, finish_fault
from actors.state import IO_OWNER, Ref
from emulator.engine.runtime import Port
from emulator.engine.violations import Violation

PAGE = 4096
IO_ACTOR = "IO"
SWAPCACHE = "swapcache"  # the swap-cache slot's holder name in the page's ledger


class ShmemMixin(InodeMixin):
    def __init__(self) -> None:
        super().__init__()
        self.swap_space: int | None = None
        self.swap_io: list[int] = []  # pages with a swap write in flight, oldest first
        self.swap_io_actor: int | None = None
        self.swap_io_idle = False
        # drop_caches semantics for INV-REF-4 (001c): remove_mapping must never take a page
        # out of its mapping while somebody besides the cache and the caller holds it.
        self.ref4_drop_caches = False

    # -- setup helpers -----------------------------------------------------------------------

    def new_shmem_file(self, size: int) -> tuple[Obj, Obj]:
        """A tmpfs / SysV shm file, held open (i_count 1), with an empty swap map."""
        inode, mapping = self.new_file(size)
        mapping.f["swap"] = {}
        if self.swap_space is None:
            self.swap_space = self.new("swap_space", {"slots": {}, "next": 1}).oid
        return inode, mapping

    def new_shmem_page(self, mapping: Obj, index: int, holders: tuple[str, ...] = ()) -> Obj:
        page = self.new_page(SHMEM, index, holders)
        self.cache_initial(mapping, page, index)
        return page

    # -- helpers -----------------------------------------------------------------------------

    def _locked_page(self, actor: int, page: Ref, what: str) -> Obj:
        p = self.deref(actor, page)
        if not self.holds(actor, self.page_key(page)):
            raise Violation("INV-LOCK-3", f"{what} of page {p.name()} changed without PG_locked")
        return p

    def _swap(self) -> Obj:
        assert self.swap_space is not None, "scenario has no shmem file"
        return self.objs[self.swap_space]

    # -- shmem_writepage: W1-W4 (reclaim holds the page lock) ------------------------------

    def op_swap_alloc(self, actor: int, page: Ref) -> int:
        """W1 get_swap_page."""
        self._locked_page(actor, page, "swap slot")
        sw = self._swap()
        entry: int = sw.f["next"]
        self.set(sw, "next", entry + 1)
        return entry

    def op_swap_add(self, actor: int, page: Ref, entry: int) -> None:
        """W2 add_to_swap_cache: PG_swapcache, private = entry, +1 ref for the slot. The page
        is now visible with mapping != NULL and PG_swapcache (1.7)."""
        p = self._locked_page(actor, page, "PG_swapcache")
        sw = self._swap()
        sw.f["slots"][entry] = p.oid
        self.wrote(sw, f"slot[{entry}]", p.name())
        p.f["private"] = entry
        self.set(p, "swapcache", 1)
        self._get(p, SWAPCACHE)

    def op_shmem_swap_out(self, actor: int, page: Ref) -> None:
        """W3: the shmem slot now holds the swap entry; page->mapping = NULL and the cache's
        reference goes, whatever other references (a GUP pin) the page has."""
        p = self._locked_page(actor, page, "mapping")
        m = self.objs[p.f["mapping"]]
        index = p.f["index"]
        del m.f["tree"][index]
        m.f["swap"][index] = p.f["private"]
        m.f["nrpages"] -= 1
        self.wrote(m, f"tree[{index}]", f"swap:{p.f['private']}")
        self.set(p, "mapping", None)
        p.f[REMOVED_BY] = "swapout"
        self._put(actor, p, "cache")

    def op_swap_writeout(self, actor: int, page: Ref) -> None:
        """W4 swap_writepage: writeback set, IO submitted; the page lock now belongs to the IO,
        which drops it at completion."""
        p = self._locked_page(actor, page, "PG_writeback")
        self.set(p, "writeback", 1)
        key = self.page_key(page)
        self.frames[actor].held.pop(key)
        self.locks[key].owner = IO_OWNER
        self.swap_io.append(p.oid)
        if self.swap_io_idle and self.swap_io_actor is not None:
            self.swap_io_idle = False
            self.wake(self.swap_io_actor)

    # -- the IO actor's steps ----------------------------------------------------------------

    def op_swap_io_wait(self, actor: int) -> Any:
        self.swap_io_actor = actor
        if self.swap_io:
            oid = self.swap_io.pop(0)
            return (oid, self.objs[oid].gen)
        self.swap_io_idle = True
        return self.park(actor, "no swap IO in flight", None, idle=True)

    def op_swap_io_done(self, actor: int, page: Ref) -> None:
        """end_page_writeback + unlock_page by the IO completion."""
        p = self.deref(actor, page)
        self.set(p, "writeback", 0)
        self.op_unlock_page(actor, page)

    # -- swap-in by shmem_fault (S1-S8) ----------------------------------------------------

    def op_shmem_find(self, actor: int, mapping: Ref, index: int) -> tuple[str, Any]:
        """S1 find_get_entry: ("page", page) | ("swap", entry) | ("none", None)."""
        m = self.deref(actor, mapping)
        oid = m.f["tree"].get(index)
        if oid is not None:
            return ("page", (oid, self.objs[oid].gen))
        entry = m.f["swap"].get(index)
        if entry is not None:
            return ("swap", entry)
        return ("none", None)

    def op_swap_lookup(self, actor: int, entry: int, holder: str) -> Ref | None:
        """S2 lookup_swap_cache: the page with a reference, or None if it has left."""
        oid = self._swap().f["slots"].get(entry)
        if oid is None:
            return None
        p = self.objs[oid]
        self._get(p, holder)
        return self.ref(p)

    def op_swap_confirm(self, actor: int, page: Ref, mapping: Ref, index: int) -> bool:
        """S4 under the page lock: still in swap cache with the entry the shmem slot holds."""
        p = self.deref(actor, page)
        m = self.deref(actor, mapping)
        entry = p.f.get("private")
        return bool(p.f["swapcache"]) and entry is not None and m.f["swap"].get(index) == entry

    def op_shmem_swap_in(self, actor: int, page: Ref, mapping: Ref, index: int) -> None:
        """S6 shmem_add_to_page_cache: the same struct page goes back into the shmem slot
        (mapping set, +1 ref for the cache) while still in swap cache."""
        p = self._locked_page(actor, page, "mapping")
        m = self.deref(actor, mapping)
        del m.f["swap"][index]
        m.f["tree"][index] = p.oid
        m.f["nrpages"] += 1
        self.wrote(m, f"tree[{index}]", p.name())
        p.f["index"] = index
        self.set(p, "mapping", m.oid)
        p.f.pop(REMOVED_BY, None)
        self._get(p, "cache")

    def op_swap_delete(self, actor: int, page: Ref) -> None:
        """S7 delete_from_swap_cache: PG_swapcache cleared, the slot's reference dropped."""
        p = self._locked_page(actor, page, "PG_swapcache")
        sw = self._swap()
        entry = p.f.pop("private")
        del sw.f["slots"][entry]
        self.wrote(sw, f"slot[{entry}]", None)
        self.set(p, "swapcache", 0)
        self._put(actor, p, SWAPCACHE)

    # -- reclaim's rmap walk for file/shmem pages (R3) --------------------------------------

    def op_reclaim_rmap(self, actor: int, page: Ref) -> tuple[tuple[Ref, int], ...]:
        """rmap_walk_file under i_mmap: (mm, address) of every vma that maps the page's index."""
        p = self.deref(actor, page)
        if p.f["mapping"] is None:
            return ()
        index = p.f["index"]
        out = []
        for v in self.objs[p.f["mapping"]].f["i_mmap"]:
            vma = self.objs[v]
            addr = vma.f["start"] + (index - vma.f["pgoff"]) * PAGE
            if vma.f["start"] <= addr < vma.f["end"]:
                mm = self.objs[vma.f["mm"]]
                out.append((self.ref(mm), addr))
        return tuple(out)

    def op_reclaim_pageout_ok(self, actor: int, page: Ref) -> bool:
        """R4 under the page lock: unmapped, and not already in swap cache."""
        f = self.deref(actor, page).f
        return bool(f["mapcount"] < 0 and not f["swapcache"])

    # -- drop_caches: invalidate_mapping_pages (D2, D3) -------------------------------------

    def op_drop_invalidatable(self, actor: int, page: Ref, mapping: Ref) -> bool:
        """D2 under the page lock: still this mapping's, clean, not under writeback, unmapped."""
        p = self.deref(actor, page)
        f = p.f
        return bool(
            f["mapping"] == mapping[0]
            and not f["dirty"]
            and not f["writeback"]
            and f["mapcount"] < 0
        )

    def op_drop_remove_mapping(self, actor: int, page: Ref, holder: str, freeze: bool) -> bool:
        """D3 remove_mapping under the tree lock: page_ref_freeze(page, 2) (the cache's and our
        lookup's references) fails if anybody else holds the page, e.g. a GUP pin; then the
        dirty re-check, delete from the cache, unfreeze to our one reference. ``freeze=False``
        is the ablation: delete whatever the refcount (what invalidate2 does)."""
        p = self._locked_page(actor, page, "mapping")
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
        self.op_cache_remove(actor, page, "drop_caches")
        return True


# -- actor-side routines -------------------------------------------------------------------


async def shmem_fault(k: KF, mm: Ref, info: VmaInfo, addr: int, write: bool) -> bool:
    """shmem_fault -> shmem_getpage: find the page, or swap it back in (the same struct page:
    "swizzled"), then install the pte (finish_fault) and unlock."""
    _kind, writable, start, pgoff, inode = info
    assert inode is not None
    mapping: Ref = await k.read("S0", inode, "i_mapping")
    index = pgoff + (addr - start) // PAGE
    holder = f"fault:{k.name}"
    page = await shmem_getpage(k, mapping, index, holder)
    if page is None:
        return False
    await finish_fault(k, mm, addr, page, writable, holder)
    await k.unlock_page("S8", page)
    return True


async def shmem_getpage(k: KF, mapping: Ref, index: int, holder: str) -> Ref | None:
    """The page at ``index``, locked and referenced by ``holder``; None for a hole."""
    while True:
        kind, what = await k.shmem_find("S1", mapping, index)
        if kind == "none":
            return None  # holes are not modelled: the scenarios' shmem files are populated
        if kind == "page":
            page = await _lock_cached(k, mapping, index, what, holder)
        else:
            page = await _swap_in(k, mapping, index, int(what), holder)
        if page is not None:
            return page
        await k.retry("S1", "shmem slot changed under us")


async def _lock_cached(k: KF, mapping: Ref, index: int, page: Ref, holder: str) -> Ref | None:
    """find_lock_entry for a page in the cache: lock it and re-check that it is still there
    (reclaim may have moved it to swap cache while we slept on the lock)."""
    if not await k.get_page_unless_zero("S1", page, holder):
        return None
    await k.lock_page("S3", page)
    m, _anon = await k.page_mapping("S4", page)
    if m == mapping:
        return page
    await k.unlock_page("S4", page)
    await k.put_page("S4", page, holder)
    return None


async def _swap_in(k: KF, mapping: Ref, index: int, entry: int, holder: str) -> Ref | None:
    page = await k.swap_lookup("S2", entry, holder)
    if page is None:
        return None  # somebody swapped it in meanwhile: look at the slot again
    await k.lock_page("S3", page)
    if not await k.swap_confirm("S4", page, mapping, index):
        await k.unlock_page("S4", page)
        await k.put_page("S4", page, holder)
        return None
    await k.shmem_swap_in("S6", page, mapping, index)
    await k.swap_delete("S7", page)
    return page


async def kswapd(k: KF, page: Ref, passes: int = 1, unmap_only: bool = False) -> None:
    """Memory pressure: reclaim scans the LRU ``passes`` times and finds the page each time
    (isolate_lru_page takes a reference), then shrink_page_list works on it."""
    holder = f"isolate:{k.name}"
    for _ in range(passes):
        if await k.get_page_unless_zero("R0", page, holder):
            await shrink_page(k, page, unmap_only)


async def shrink_page(k: KF, page: Ref, unmap_only: bool = False) -> None:
    """shrink_page_list on one page reclaim isolated (reference "isolate:<name>"): R1 trylock,
    R3 try_to_unmap, R4 pageout through shmem_writepage (W1-W4, the IO actor unlocks), R6
    unlock unless IO owns the lock, put back. A page already in swap cache (or being written)
    is left alone. ``unmap_only`` stops after R3 (the page was clean, or reclaim gave up on
    it): 001c's reclaim."""
    holder = f"isolate:{k.name}"
    await k.begin("R0", "shrink_page_list")
    if await k.trylock_page("R1", page):
        if await try_to_unmap(k, page) and not unmap_only:
            await shmem_writepage(k, page)
        else:
            await k.unlock_page("R6", page)
    await k.put_page("R6", page, holder)
    await k.end("R7", "shrink_page_list")


async def try_to_unmap(k: KF, page: Ref) -> bool:
    """R3: zap every pte that maps the page (each under its pte lock). True if the page may
    be paged out: no pte is left and it is not already in swap cache (a page that an earlier
    pass swapped out waits there for swap-in)."""
    if await k.page_mapped("R3", page):
        for mm, addr in await k.reclaim_rmap("R3", page):
            await k.spin_lock("R3", mm, PTL)
            pte = await k.pte_read("R3", mm, addr)
            if pte is not None and pte[0][0] == page[0]:
                await k.pte_zap("R3", mm, addr)
            await k.spin_unlock("R3", mm, PTL)
    return await k.reclaim_pageout_ok("R4", page)


async def shmem_writepage(k: KF, page: Ref) -> None:
    entry = await k.swap_alloc("W1", page)
    await k.swap_add("W2", page, entry)
    await k.shmem_swap_out("W3", page)
    await k.swap_writeout("W4", page)


async def drop_caches(k: KF, mapping: Ref, freeze: bool = True) -> None:
    """echo 1 > /proc/sys/vm/drop_caches on one file: invalidate_mapping_pages (D1-D4)."""
    holder = f"lookup:{k.name}"
    await k.begin("D0", "invalidate_mapping_pages")
    for index in await k.cache_indices("D0", mapping):
        page = await find_get_page(k, mapping, index, holder)
        if page is None:
            continue
        if await k.trylock_page("D1", page):
            if await k.drop_invalidatable("D2", page, mapping):
                await k.remove_mapping("D3", page, holder, freeze)
            await k.unlock_page("D4", page)
        await k.put_page("D4", page, holder)
    await k.end("D5", "invalidate_mapping_pages")


async def swap_io_actor(port: Port) -> None:
    """The block layer: completes swap writes in submission order."""
    k = KF(port)
    while True:
        page = await k.swap_io_wait("IO1")
        await k.swap_io_done("IO2", page)
