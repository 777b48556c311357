"""The kernel API as actor code sees it: one awaitable per primitive, each one step.

Code paths read like the kernel, with the step label first::

    page = await k.gup("K1", mm, uaddr)
    await k.lock_page("K5", page)

Pointers are ``(oid, gen)`` tuples; actor code never holds a reference to model state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from actors.state import Ref
from emulator.engine.runtime import ActorSpec, Port


class K:
    __slots__ = ("name", "port")

    def __init__(self, port: Port) -> None:
        self.port = port
        self.name = port.name

    async def call(self, op: str, label: str, *args: Any) -> Any:
        return await self.port.call(op, label, *args)

    # -- generic memory accesses ---------------------------------------------------------------
    async def read(self, label: str, ref: Ref, fld: str) -> Any:
        return await self.port.call("read", label, ref, fld)

    async def write(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        await self.port.call("write", label, ref, fld, value)

    async def atomic_read(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic", label, ref, fld, "read"))

    async def atomic_inc(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic", label, ref, fld, "inc"))

    async def atomic_dec(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic", label, ref, fld, "dec"))

    async def atomic_inc_not_zero(self, label: str, ref: Ref, fld: str) -> bool:
        return bool(await self.port.call("atomic", label, ref, fld, "inc_not_zero"))

    async def atomic_dec_and_test(self, label: str, ref: Ref, fld: str) -> bool:
        return bool(await self.port.call("atomic", label, ref, fld, "dec_and_test"))

    # -- bookkeeping steps ---------------------------------------------------------------------
    async def begin(self, label: str, name: str) -> None:
        await self.port.call("begin", label, name)

    async def end(self, label: str, name: str) -> None:
        await self.port.call("end", label, name)

    async def commit(self, label: str, ref: Ref, what: str) -> None:
        await self.port.call("commit", label, ref, what)

    async def retry(self, label: str, detail: str = "") -> None:
        await self.port.call("retry", label, detail)

    async def might_sleep(self, label: str, what: str) -> None:
        await self.port.call("might_sleep", label, what)

    async def note(self, label: str, what: str, value: Any = None) -> Any:
        return await self.port.call("note", label, what, value)

    async def report(self, label: str, oracle: str, message: str) -> None:
        await self.port.call("report", label, oracle, message)

    # -- RCU -----------------------------------------------------------------------------------
    async def rcu_read_lock(self, label: str) -> None:
        await self.port.call("rcu_read_lock", label)

    async def rcu_read_unlock(self, label: str) -> None:
        await self.port.call("rcu_read_unlock", label)

    async def synchronize_rcu(self, label: str) -> None:
        await self.port.call("synchronize_rcu", label)

    async def call_rcu(self, label: str, ref: Ref) -> None:
        await self.port.call("call_rcu", label, ref)

    # -- locks ---------------------------------------------------------------------------------
    async def trylock_page(self, label: str, page: Ref) -> bool:
        return bool(await self.port.call("trylock_page", label, page))

    async def lock_page(self, label: str, page: Ref) -> None:
        await self.port.call("lock_page", label, page)

    async def unlock_page(self, label: str, page: Ref) -> None:
        await self.port.call("unlock_page", label, page)

    async def page_locked(self, label: str, page: Ref) -> bool:
        return bool(await self.port.call("page_locked", label, page))

    async def mutex_trylock(self, label: str, ref: Ref) -> bool:
        return bool(await self.port.call("mutex_trylock", label, ref))

    async def mutex_lock(self, label: str, ref: Ref) -> None:
        await self.port.call("mutex_lock", label, ref)

    async def mutex_unlock(self, label: str, ref: Ref) -> None:
        await self.port.call("mutex_unlock", label, ref)

    async def mutex_is_locked(self, label: str, ref: Ref) -> bool:
        return bool(await self.port.call("mutex_is_locked", label, ref))

    async def spin_lock(self, label: str, ref: Ref, name: str) -> None:
        await self.port.call("spin_lock", label, ref, name)

    async def spin_unlock(self, label: str, ref: Ref, name: str) -> None:
        await self.port.call("spin_unlock", label, ref, name)

    # -- pages and page tables -----------------------------------------------------------------
    async def get_page(self, label: str, page: Ref, holder: str) -> None:
        await self.port.call("get_page", label, page, holder)

    async def get_page_unless_zero(self, label: str, page: Ref, holder: str) -> bool:
        return bool(await self.port.call("get_page_unless_zero", label, page, holder))

    async def put_page(self, label: str, page: Ref, holder: str) -> int:
        return int(await self.port.call("put_page", label, page, holder))

    async def page_mapped(self, label: str, page: Ref) -> bool:
        return bool(await self.port.call("page_mapped", label, page))

    async def page_mapping(self, label: str, page: Ref) -> tuple[Ref | None, int]:
        m, anon = await self.port.call("page_mapping", label, page)
        return m, int(anon)

    async def page_flag(self, label: str, page: Ref, flag: str) -> int:
        return int(await self.port.call("page_flag", label, page, flag))

    async def set_page_flag(self, label: str, page: Ref, flag: str, value: int) -> None:
        await self.port.call("set_page_flag", label, page, flag, value)

    async def pte_read(self, label: str, mm: Ref, addr: int) -> tuple[Ref, int] | None:
        r: tuple[Ref, int] | None = await self.port.call("pte_read", label, mm, addr)
        return r

    async def pte_install(
        self, label: str, mm: Ref, addr: int, page: Ref, writable: int, holder: str
    ) -> bool:
        return bool(await self.port.call("pte_install", label, mm, addr, page, writable, holder))

    async def pte_zap(self, label: str, mm: Ref, addr: int) -> Ref | None:
        r: Ref | None = await self.port.call("pte_zap", label, mm, addr)
        return r

    async def find_vma(self, label: str, mm: Ref, addr: int) -> Ref | None:
        r: Ref | None = await self.port.call("find_vma", label, mm, addr)
        return r

    async def tree_load(self, label: str, mapping: Ref, index: int) -> Ref | None:
        r: Ref | None = await self.port.call("tree_load", label, mapping, index)
        return r

    async def delete_from_page_cache(self, label: str, page: Ref) -> None:
        await self.port.call("delete_from_page_cache", label, page)

    # -- anon_vma ------------------------------------------------------------------------------
    async def anon_vma_alloc(self, label: str) -> Ref:
        r: Ref = await self.port.call("anon_vma_alloc", label)
        return r

    async def kmem_cache_free(self, label: str, av: Ref) -> None:
        await self.port.call("anon_vma_free", label, av)

    async def avc_link(self, label: str, av: Ref, vma: Ref) -> None:
        await self.port.call("avc_link", label, av, vma)

    async def avc_unlink(self, label: str, av: Ref, vma: Ref) -> bool:
        return bool(await self.port.call("avc_unlink", label, av, vma))

    async def avc_walk(self, label: str, av: Ref) -> tuple[int, ...]:
        r: tuple[int, ...] = await self.port.call("avc_walk", label, av)
        return r

    # -- locks through a pointer field (mutex_lock(&av->root->mutex)) --------------------------
    async def mutex_trylock_via(self, label: str, ref: Ref, fld: str) -> tuple[bool, Ref]:
        ok, target = await self.port.call("mutex_trylock_via", label, ref, fld)
        return bool(ok), target

    async def mutex_lock_via(self, label: str, ref: Ref, fld: str) -> Ref:
        r: Ref = await self.port.call("mutex_lock_via", label, ref, fld)
        return r

    async def mutex_unlock_via(self, label: str, ref: Ref, fld: str) -> Ref:
        r: Ref = await self.port.call("mutex_unlock_via", label, ref, fld)
        return r

    async def mutex_is_locked_via(self, label: str, ref: Ref, fld: str) -> bool:
        return bool(await self.port.call("mutex_is_locked_via", label, ref, fld))


def actor(name: str, program: Callable[[K], Awaitable[None]], daemon: bool = False) -> ActorSpec:
    """Wrap ``async def program(k: K)`` as an actor (the usual way scenarios declare actors)."""

    async def body(port: Port) -> None:
        await program(K(port))

    return ActorSpec(name, body, daemon)
