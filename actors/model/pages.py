"""struct page: the reference count with a holder ledger (who holds each reference), mapcount,
flags and page->mapping (kernel-scenarios.md 1.1, 1.6).

Every reference has a named holder ("cache", "pte:mm#3@0x1000", "gup:CPU0" ...): a put by
somebody who holds nothing is INV-REF-3 at once, not a count that goes wrong later.
"""

from __future__ import annotations

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from actors.objects import DRIVER, FREE, GATE, SPECIAL, ZERO, Obj, Ref, page_fields
from emulator.engine.violations import Violation


class Pages:
    def __init__(self, core: Core, locks: Locks) -> None:
        self.core = core
        self.locks = locks
        self.zero_page: int | None = None

    # -- setup helpers (initial state, not steps) -------------------------------------------

    def new_page(self, ptype: str, index: int = 0, holders: tuple[str, ...] = ()) -> Obj:
        f = page_fields(ptype, index)
        f["holders"] = list(holders)
        f["_refcount"] = len(holders)
        return self.core.new("page", f)

    def new_zero_page(self) -> Obj:
        """ZERO_PAGE: reserved, never freed, no mapping (1.6)."""
        z = self.new_page(ZERO, holders=("reserved",))
        self.zero_page = z.oid
        return z

    def new_special_page(self, ptype: str = SPECIAL) -> Obj:
        """A gate-area (GATE) or install_special_mapping (SPECIAL) page: reserved, no mapping,
        never swapped; or (DRIVER) a page a driver's mmap inserted with vm_insert_page: an
        ordinary alloc_page page, held by the driver, with no mapping either."""
        if ptype == DRIVER:
            return self.new_page(DRIVER, holders=("driver",))
        assert ptype in (SPECIAL, GATE), ptype
        return self.new_page(ptype, holders=("reserved",))

    # -- refcount ----------------------------------------------------------------------------

    def get(self, cx: Step, o: Obj, holder: str) -> None:
        o.f["_refcount"] += 1
        o.f["holders"].append(holder)
        self.core.wrote(cx, o, "_refcount", o.f["_refcount"])

    def put(self, cx: Step, o: Obj, holder: str) -> int:
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
        self.core.wrote(cx, o, "_refcount", c)
        if c == 0:
            self._free_page(cx, o)
        return c

    def _free_page(self, cx: Step, o: Obj) -> None:
        """The last reference went: the struct page goes back to the allocator (it is never
        freed as memory; see objects.NEVER_FREED)."""
        if o.f["reserved"]:
            raise Violation("INV-REF-1", f"reserved page {o.name()} refcount dropped to 0")
        if o.f["mapcount"] >= 0:
            raise Violation("INV-REF-4", f"freed page {o.name()} still mapped by a pte")
        if o.f["locked"]:
            # free_pages_check: PG_locked is in PAGE_FLAGS_CHECK_AT_FREE ("BUG: Bad page
            # state"); the page must not carry its lock bit into its next life.
            raise Violation("INV-REF-1", f"page {o.name()} freed with PG_locked (bad page state)")
        o.f["mapping"] = None
        o.f["anon"] = 0
        self.core.free(cx, o)

    def locked(self, cx: Step, page: Ref, what: str) -> Obj:
        """The page, which the caller must hold locked to change ``what`` (INV-LOCK-3)."""
        p = self.core.deref(cx, page)
        if not self.locks.holds(cx.actor, self.locks.page_key(page)):
            raise Violation("INV-LOCK-3", f"{what} of page {p.name()} changed without PG_locked")
        return p

    @op
    def get_page(self, cx: Step, page: Ref, holder: str) -> None:
        o = self.core.deref(cx, page)
        if o.f["_refcount"] <= 0:
            raise Violation("INV-REF-2", f"get on zero-count {o.gname()} (resurrection)")
        self.get(cx, o, holder)

    @op
    def get_page_unless_zero(self, cx: Step, page: Ref, holder: str) -> bool:
        """get_page_unless_zero / page_cache_get_speculative on a pointer loaded without a
        reference: fails on a free page (count 0); on a page freed and reused since (gen + 1)
        it succeeds and pins the page in its new life, a legal outcome the caller's re-check
        of the slot must catch. Never a use after free: struct pages are never freed."""
        o = self.core.objs[page[0]]
        self.core.frames[cx.actor].touched[o.oid] = None
        if o.state == FREE or o.f["_refcount"] == 0:
            return False
        self.get(cx, o, holder)
        return True

    @op
    def page_ref_freeze(self, cx: Step, page: Ref, count: int) -> bool:
        """page_ref_freeze(page, count) (5.9.1 include/linux/page_ref.h; page_freeze_refs in
        3.0.1 include/linux/pagemap.h): cmpxchg(_refcount, count, 0). While frozen every
        get_page_unless_zero fails; the caller's references stay in the ledger."""
        o = self.core.deref(cx, page)
        if o.f["_refcount"] != count or o.f.get("frozen"):
            return False
        o.f["frozen"] = count
        self.core.set(cx, o, "_refcount", 0)
        return True

    @op
    def page_ref_unfreeze(self, cx: Step, page: Ref, count: int) -> None:
        """page_ref_unfreeze(page, count): _refcount := count (the caller drops the holders
        it no longer has with the ledger's names before or after)."""
        o = self.core.deref(cx, page)
        if not o.f.get("frozen"):
            raise Violation("INV-REF-3", f"page_ref_unfreeze of {o.name()}, which is not frozen")
        frozen = o.f.pop("frozen")
        holders: list[str] = o.f["holders"]
        if count != frozen or len(holders) != count:
            raise Violation(
                "INV-REF-3",
                f"page_ref_unfreeze({o.name()}, {count}) with holders={holders} (frozen at "
                f"{frozen})",
            )
        self.core.set(cx, o, "_refcount", count)

    @op
    def put_page(self, cx: Step, page: Ref, holder: str) -> int:
        return self.put(cx, self.core.deref(cx, page), holder)

    # -- page state --------------------------------------------------------------------------

    @op
    def page_mapped(self, cx: Step, page: Ref) -> bool:
        return bool(self.core.deref(cx, page).f["mapcount"] >= 0)

    @op
    def page_mapping(self, cx: Step, page: Ref) -> tuple[Ref | None, int]:
        """READ_ONCE(page->mapping): the pointer and its PAGE_MAPPING_ANON bit."""
        o = self.core.deref(cx, page)
        m = o.f["mapping"]
        if m is None:
            return (None, 0)
        return ((m, self.core.objs[m].gen), o.f["anon"])

    @op
    def page_flag(self, cx: Step, page: Ref, flag: str) -> int:
        return int(self.core.deref(cx, page).f[flag])

    @op
    def set_page_flag(self, cx: Step, page: Ref, flag: str, value: int) -> None:
        o = self.core.deref(cx, page)
        if flag in ("uptodate", "swapcache") and not self.locks.holds(
            cx.actor, self.locks.page_key(page)
        ):
            raise Violation("INV-LOCK-3", f"{flag} of page {o.name()} changed without PG_locked")
        self.core.set(cx, o, flag, value)

    @op
    def alloc_page(self, cx: Step, ptype: str, holder: str) -> Ref:
        """alloc_page for a COW copy: a fresh page owned by the faulting task only."""
        fields = page_fields(ptype)
        fields.update(holders=[holder], _refcount=1)
        return self.core.ref(self.core.alloc(cx, "page", fields))
