"""Reader/writer semaphores (mmap_sem). The lock table, parking and hand-over are the ``Locks``
component's; this one adds the rwsem's rules, of the era (``ModelOptions.rwsem_policy``).

"queue" (before 3.10): 3.0.1 lib/rwsem.c with arch/x86/include/asm/rwsem.h. __down_read's
increment goes negative, and so takes the slow path, whenever a writer holds the semaphore OR
anybody waits (the waiting bias), so a reader queues behind a waiting writer; __down_write
succeeds only on an unlocked, waiter-free count. Waiters queue FIFO (rwsem_down_failed_common)
and are GRANTED the lock by the releaser (__rwsem_do_wake): a writer at the head of the queue
once nothing is active, else "an infinite number of read locks to the readers at the front of
the queue", up to the first writer.

"steal" (3.10+, ce6711f3d196 "rwsem: implement support for write lock stealing"; read in 4.9
kernel/locking/rwsem-xadd.c): readers are still granted by the waker (__rwsem_mark_wake:124),
but a writer at the head is only WOKEN ("Until the task is actually later awoken later by the
caller, other writers are able to steal it"), and every writer in the slow path takes the lock
as soon as nothing is active (rwsem_try_write_lock: count == RWSEM_WAITING_BIAS), whatever its
place in the queue: a new writer steals a free lock past queued waiters, and the woken one
finds it held and sleeps again, keeping its place. A writer that queues behind others while
the lock is read-owned first wakes the readers at the head (RWSEM_WAKE_READERS). Optimistic
spinning (4.x) is not modelled: it only steals earlier.
"""

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
        self.steal = locks.options.rwsem_policy == "steal"
        self._woken: set[int] = set()  # "steal": writers woken, not yet run (no second wake)

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
        if w in lk.writers and self.steal:
            # RWSEM_WAKE_ANY: wake the head writer; it takes the lock itself when it runs
            if not lk.readers and w not in self._woken:
                self._woken.add(w)
                self.core.wake(w)
            return
        if w in lk.writers:
            if not lk.readers:
                lk.waiters.pop(0)
                lk.writers.remove(w)
                self.locks.take(cx, key, lk, w)
                self.core.wake(w)
            return
        self._wake_readers(cx, key, lk)

    def _wake_readers(self, cx: Step, key: LockKey, lk: Lock) -> None:
        """Grant the readers at the head of the queue, up to the first writer."""
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
        r = self.locks.park(cx, lk, f"down_read({o.name()}.{name})", key)
        if self.steal and lk.owner is None and not lk.readers:
            # rwsem_down_read_failed: nothing active (a woken writer has not run yet): wake
            # the front of the queue (4.9 kernel/locking/rwsem-xadd.c:250)
            self._rw_wake(cx, key, lk)
        return r

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
        what = f"down_write({o.name()}.{name})"
        if cx.resumed and lk.owner == cx.actor:
            return None  # granted by __rwsem_do_wake
        if cx.resumed:  # "steal": woken, it tries the lock again and keeps its place if held
            self._woken.discard(cx.actor)
            if lk.owner is None and not lk.readers:
                lk.waiters.remove(cx.actor)
                lk.writers.remove(cx.actor)
                self.locks.take(cx, key, lk)
                return None
            return self.core.park(cx, what, key)
        self.locks.sleeps(cx, "down_write")
        if lk.owner is None and not lk.readers and (self.steal or not lk.waiters):
            # the fast path on a free, waiter-free count; "steal": also rwsem_try_write_lock
            # in the slow path (4.9 kernel/locking/rwsem-xadd.c:517), past queued waiters
            self.locks.take(cx, key, lk)
            return None
        queued_before = bool(lk.waiters)
        lk.writers.append(cx.actor)
        r = self.locks.park(cx, lk, what, key)
        if self.steal and queued_before and lk.owner is None and lk.readers:
            # read-owned with waiters: wake the readers at the head (RWSEM_WAKE_READERS, :500)
            self._wake_readers(cx, key, lk)
        return r

    @op
    def up_write(self, cx: Step, ref: Ref, name: str = "mmap_sem") -> None:
        """up_write: release, wake the queue (__rwsem_do_wake)."""
        self.core.deref(cx, ref)
        key = self._rw_key(ref, name)
        lk = self.locks.lock(key, "rwsem")
        self.locks.release(cx, key, lk)
        self._rw_wake(cx, key, lk)
