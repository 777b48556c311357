"""The actor API for anonymous swap, reclaim's __remove_mapping and the block layer
(actors/model/swap.py; Linux 3.0.1): one awaitable per op, each one step."""

from __future__ import annotations

from actors.api.base import Api
from actors.objects import Ref

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class SwapApi(Api):
    __slots__ = ()

    async def pte_swap_entry(self, label: str, mm: Ref, addr: int) -> int | None:
        """The pte as a swap entry (pte_to_swp_entry), or None: do_swap_page's orig_pte and,
        under the pte lock, its pte_same re-check (3.0.1 mm/memory.c:2879, :2960)."""
        r: int | None = await self.port.call("pte_swap_entry", label, mm, addr)
        return r

    async def set_swap_pte(self, label: str, mm: Ref, addr: int, page: Ref) -> bool:
        """try_to_unmap_one's anonymous branch under the pte lock (3.0.1 mm/rmap.c:1223-1250):
        swap_duplicate, set_pte_at(swp_entry_to_pte), page_remove_rmap, page_cache_release."""
        return bool(await self.port.call("set_swap_pte", label, mm, addr, page))

    async def swap_pte_map(
        self, label: str, mm: Ref, addr: int, entry: int, page: Ref, writable: int, holder: str
    ) -> None:
        """do_swap_page's set_pte_at + do_page_add_anon_rmap under the pte lock, after pte_same
        (3.0.1 mm/memory.c:2992-2993); INV-MAP-1 if the page does not hold the entry's data."""
        await self.port.call("swap_pte_map", label, mm, addr, entry, page, writable, holder)

    async def zap_swap_pte(self, label: str, mm: Ref, addr: int, holder: str) -> Ref | None:
        """zap_pte_range's swap branch under the pte lock (3.0.1 mm/memory.c:1194) and
        free_swap_and_cache's swap_lock section (mm/swapfile.c:686): the swap-cache page,
        referenced and trylocked, when only the swap cache still holds the entry."""
        r: Ref | None = await self.port.call("zap_swap_pte", label, mm, addr, holder)
        return r

    async def swap_free(self, label: str, entry: int) -> None:
        """swap_free (3.0.1 mm/swapfile.c:572): one swap count less; a free slot is reused."""
        await self.port.call("swap_free", label, entry)

    async def page_private(self, label: str, page: Ref) -> int:
        """page_private(page): a swap-cache page's swap entry (0 when not in the swap cache)."""
        return int(await self.port.call("page_private", label, page))

    async def reuse_swap_page(self, label: str, page: Ref) -> bool:
        """reuse_swap_page (3.0.1 mm/swapfile.c:626), page locked."""
        return bool(await self.port.call("reuse_swap_page", label, page))

    async def try_to_free_swap(self, label: str, page: Ref) -> bool:
        """try_to_free_swap (3.0.1 mm/swapfile.c:648), page locked."""
        return bool(await self.port.call("try_to_free_swap", label, page))

    async def read_swap_cache_async(
        self, label: str, entry: int, holder: str
    ) -> tuple[str, Ref | None]:
        """One pass of read_swap_cache_async (3.0.1 mm/swap_state.c:282): ("page", the
        swap-cache page or a new one read from the slot), ("freed", None) or ("busy", None):
        -EEXIST, loop again."""
        r: tuple[str, Ref | None] = await self.port.call(
            "read_swap_cache_async", label, entry, holder
        )
        return r

    async def anon_rmap(self, label: str, page: Ref) -> tuple[tuple[Ref, int], ...]:
        """try_to_unmap_anon's walk (3.0.1 mm/rmap.c): (mm, address) of every pte mapping it."""
        r: tuple[tuple[Ref, int], ...] = await self.port.call("anon_rmap", label, page)
        return r

    async def is_page_cache_freeable(self, label: str, page: Ref) -> bool:
        """is_page_cache_freeable (3.0.1 mm/vmscan.c:336): page_count - has_private == 2."""
        return bool(await self.port.call("is_page_cache_freeable", label, page))

    async def reclaim_remove_mapping(self, label: str, page: Ref, holder: str) -> bool:
        """__remove_mapping with page_freeze_refs(page, 2) under tree_lock, then free_it
        (3.0.1 mm/vmscan.c:484-546, :904-914); False if referenced by others or dirty."""
        return bool(await self.port.call("reclaim_remove_mapping", label, page, holder))

    async def submit_bio(self, label: str, page: Ref) -> None:
        """submit_bio of a page under writeback; the IO actor completes it."""
        await self.port.call("submit_bio", label, page)

    async def bio_wait(self, label: str) -> Ref:
        """The IO actor: the next bio in flight."""
        r: Ref = await self.port.call("bio_wait", label)
        return r
