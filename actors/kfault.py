"""Actor-side API for the fault, truncate/invalidate and fuse primitive families: ``KV`` extends
``K`` with one awaitable per op of actors/fault.py, actors/truncate.py and actors/fuse.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from actors.kapi import K
from actors.state import Ref
from actors.truncate import Span
from emulator.engine.runtime import ActorSpec, Port


class KV(K):
    __slots__ = ()

    # -- page-cache lookups and insertion (actors/fault.py) ------------------------------------
    async def lookup(self, label: str, mapping: Ref, index: int, holder: str) -> Ref | None:
        r: Ref | None = await self.port.call("fault_lookup", label, mapping, index, holder)
        return r

    async def lookup_from(
        self, label: str, mapping: Ref, start: int, holder: str
    ) -> tuple[int, Ref] | None:
        r: tuple[int, Ref] | None = await self.port.call(
            "fault_lookup_from", label, mapping, start, holder
        )
        return r

    async def add_to_page_cache(
        self, label: str, mapping: Ref, index: int, holder: str
    ) -> Ref | None:
        r: Ref | None = await self.port.call("fault_add_locked", label, mapping, index, holder)
        return r

    async def alloc_page(self, label: str, ptype: str, holder: str) -> Ref:
        r: Ref = await self.port.call("fault_alloc_page", label, ptype, holder)
        return r

    async def page_add_anon_rmap(self, label: str, page: Ref, av: Ref) -> None:
        await self.port.call("page_add_anon_rmap", label, page, av)

    async def i_size_read(self, label: str, inode: Ref) -> int:
        return int(await self.port.call("read", label, inode, "i_size"))

    # -- truncate and invalidate (actors/truncate.py) ------------------------------------------
    async def i_size_write(self, label: str, inode: Ref, size: int) -> None:
        await self.port.call("trunc_i_size_write", label, inode, size)

    async def i_mmap_vmas(self, label: str, mapping: Ref) -> tuple[Span, ...]:
        r: tuple[Span, ...] = await self.port.call("trunc_vmas", label, mapping)
        return r

    async def zap_range(
        self, label: str, mm: Ref, start: int, end: int, check_mapping: int | None
    ) -> int:
        return int(await self.port.call("trunc_zap_range", label, mm, start, end, check_mapping))

    async def cache_delete(self, label: str, page: Ref, why: str, fail_if_dirty: bool) -> bool:
        return bool(await self.port.call("trunc_delete", label, page, why, fail_if_dirty))

    async def truncate_done(self, label: str, mapping: Ref, first: int) -> None:
        await self.port.call("trunc_done", label, mapping, first)

    async def invalidate_done(self, label: str, mapping: Ref, ok: bool) -> None:
        await self.port.call("trunc_invalidate_done", label, mapping, ok)

    # -- fuse (actors/fuse.py) -----------------------------------------------------------------
    async def fuse_send(self, label: str, kind: str, arg: Any) -> int:
        return int(await self.port.call("fuse_send", label, kind, arg))

    async def fuse_wait(self, label: str, req: int) -> Any:
        return await self.port.call("fuse_wait", label, req)

    async def fuse_dev_read(self, label: str) -> tuple[int, str, Any]:
        r: tuple[int, str, Any] = await self.port.call("fuse_dev_read", label)
        return r

    async def fuse_dev_write(self, label: str, req: int, result: Any) -> None:
        await self.port.call("fuse_dev_write", label, req, result)


def vactor(name: str, program: Callable[[KV], Awaitable[None]], daemon: bool = False) -> ActorSpec:
    """Wrap ``async def program(k: KV)`` as an actor."""

    async def body(port: Port) -> None:
        await program(KV(port))

    return ActorSpec(name, body, daemon)
