"""Actor-side API for the futex, inode, gup and shmem primitive families: ``KF`` extends ``K``
with one awaitable per op of actors/inode.py, actors/futex.py, actors/gup.py and actors/shmem.py.
"""

from __future__ import annotations

from actors.kapi import K
from actors.state import Ref


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

    async def map_zero_page(self, label: str, mm: Ref, addr: int) -> bool:
        return bool(await self.port.call("gup_map_zero", label, mm, addr))

    async def vma_detach(self, label: str, mm: Ref, vma: Ref) -> None:
        await self.port.call("gup_vma_detach", label, mm, vma)
