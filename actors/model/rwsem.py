"""Reader/writer semaphores (mmap_sem), after 3.0.1 lib/rwsem.c with
arch/x86/include/asm/rwsem.h: readers share the lock; a reader that arrives while a writer WAITS
queues behind it (the count is negative: waiting bias); waiters queue FIFO
(rwsem_down_failed_common) and are GRANTED the lock by the releaser (__rwsem_do_wake): the
writer at the head, or every reader at the head up to the first writer. The lock table, parking
and hand-over are the ``Locks`` component's; this one only adds the rwsem's rules."""

from __future__ import annotations

from typing import Any

from actors.model.core import Core, LockKey, Step
from actors.model.locks import Lock, Locks
from actors.model.ops import op
from actors.objects import Ref
from emulator.engine import facts as F
from emulator.engine.violations import Violation


class Rwsems:
    def __init__(self, core: Core, locks: Locks) -> None:
        self.core = core
        self.locks = locks

    def _rw_key(self, ref: Ref, name: str) -> LockKey:
        return (ref[0], name)

    def _take_read(self, cx: Step, key: LockKey, lk: Lock, actor: int) -> None:
        core = self.core
        lk.readers.append(actor)
        core.frames[actor].held[key] = (cx.step, cx.label)
        if core.facts_on:
            core.fact(F.LOCK, core.objs.get(key[0]), key[1], other=actor)

    def _rw_wake(self, cx: Step, key: LockKey, lk: Lock) -> None:
        """__rwsem_do_wake (3.0.1 lib/rwsem.c): grant the writer at the head of the queue once
        nothing is active, or every reader at the head up to the first writer."""
        if not lk.waiters or lk.owner is not None:
            return
        w = lk.waiters[0]
        if w in lk.writers:
            if not lk.readers:
                lk.waiters.pop(0)
                lk.writers.remove(w)
                self.locks.take(cx, key, lk, w)
                self.core.wake(w)
            return
        while lk.waiters and lk.waiters[0] not in lk.writers:
            r = lk.waiters.pop(0)
            self._take_read(cx, key, lk, r)
            self.core.wake(r)

    @op
    def down_read(self, cx: Step, ref: Ref, name: str = "mmap_sem") -> Any:
        """down_read (3.0.1 arch/x86/include/asm/rwsem.h __down_read: the slow path, a FIFO
        wait, whenever a writer holds it or anybody waits)."""
        o = self.core.deref(cx, ref)
        key = self._rw_key(ref, name)
        lk = self.locks.lock(key, "rwsem")
        if cx.resumed and cx.actor in lk.readers:
            return None  # granted by __rwsem_do_wake
        self.locks.sleeps(cx, "down_read")
        if lk.owner is None and not lk.waiters:
            self._take_read(cx, key, lk, cx.actor)
            return None
        return self.locks.park(cx, lk, f"down_read({o.name()}.{name})", key)

    @op
    def down_read_trylock(self, cx: Step, ref: Ref, name: str = "mmap_sem") -> bool:
        """down_read_trylock (3.0.1 arch/x86/include/asm/rwsem.h __down_read_trylock: succeeds
        while the count is not negative: no writer, nobody waiting)."""
        self.core.deref(cx, ref)
        key = self._rw_key(ref, name)
        lk = self.locks.lock(key, "rwsem")
        if lk.owner is None and not lk.waiters:
            self._take_read(cx, key, lk, cx.actor)
            return True
        return False

    @op
    def up_read(self, cx: Step, ref: Ref, name: str = "mmap_sem") -> None:
        """up_read: the last reader out wakes the queue (rwsem_wake -> __rwsem_do_wake)."""
        core = self.core
        core.deref(cx, ref)
        key = self._rw_key(ref, name)
        lk = self.locks.lock(key, "rwsem")
        if cx.actor not in lk.readers:
            raise Violation(
                "INV-LOCK-1",
                f"up_read of {core.lock_name(key)} not held for read by {core.names[cx.actor]}",
            )
        lk.readers.remove(cx.actor)
        core.frames[cx.actor].held.pop(key, None)
        if core.facts_on:
            core.fact(F.UNLOCK, core.objs.get(key[0]), key[1])
        if not lk.readers:
            self._rw_wake(cx, key, lk)

    @op
    def down_write(self, cx: Step, ref: Ref, name: str = "mmap_sem") -> Any:
        """down_write (3.0.1 __down_write: xadd of the write bias; the slow path unless the
        count was unlocked and waiter-free)."""
        o = self.core.deref(cx, ref)
        key = self._rw_key(ref, name)
        lk = self.locks.lock(key, "rwsem")
        if cx.resumed and lk.owner == cx.actor:
            return None  # granted by __rwsem_do_wake
        self.locks.sleeps(cx, "down_write")
        if lk.owner is None and not lk.readers and not lk.waiters:
            self.locks.take(cx, key, lk)
            return None
        lk.writers.append(cx.actor)
        return self.locks.park(cx, lk, f"down_write({o.name()}.{name})", key)

    @op
    def up_write(self, cx: Step, ref: Ref, name: str = "mmap_sem") -> None:
        """up_write: release, wake the queue (__rwsem_do_wake)."""
        self.core.deref(cx, ref)
        key = self._rw_key(ref, name)
        lk = self.locks.lock(key, "rwsem")
        self.locks.release(cx, key, lk)
        self._rw_wake(cx, key, lk)
