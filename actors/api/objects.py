"""The actor API for anon_vma and inodes (actors/model/anon.py, inodes.py): one awaitable per op,
each one step."""

from __future__ import annotations

from actors.api.base import Api
from actors.objects import Ref

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class ObjectsApi(Api):
    __slots__ = ()

    # -- anon (actors/model/anon.py) ---------------------------------------------------------------
    async def anon_vma_alloc(self, label: str) -> Ref:
        """anon_vma_alloc (2.6.39.3 mm/rmap.c:80): kmem_cache_alloc from a SLAB_DESTROY_BY_RCU
        cache; refcount 1, root self."""
        r: Ref = await self.port.call("anon_vma_alloc", label)
        return r

    async def kmem_cache_free(self, label: str, av: Ref) -> None:
        """kmem_cache_free(anon_vma_cachep): the object is reusable at once (type-safe)."""
        await self.port.call("kmem_cache_free", label, av)

    async def anon_vma_chain_link(self, label: str, av: Ref, vma: Ref) -> None:
        """anon_vma_chain_link under the root lock (3.0.1 mm/rmap.c:228)."""
        await self.port.call("anon_vma_chain_link", label, av, vma)

    async def avc_unlink(self, label: str, av: Ref, vma: Ref) -> bool:
        """unlink_anon_vmas' list_del under the root lock (3.0.1 mm/rmap.c:330)."""
        return bool(await self.port.call("avc_unlink", label, av, vma))

    async def avc_walk(self, label: str, av: Ref) -> tuple[int, ...]:
        """The rmap walk of an anon_vma's chain under its root lock (rmap_walk_anon,
        try_to_unmap_anon)."""
        r: tuple[int, ...] = await self.port.call("avc_walk", label, av)
        return r

    async def page_add_anon_rmap(self, label: str, page: Ref, av: Ref) -> None:
        """__page_set_anon_rmap: page->mapping = anon_vma | PAGE_MAPPING_ANON."""
        await self.port.call("page_add_anon_rmap", label, page, av)

    # -- inodes (actors/model/inodes.py) -----------------------------------------------------------
    async def ihold(self, label: str, inode: Ref) -> int:
        """ihold (3.0.1 fs/inode.c:332): WARN_ON(atomic_inc_return(&inode->i_count) < 2), no
        I_FREEING test."""
        return int(await self.port.call("ihold", label, inode))

    async def inode_inc_not_zero(self, label: str, inode: Ref) -> bool:
        """atomic_inc_not_zero(&inode->i_count) (65d8fc777f6d, 4.6 kernel/futex.c)."""
        return bool(await self.port.call("inode_inc_not_zero", label, inode))

    async def inode_iput_dec(self, label: str, inode: Ref) -> int:
        """iput's atomic_dec_and_lock(&inode->i_count, &inode->i_lock) (3.0.1 fs/inode.c:1372)."""
        return int(await self.port.call("inode_iput_dec", label, inode))

    async def iput_final(self, label: str, inode: Ref) -> bool:
        """iput_final: an unlinked inode gets I_FREEING and is evicted (3.0.1 fs/inode.c:1326)."""
        return bool(await self.port.call("iput_final", label, inode))

    async def destroy_inode(self, label: str, inode: Ref) -> None:
        """destroy_inode -> call_rcu(i_callback) (3.0.1 fs/inode.c:270)."""
        await self.port.call("destroy_inode", label, inode)

    async def alloc_inode(self, label: str, size: int, nlink: int) -> Ref:
        """alloc_inode (fs/inode.c): may reuse memory RCU has freed."""
        r: Ref = await self.port.call("alloc_inode", label, size, nlink)
        return r
