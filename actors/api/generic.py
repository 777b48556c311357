"""The actor API for generic steps: READ_ONCE-style reads and writes, atomics, bookkeeping
(actors/model/generic.py): one awaitable per op, each one step."""

from __future__ import annotations

from typing import Any

from actors.api.base import Api
from actors.objects import Ref

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True


class GenericApi(Api):
    __slots__ = ()

    # -- generic (actors/model/generic.py) ---------------------------------------------------------
    async def read(self, label: str, ref: Ref, fld: str) -> Any:
        """READ_ONCE(obj->field) / ACCESS_ONCE (include/linux/compiler.h)."""
        return await self.port.call("read", label, ref, fld)

    async def write(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        """WRITE_ONCE(obj->field, v); a plain store of the era."""
        await self.port.call("write", label, ref, fld, value)

    async def atomic_read(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_read (include/asm-generic/atomic.h)."""
        return int(await self.port.call("atomic_read", label, ref, fld))

    async def atomic_inc(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_inc; on a refcount at 0 it is a resurrection (INV-REF-2)."""
        return int(await self.port.call("atomic_inc", label, ref, fld))

    async def atomic_dec(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_dec; below 0 on a refcount is INV-REF-1."""
        return int(await self.port.call("atomic_dec", label, ref, fld))

    async def atomic_inc_not_zero(self, label: str, ref: Ref, fld: str) -> bool:
        """atomic_inc_not_zero (e.g. 3.0.1 mm/rmap.c:437 page_lock_anon_vma slow path)."""
        return bool(await self.port.call("atomic_inc_not_zero", label, ref, fld))

    async def atomic_dec_and_test(self, label: str, ref: Ref, fld: str) -> bool:
        """atomic_dec_and_test (put_anon_vma, iput's atomic_dec_and_lock)."""
        return bool(await self.port.call("atomic_dec_and_test", label, ref, fld))

    async def cmpxchg(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        """cmpxchg(&obj->field, old, new) (arch cmpxchg): the value found; stored iff it was
        ``old``."""
        return await self.port.call("cmpxchg", label, ref, fld, old, new)

    async def test_and_set_bit(self, label: str, ref: Ref, fld: str, bit: int) -> bool:
        """test_and_set_bit / test_and_set_bit_lock (include/asm-generic/bitops)."""
        return bool(await self.port.call("test_and_set_bit", label, ref, fld, bit))

    async def clear_bit(self, label: str, ref: Ref, fld: str, bit: int) -> None:
        """clear_bit / clear_bit_unlock."""
        await self.port.call("clear_bit", label, ref, fld, bit)

    async def wait_for_completion(self, label: str, ref: Ref) -> None:
        """wait_for_completion (kernel/sched/completion.c): sleeps until complete()."""
        await self.port.call("wait_for_completion", label, ref)

    async def complete(self, label: str, ref: Ref, all_waiters: bool = False) -> None:
        """complete / complete_all (kernel/sched/completion.c)."""
        await self.port.call("complete", label, ref, all_waiters)

    async def commit(self, label: str, ref: Ref, what: str) -> None:
        """The actor acts on a pointer it loaded earlier (emulator notion: INV-ID-1 if the
        object was reallocated since)."""
        await self.port.call("commit", label, ref, what)

    async def begin(self, label: str, name: str) -> None:
        """Opens a kernel operation (emulator bracket: INV-LOCK-2 at its end)."""
        await self.port.call("begin", label, name)

    async def end(self, label: str, name: str) -> None:
        """Closes a kernel operation: a lock taken inside and still held is INV-LOCK-2."""
        await self.port.call("end", label, name)

    async def might_sleep(self, label: str, what: str) -> None:
        """might_sleep() (3.0.1 kernel/sched.c:8196 __might_sleep): INV-RCU-1 in RCU or under a
        spinlock."""
        await self.port.call("might_sleep", label, what)

    async def retry(self, label: str, detail: str = "") -> None:
        """`goto again` / `goto repeat`: INV-LIVE-1 when nothing another actor wrote changes."""
        await self.port.call("retry", label, detail)

    async def report(self, label: str, oracle: str, message: str) -> None:
        """A scenario-level oracle decided in actor code."""
        await self.port.call("report", label, oracle, message)

    async def note(self, label: str, what: str, value: Any = None) -> Any:
        """A labelled local event (no shared state)."""
        return await self.port.call("note", label, what, value)
