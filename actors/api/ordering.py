"""The actor API for the memory modes: weak locations, barriers, ordered atomics
(actors/model/memory.py, barriers.py, futex_hb.py, rmap_order.py): one awaitable per op, each
one step."""

from __future__ import annotations

from typing import Any

from actors.api.base import Api
from actors.objects import Ref

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class OrderingApi(Api):
    __slots__ = ()

    # -- memory modes (actors/model/memory.py): weak locations, barriers, ordered atomics -------
    # On a weak location the generic read / write / atomic_* above and page_mapped go through
    # the run's memory model too; these are the primitives they do not cover.
    async def read_once(self, label: str, ref: Ref, fld: str) -> Any:
        return await self.port.call("read_once", label, ref, fld)

    async def write_once(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        await self.port.call("write_once", label, ref, fld, value)

    async def smp_load_acquire(self, label: str, ref: Ref, fld: str) -> Any:
        return await self.port.call("smp_load_acquire", label, ref, fld)

    async def smp_store_release(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        await self.port.call("smp_store_release", label, ref, fld, value)

    async def rcu_dereference(self, label: str, ref: Ref, fld: str) -> Any:
        return await self.port.call("rcu_dereference", label, ref, fld)

    async def rcu_assign_pointer(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        await self.port.call("rcu_assign_pointer", label, ref, fld, value)

    async def smp_mb(self, label: str) -> None:
        await self.port.call("smp_mb", label)

    async def smp_rmb(self, label: str) -> None:
        await self.port.call("smp_rmb", label)

    async def smp_wmb(self, label: str) -> None:
        await self.port.call("smp_wmb", label)

    async def smp_mb__before_atomic(self, label: str) -> None:
        await self.port.call("smp_mb__before_atomic", label)

    async def smp_mb__after_atomic(self, label: str) -> None:
        await self.port.call("smp_mb__after_atomic", label)

    async def smp_mb__after_spinlock(self, label: str) -> None:
        await self.port.call("smp_mb__after_spinlock", label)

    async def atomic_set(self, label: str, ref: Ref, fld: str, value: int) -> None:
        await self.port.call("atomic_set", label, ref, fld, value)

    async def atomic_inc_return(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic_inc_return", label, ref, fld))

    async def atomic_inc_return_acquire(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic_inc_return_acquire", label, ref, fld))

    async def atomic_inc_return_release(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic_inc_return_release", label, ref, fld))

    async def atomic_inc_return_relaxed(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic_inc_return_relaxed", label, ref, fld))

    async def atomic_add_unless(self, label: str, ref: Ref, fld: str, a: int, u: int) -> bool:
        return bool(await self.port.call("atomic_add_unless", label, ref, fld, a, u))

    async def xchg(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        return await self.port.call("xchg", label, ref, fld, new)

    async def xchg_acquire(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        return await self.port.call("xchg_acquire", label, ref, fld, new)

    async def xchg_release(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        return await self.port.call("xchg_release", label, ref, fld, new)

    async def xchg_relaxed(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        return await self.port.call("xchg_relaxed", label, ref, fld, new)

    async def cmpxchg_acquire(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        return await self.port.call("cmpxchg_acquire", label, ref, fld, old, new)

    async def cmpxchg_release(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        return await self.port.call("cmpxchg_release", label, ref, fld, old, new)

    async def cmpxchg_relaxed(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        return await self.port.call("cmpxchg_relaxed", label, ref, fld, old, new)

    async def spin_trylock(self, label: str, ref: Ref, name: str) -> bool:
        return bool(await self.port.call("spin_trylock", label, ref, name))

    async def spin_is_locked(self, label: str, ref: Ref, name: str) -> bool:
        return bool(await self.port.call("spin_is_locked", label, ref, name))

    # -- futex hash bucket (actors/model/futex_hb.py) ----------------------------------------------
    async def futex_queue(self, label: str, hb: Ref, uaddr: Ref) -> None:
        await self.port.call("futex_queue", label, hb, uaddr)

    async def futex_schedule(self, label: str, hb: Ref) -> bool:
        return bool(await self.port.call("futex_schedule", label, hb))

    async def futex_wake_queued(self, label: str, hb: Ref, uaddr: Ref, nr: int) -> int:
        return int(await self.port.call("futex_wake_queued", label, hb, uaddr, nr))

    # -- ordered mapcount (actors/model/rmap_order.py) ---------------------------------------------
    async def set_pte_at(self, label: str, mm: Ref, addr: int, page: Ref, holder: str) -> bool:
        return bool(await self.port.call("set_pte_at", label, mm, addr, page, holder))
