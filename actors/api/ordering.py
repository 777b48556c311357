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
        """READ_ONCE(obj->field) on a weak location (include/linux/compiler.h): no ordering."""
        return await self.port.call("read_once", label, ref, fld)

    async def write_once(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        """WRITE_ONCE(obj->field, v) on a weak location: a marked store, no ordering."""
        await self.port.call("write_once", label, ref, fld, value)

    async def smp_load_acquire(self, label: str, ref: Ref, fld: str) -> Any:
        """smp_load_acquire (include/asm-generic/barrier.h): later accesses stay after it."""
        return await self.port.call("smp_load_acquire", label, ref, fld)

    async def smp_store_release(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        """smp_store_release: earlier accesses stay before the store."""
        await self.port.call("smp_store_release", label, ref, fld, value)

    async def rcu_dereference(self, label: str, ref: Ref, fld: str) -> Any:
        """rcu_dereference (include/linux/rcupdate.h): a load with address dependency order."""
        return await self.port.call("rcu_dereference", label, ref, fld)

    async def rcu_assign_pointer(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        """rcu_assign_pointer: a release store publishing an initialised object."""
        await self.port.call("rcu_assign_pointer", label, ref, fld, value)

    async def smp_mb(self, label: str) -> None:
        """smp_mb: full barrier, orders every earlier access before every later one."""
        await self.port.call("smp_mb", label)

    async def smp_rmb(self, label: str) -> None:
        """smp_rmb: orders earlier loads before later loads."""
        await self.port.call("smp_rmb", label)

    async def smp_wmb(self, label: str) -> None:
        """smp_wmb: orders earlier stores before later stores."""
        await self.port.call("smp_wmb", label)

    async def smp_mb__before_atomic(self, label: str) -> None:
        """smp_mb__before_atomic: full barrier before a non-returning atomic."""
        await self.port.call("smp_mb__before_atomic", label)

    async def smp_mb__after_atomic(self, label: str) -> None:
        """smp_mb__after_atomic: full barrier after a non-returning atomic."""
        await self.port.call("smp_mb__after_atomic", label)

    async def smp_mb__after_spinlock(self, label: str) -> None:
        """smp_mb__after_spinlock (4.16+): spin_lock becomes a full barrier."""
        await self.port.call("smp_mb__after_spinlock", label)

    async def atomic_set(self, label: str, ref: Ref, fld: str, value: int) -> None:
        """atomic_set: a plain (unordered) store of an atomic_t."""
        await self.port.call("atomic_set", label, ref, fld, value)

    async def atomic_inc_return(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_inc_return: fully ordered read-modify-write (Documentation/atomic_t.txt)."""
        return int(await self.port.call("atomic_inc_return", label, ref, fld))

    async def atomic_inc_return_acquire(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_inc_return_acquire: the RMW with acquire order."""
        return int(await self.port.call("atomic_inc_return_acquire", label, ref, fld))

    async def atomic_inc_return_release(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_inc_return_release: the RMW with release order."""
        return int(await self.port.call("atomic_inc_return_release", label, ref, fld))

    async def atomic_inc_return_relaxed(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_inc_return_relaxed: the RMW with no order."""
        return int(await self.port.call("atomic_inc_return_relaxed", label, ref, fld))

    async def atomic_add_unless(self, label: str, ref: Ref, fld: str, a: int, u: int) -> bool:
        """atomic_add_unless(v, a, u): adds a unless the value is u; fully ordered on success."""
        return bool(await self.port.call("atomic_add_unless", label, ref, fld, a, u))

    async def xchg(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        """xchg: fully ordered exchange; the old value."""
        return await self.port.call("xchg", label, ref, fld, new)

    async def xchg_acquire(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        """xchg_acquire: exchange with acquire order."""
        return await self.port.call("xchg_acquire", label, ref, fld, new)

    async def xchg_release(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        """xchg_release: exchange with release order."""
        return await self.port.call("xchg_release", label, ref, fld, new)

    async def xchg_relaxed(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        """xchg_relaxed: exchange with no order."""
        return await self.port.call("xchg_relaxed", label, ref, fld, new)

    async def cmpxchg_acquire(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        """cmpxchg_acquire: compare-and-swap with acquire order; the value found."""
        return await self.port.call("cmpxchg_acquire", label, ref, fld, old, new)

    async def cmpxchg_release(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        """cmpxchg_release: compare-and-swap with release order; the value found."""
        return await self.port.call("cmpxchg_release", label, ref, fld, old, new)

    async def cmpxchg_relaxed(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        """cmpxchg_relaxed: compare-and-swap with no order; the value found."""
        return await self.port.call("cmpxchg_relaxed", label, ref, fld, old, new)

    async def spin_trylock(self, label: str, ref: Ref, name: str) -> bool:
        """spin_trylock: takes the spinlock if free (acquire on success)."""
        return bool(await self.port.call("spin_trylock", label, ref, name))

    async def spin_is_locked(self, label: str, ref: Ref, name: str) -> bool:
        """spin_is_locked: an unordered read of the lock word (the 000d litmus core)."""
        return bool(await self.port.call("spin_is_locked", label, ref, name))

    # -- futex hash bucket (actors/model/futex_hb.py) ----------------------------------------------
    async def futex_queue(self, label: str, hb: Ref, uaddr: Ref) -> None:
        """queue_me's plist_add (4.9 kernel/futex.c): the waiter is now visible to wake."""
        await self.port.call("futex_queue", label, hb, uaddr)

    async def futex_schedule(self, label: str, hb: Ref) -> bool:
        """futex_wait_queue_me's schedule: sleeps unless already woken; False = woken."""
        return bool(await self.port.call("futex_schedule", label, hb))

    async def futex_wake_queued(self, label: str, hb: Ref, uaddr: Ref, nr: int) -> int:
        """futex_wake's walk of the bucket (4.9 kernel/futex.c): wakes up to nr waiters on uaddr."""
        return int(await self.port.call("futex_wake_queued", label, hb, uaddr, nr))

    # -- ordered mapcount (actors/model/rmap_order.py) ---------------------------------------------
    async def set_pte_at(self, label: str, mm: Ref, addr: int, page: Ref, holder: str) -> bool:
        """set_pte_at with page_add_file_rmap (mapcount++) in the order of the 004c mapper."""
        return bool(await self.port.call("set_pte_at", label, mm, addr, page, holder))
