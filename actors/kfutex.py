"""Actor-side API for the futex, inode, gup and shmem primitive families: ``KF`` extends ``K``
with one awaitable per op of actors/inode.py, actors/futex.py, actors/gup.py and actors/shmem.py.
"""

from __future__ import annotations

from typing import Any

from actors.kapi import K
from actors.state import Ref

# What a fault handler knows of its vma (read once, stable under mmap_sem): kind, writable,
# vm_start, vm_pgoff and the file's inode.
VmaInfo = tuple[str, int, int, int, Ref | None]


class KF(K):
    __slots__ = ()

    # -- inodes (actors/inode.py) --------------------------------------------------------------
    async def ihold(self, label: str, inode: Ref) -> int:
        return int(await self.port.call("inode_ihold", label, inode))

    async def inode_inc_not_zero(self, label: str, inode: Ref) -> bool:
        return bool(await self.port.call("inode_inc_not_zero", label, inode))

    async def iput_dec(self, label: str, inode: Ref) -> int:
        return int(await self.port.call("inode_iput_dec", label, inode))

    async def iput_final(self, label: str, inode: Ref) -> bool:
        return bool(await self.port.call("inode_iput_final", label, inode))

    async def cache_indices(self, label: str, mapping: Ref) -> tuple[int, ...]:
        r: tuple[int, ...] = await self.port.call("inode_cache_indices", label, mapping)
        return r

    async def destroy_inode(self, label: str, inode: Ref) -> None:
        await self.port.call("inode_destroy", label, inode)

    async def alloc_inode(self, label: str, size: int, nlink: int) -> Ref:
        r: Ref = await self.port.call("inode_alloc", label, size, nlink)
        return r

    async def cache_remove(self, label: str, page: Ref, reason: str) -> None:
        await self.port.call("cache_remove", label, page, reason)

    # -- futex keys (actors/futex.py) ----------------------------------------------------------
    async def futex_key_inode(self, label: str, inode: Ref, page: Ref) -> int:
        return int(await self.port.call("futex_key_inode", label, inode, page))

    async def futex_key_mm(self, label: str, mm: Ref, addr: int) -> int:
        return int(await self.port.call("futex_key_mm", label, mm, addr))

    async def futex_key_drop(self, label: str, key: int) -> Ref | None:
        r: Ref | None = await self.port.call("futex_key_drop", label, key)
        return r

    async def futex_efault(self, label: str, mm: Ref, addr: int, page: Ref | None) -> None:
        await self.port.call("futex_efault", label, mm, addr, page)

    # -- gup and faults (actors/gup.py) --------------------------------------------------------
    async def read_in_page(self, label: str, mapping: Ref, index: int, holder: str) -> Ref | None:
        r: Ref | None = await self.port.call("gup_read_in", label, mapping, index, holder)
        return r

    async def vma_info(self, label: str, vma: Ref) -> VmaInfo:
        kind, writable, start, pgoff, inode = await self.port.call("gup_vma_info", label, vma)
        return str(kind), int(writable), int(start), int(pgoff), inode

    async def map_zero_page(self, label: str, mm: Ref, addr: int) -> bool:
        return bool(await self.port.call("gup_map_zero", label, mm, addr))

    async def vma_detach(self, label: str, mm: Ref, vma: Ref) -> None:
        await self.port.call("gup_vma_detach", label, mm, vma)

    # -- shmem, swap cache, reclaim, drop_caches (actors/shmem.py) -----------------------------
    async def swap_alloc(self, label: str, page: Ref) -> int:
        return int(await self.port.call("swap_alloc", label, page))

    async def swap_add(self, label: str, page: Ref, entry: int) -> None:
        await self.port.call("swap_add", label, page, entry)

    async def shmem_swap_out(self, label: str, page: Ref) -> None:
        await self.port.call("shmem_swap_out", label, page)

    async def swap_writeout(self, label: str, page: Ref) -> None:
        await self.port.call("swap_writeout", label, page)

    async def swap_io_wait(self, label: str) -> Ref:
        r: Ref = await self.port.call("swap_io_wait", label)
        return r

    async def swap_io_done(self, label: str, page: Ref) -> None:
        await self.port.call("swap_io_done", label, page)

    async def shmem_find(self, label: str, mapping: Ref, index: int) -> tuple[str, Any]:
        kind, what = await self.port.call("shmem_find", label, mapping, index)
        return str(kind), what

    async def swap_lookup(self, label: str, entry: int, holder: str) -> Ref | None:
        r: Ref | None = await self.port.call("swap_lookup", label, entry, holder)
        return r

    async def swap_confirm(self, label: str, page: Ref, mapping: Ref, index: int) -> bool:
        return bool(await self.port.call("swap_confirm", label, page, mapping, index))

    async def shmem_swap_in(self, label: str, page: Ref, mapping: Ref, index: int) -> None:
        await self.port.call("shmem_swap_in", label, page, mapping, index)

    async def swap_delete(self, label: str, page: Ref) -> None:
        await self.port.call("swap_delete", label, page)

    async def reclaim_rmap(self, label: str, page: Ref) -> tuple[tuple[Ref, int], ...]:
        r: tuple[tuple[Ref, int], ...] = await self.port.call("reclaim_rmap", label, page)
        return r

    async def reclaim_pageout_ok(self, label: str, page: Ref) -> bool:
        return bool(await self.port.call("reclaim_pageout_ok", label, page))

    async def drop_invalidatable(self, label: str, page: Ref, mapping: Ref) -> bool:
        return bool(await self.port.call("drop_invalidatable", label, page, mapping))

    async def remove_mapping(self, label: str, page: Ref, holder: str, freeze: bool) -> bool:
        return bool(await self.port.call("drop_remove_mapping", label, page, holder, freeze))
