"""The actor API for shmem and swap, futex keys, fuse (actors/model/shmem.py, futex.py, fuse.py):
one awaitable per op, each one step."""

from __future__ import annotations

from typing import Any

from actors.api.base import Api
from actors.objects import Ref

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class ShmemApi(Api):
    __slots__ = ()

    # -- shmem (actors/model/shmem.py) -------------------------------------------------------------
    async def get_swap_page(self, label: str, page: Ref) -> int:
        """get_swap_page (mm/swapfile.c), in shmem_writepage."""
        return int(await self.port.call("get_swap_page", label, page))

    async def add_to_swap_cache(self, label: str, page: Ref, entry: int) -> None:
        """add_to_swap_cache (mm/swap_state.c): PG_swapcache, private = entry."""
        await self.port.call("add_to_swap_cache", label, page, entry)

    async def shmem_swap_out(self, label: str, page: Ref) -> None:
        """shmem_writepage's swap-out of the slot: page->mapping = NULL (3.0.1 mm/shmem.c)."""
        await self.port.call("shmem_swap_out", label, page)

    async def swap_writepage(self, label: str, page: Ref) -> None:
        """swap_writepage (mm/page_io.c): writeback set, bio submitted."""
        await self.port.call("swap_writepage", label, page)

    async def swap_io_wait(self, label: str) -> Ref:
        """The IO actor: next swap write in flight."""
        r: Ref = await self.port.call("swap_io_wait", label)
        return r

    async def swap_io_done(self, label: str, page: Ref) -> None:
        """end_swap_bio_write: end_page_writeback + unlock_page."""
        await self.port.call("swap_io_done", label, page)

    async def find_get_entry(self, label: str, mapping: Ref, index: int) -> tuple[str, Any]:
        """find_get_entry / shmem's radix-tree lookup: a page or a swap entry."""
        r: tuple[str, Any] = await self.port.call("find_get_entry", label, mapping, index)
        return r

    async def lookup_swap_cache(self, label: str, entry: int, holder: str) -> Ref | None:
        """lookup_swap_cache (mm/swap_state.c)."""
        r: Ref | None = await self.port.call("lookup_swap_cache", label, entry, holder)
        return r

    async def swap_confirm(self, label: str, page: Ref, mapping: Ref, index: int) -> bool:
        """shmem_getpage's re-check under the page lock: still the swap entry the slot holds."""
        return bool(await self.port.call("swap_confirm", label, page, mapping, index))

    async def shmem_add_to_page_cache(
        self, label: str, page: Ref, mapping: Ref, index: int
    ) -> None:
        """shmem_add_to_page_cache: the same struct page back into the shmem slot."""
        await self.port.call("shmem_add_to_page_cache", label, page, mapping, index)

    async def delete_from_swap_cache(self, label: str, page: Ref) -> None:
        """delete_from_swap_cache (mm/swap_state.c)."""
        await self.port.call("delete_from_swap_cache", label, page)

    async def reclaim_rmap(self, label: str, page: Ref) -> tuple[tuple[Ref, int], ...]:
        """rmap_walk_file's vma list (page_mapped_in_vma) for try_to_unmap."""
        r: tuple[tuple[Ref, int], ...] = await self.port.call("reclaim_rmap", label, page)
        return r

    async def reclaim_pageout_ok(self, label: str, page: Ref) -> bool:
        """shrink_page_list's checks before pageout(): unmapped, not swap cache, not writeback,
        is_page_cache_freeable (3.0.1 mm/vmscan.c:336, :418)."""
        return bool(await self.port.call("reclaim_pageout_ok", label, page))

    async def drop_invalidatable(self, label: str, page: Ref, mapping: Ref) -> bool:
        """invalidate_mapping_pages' tests (3.0.1 mm/truncate.c:332): not dirty, not writeback, not
        mapped."""
        return bool(await self.port.call("drop_invalidatable", label, page, mapping))

    async def remove_mapping(self, label: str, page: Ref, holder: str, freeze: bool) -> bool:
        """remove_mapping / __remove_mapping with page_ref_freeze(page, 2) (3.0.1 mm/vmscan.c:484
        page_freeze_refs)."""
        return bool(await self.port.call("remove_mapping", label, page, holder, freeze))

    # -- futex (actors/model/futex.py) -------------------------------------------------------------
    async def futex_key_inode(self, label: str, inode: Ref, page: Ref) -> int:
        """get_futex_key's shared key (inode, index) (3.0.1 kernel/futex.c:232, :324)."""
        return int(await self.port.call("futex_key_inode", label, inode, page))

    async def futex_key_mm(self, label: str, mm: Ref, addr: int) -> int:
        """get_futex_key's private key (mm, address)."""
        return int(await self.port.call("futex_key_mm", label, mm, addr))

    async def futex_key_drop(self, label: str, key: int) -> Ref | None:
        """put_futex_key -> drop_futex_key_refs (iput for an inode key)."""
        r: Ref | None = await self.port.call("futex_key_drop", label, key)
        return r

    async def futex_efault(self, label: str, mm: Ref, addr: int, page: Ref | None) -> None:
        """get_futex_key returning -EFAULT (INV-FUTEX-3 unless the kernel allows it)."""
        await self.port.call("futex_efault", label, mm, addr, page)

    # -- fuse (actors/model/fuse.py) ---------------------------------------------------------------
    async def fuse_send(self, label: str, kind: str, arg: Any) -> int:
        """fuse_simple_request, first half: queue and wake the daemon (5.9.1 fs/fuse/dev.c)."""
        return int(await self.port.call("fuse_send", label, kind, arg))

    async def fuse_wait(self, label: str, req: int) -> Any:
        """request_wait_answer (5.9.1 fs/fuse/dev.c)."""
        return await self.port.call("fuse_wait", label, req)

    async def fuse_dev_read(self, label: str) -> tuple[int, str, Any]:
        """The daemon's read(/dev/fuse) (fuse_dev_do_read)."""
        r: tuple[int, str, Any] = await self.port.call("fuse_dev_read", label)
        return r

    async def fuse_dev_write(self, label: str, req: int, result: Any) -> None:
        """The daemon's reply (fuse_dev_do_write -> request_end)."""
        await self.port.call("fuse_dev_write", label, req, result)
