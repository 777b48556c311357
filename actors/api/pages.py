"""The actor API for struct page, its references, flags, ptes and vmas (actors/model/pages.py,
mm.py): one awaitable per op, each one step."""

from __future__ import annotations

from actors.api.base import Api
from actors.model.mm import VmaInfo
from actors.objects import Ref

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class PagesApi(Api):
    __slots__ = ()

    # -- pages (actors/model/pages.py) -------------------------------------------------------------
    async def get_page(self, label: str, page: Ref, holder: str) -> None:
        """get_page: a reference on a page the caller already holds (at 0 it is INV-REF-2)."""
        await self.port.call("get_page", label, page, holder)

    async def get_page_unless_zero(self, label: str, page: Ref, holder: str) -> bool:
        """get_page_unless_zero / page_cache_get_speculative (3.0.1 include/linux/pagemap.h:132):
        fails at 0; a reused page is pinned in its new life."""
        return bool(await self.port.call("get_page_unless_zero", label, page, holder))

    async def page_ref_freeze(self, label: str, page: Ref, count: int) -> bool:
        """page_ref_freeze (5.9.1 include/linux/page_ref.h; 3.0.1 page_freeze_refs):
        cmpxchg(_refcount, count, 0); speculative gets fail while frozen."""
        return bool(await self.port.call("page_ref_freeze", label, page, count))

    async def page_ref_unfreeze(self, label: str, page: Ref, count: int) -> None:
        """page_ref_unfreeze: _refcount := count (must match the holder ledger)."""
        await self.port.call("page_ref_unfreeze", label, page, count)

    async def put_page(self, label: str, page: Ref, holder: str) -> int:
        """put_page / page_cache_release: the last reference returns the page to the allocator."""
        return int(await self.port.call("put_page", label, page, holder))

    async def page_mapped(self, label: str, page: Ref) -> bool:
        """page_mapped(page): atomic_read(&page->_mapcount) >= 0."""
        return bool(await self.port.call("page_mapped", label, page))

    async def page_mapping(self, label: str, page: Ref) -> tuple[Ref | None, int]:
        """READ_ONCE(page->mapping) with its PAGE_MAPPING_ANON bit (3.0.1 mm/rmap.c:460)."""
        r: tuple[Ref | None, int] = await self.port.call("page_mapping", label, page)
        return r

    async def page_flag(self, label: str, page: Ref, flag: str) -> int:
        """PageUptodate/PageDirty/PageWriteback/PageSwapCache/... (include/linux/page-flags.h)."""
        return int(await self.port.call("page_flag", label, page, flag))

    async def set_page_flag(self, label: str, page: Ref, flag: str, value: int) -> None:
        """SetPage*/ClearPage*; uptodate and swapcache need the page lock (INV-LOCK-3)."""
        await self.port.call("set_page_flag", label, page, flag, value)

    async def alloc_page(self, label: str, ptype: str, holder: str) -> Ref:
        """alloc_page(GFP_HIGHUSER_MOVABLE) for a COW copy (do_wp_page / do_cow_fault)."""
        r: Ref = await self.port.call("alloc_page", label, ptype, holder)
        return r

    # -- mm (actors/model/mm.py) -------------------------------------------------------------------
    async def pte_read(self, label: str, mm: Ref, addr: int) -> tuple[Ref, int] | None:
        """The pte at an address (gup_get_pte / pte_offset_map, lockless)."""
        r: tuple[Ref, int] | None = await self.port.call("pte_read", label, mm, addr)
        return r

    async def pte_install(
        self, label: str, mm: Ref, addr: int, page: Ref, writable: int, holder: str
    ) -> bool:
        """set_pte_at under the pte lock, if the pte is still none (5.9.1 mm/memory.c alloc_set_pte;
        3.0.1 __do_fault)."""
        return bool(await self.port.call("pte_install", label, mm, addr, page, writable, holder))

    async def pte_zap(self, label: str, mm: Ref, addr: int) -> Ref | None:
        """ptep_clear_flush of one pte under the pte lock (zap_pte_range, try_to_unmap_one)."""
        r: Ref | None = await self.port.call("pte_zap", label, mm, addr)
        return r

    async def gup_fast_pte(
        self, label: str, mm: Ref, addr: int, write: int, holder: str
    ) -> Ref | None:
        """x86 GUP-fast of one pte, 2.6.27 - 4.12 (3.0.1 arch/x86/mm/gup.c gup_pte_range): pte
        read and get_page in one step with IRQs off (no re-check); None = take the slow path."""
        r: Ref | None = await self.port.call("gup_fast_pte", label, mm, addr, write, holder)
        return r

    async def pte_mkwrite(self, label: str, mm: Ref, addr: int, page: Ref) -> bool:
        """do_wp_page's reuse: make the pte writable if it still maps ``page`` (pte lock held;
        3.0.1 mm/memory.c do_wp_page "reuse:")."""
        return bool(await self.port.call("pte_mkwrite", label, mm, addr, page))

    async def pte_cow_replace(
        self, label: str, mm: Ref, addr: int, old: Ref, new: Ref, holder: str
    ) -> bool:
        """do_wp_page's copy: if the pte still maps ``old``, map ``new`` writable in its place
        (pte lock held; 3.0.1 mm/memory.c do_wp_page after cow_user_page)."""
        return bool(await self.port.call("pte_cow_replace", label, mm, addr, old, new, holder))

    async def find_vma(self, label: str, mm: Ref, addr: int) -> Ref | None:
        """find_vma (mm/mmap.c), under mmap_sem."""
        r: Ref | None = await self.port.call("find_vma", label, mm, addr)
        return r

    async def gup_vma_info(self, label: str, vma: Ref) -> VmaInfo:
        """The vma fields GUP and faults read under mmap_sem (vm_flags, vm_start, vm_pgoff,
        vm_file)."""
        r: VmaInfo = await self.port.call("gup_vma_info", label, vma)
        return r

    async def gup_map_zero(self, label: str, mm: Ref, addr: int) -> bool:
        """do_anonymous_page for a read fault: map the ZERO_PAGE read-only (3.0.1
        mm/memory.c:3080)."""
        return bool(await self.port.call("gup_map_zero", label, mm, addr))

    async def detach_vmas_to_be_unmapped(self, label: str, mm: Ref, vma: Ref) -> None:
        """detach_vmas_to_be_unmapped (mm/mmap.c), mmap_sem held for writing."""
        await self.port.call("detach_vmas_to_be_unmapped", label, mm, vma)
