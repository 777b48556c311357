"""The primitives of the memory modes (weak-memory.md section 2) that scenario actors call by
their kernel names: READ_ONCE/WRITE_ONCE, acquire/release, rcu_dereference/rcu_assign_pointer,
the smp_* barriers, value-returning atomics with their orderings, xchg, cmpxchg (a failed one is
unordered), atomic_add_unless, spin_trylock and spin_is_locked. Each is one op; what it does to
memory is ``Memory``'s (``actors/model/memory.py``): this component only names the ordering."""

from __future__ import annotations

from typing import Any

from actors.memory.base import RmwOrder
from actors.model.core import Step
from actors.model.memory import Memory
from actors.model.ops import op
from actors.objects import Ref


class Barriers:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    # -- READ_ONCE / WRITE_ONCE and friends ------------------------------------------------------

    @op
    def read_once(self, cx: Step, ref: Ref, fld: str) -> Any:
        return self.m.load(cx, ref, fld, "once")

    @op
    def write_once(self, cx: Step, ref: Ref, fld: str, value: Any) -> None:
        self.m.store(cx, ref, fld, value, "once")

    @op
    def smp_load_acquire(self, cx: Step, ref: Ref, fld: str) -> Any:
        return self.m.load(cx, ref, fld, "acquire")

    @op
    def smp_store_release(self, cx: Step, ref: Ref, fld: str, value: Any) -> None:
        self.m.store(cx, ref, fld, value, "release")

    @op
    def rcu_dereference(self, cx: Step, ref: Ref, fld: str) -> Any:
        """The value carries its load's view: later accesses through it are ordered after it
        (address dependency; the caller's later accesses are ordered anyway, see above)."""
        return self.m.load(cx, ref, fld, "once")

    @op
    def rcu_assign_pointer(self, cx: Step, ref: Ref, fld: str, value: Any) -> None:
        self.m.store(cx, ref, fld, value, "release")

    # -- barriers --------------------------------------------------------------------------------

    @op
    def smp_mb(self, cx: Step) -> None:
        self.m.mem.fence(cx.actor, "mb")

    @op
    def smp_rmb(self, cx: Step) -> None:
        self.m.mem.fence(cx.actor, "rmb")

    @op
    def smp_wmb(self, cx: Step) -> None:
        self.m.mem.fence(cx.actor, "wmb")

    @op
    def smp_mb__before_atomic(self, cx: Step) -> None:
        self.m.mem.fence(cx.actor, "before_atomic")

    @op
    def smp_mb__after_atomic(self, cx: Step) -> None:
        self.m.mem.fence(cx.actor, "after_atomic")

    @op
    def smp_mb__after_spinlock(self, cx: Step) -> None:
        self.m.mem.fence(cx.actor, "after_spinlock")

    # -- atomics on weak locations ---------------------------------------------------------------

    @op
    def atomic_set(self, cx: Step, ref: Ref, fld: str, value: int) -> None:
        self.m.store(cx, ref, fld, value, "once")

    def _inc_return(self, cx: Step, ref: Ref, fld: str, order: RmwOrder) -> int:
        return int(self.m.rmw(cx, ref, fld, lambda v: int(v) + 1, order)[0]) + 1

    @op
    def atomic_inc_return(self, cx: Step, ref: Ref, fld: str) -> int:
        return self._inc_return(cx, ref, fld, "full")

    @op
    def atomic_inc_return_acquire(self, cx: Step, ref: Ref, fld: str) -> int:
        return self._inc_return(cx, ref, fld, "acquire")

    @op
    def atomic_inc_return_release(self, cx: Step, ref: Ref, fld: str) -> int:
        return self._inc_return(cx, ref, fld, "release")

    @op
    def atomic_inc_return_relaxed(self, cx: Step, ref: Ref, fld: str) -> int:
        return self._inc_return(cx, ref, fld, "relaxed")

    @op
    def atomic_add_unless(self, cx: Step, ref: Ref, fld: str, a: int, u: int) -> bool:
        """Adds ``a`` unless the value is ``u``; failing is a plain read, no barrier."""
        return self.m.rmw(cx, ref, fld, lambda v: None if v == u else int(v) + a)[1]

    def _xchg(self, cx: Step, ref: Ref, fld: str, new: Any, order: RmwOrder) -> Any:
        v = new[0] if isinstance(new, (tuple, list)) else new
        return self.m.out(fld, self.m.rmw(cx, ref, fld, lambda _old: v, order)[0])

    @op
    def xchg(self, cx: Step, ref: Ref, fld: str, new: Any) -> Any:
        return self._xchg(cx, ref, fld, new, "full")

    @op
    def xchg_acquire(self, cx: Step, ref: Ref, fld: str, new: Any) -> Any:
        return self._xchg(cx, ref, fld, new, "acquire")

    @op
    def xchg_release(self, cx: Step, ref: Ref, fld: str, new: Any) -> Any:
        return self._xchg(cx, ref, fld, new, "release")

    @op
    def xchg_relaxed(self, cx: Step, ref: Ref, fld: str, new: Any) -> Any:
        return self._xchg(cx, ref, fld, new, "relaxed")

    def _cmpxchg(self, cx: Step, ref: Ref, fld: str, old: Any, new: Any, order: RmwOrder) -> Any:
        """Returns the value found; it wrote iff that equals ``old``. A failed cmpxchg is
        unordered (a plain read)."""
        o = old[0] if isinstance(old, (tuple, list)) else old
        n = new[0] if isinstance(new, (tuple, list)) else new
        found = self.m.rmw(cx, ref, fld, lambda v: n if v == o else None, order)[0]
        return self.m.out(fld, found)

    @op
    def cmpxchg_acquire(self, cx: Step, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        return self._cmpxchg(cx, ref, fld, old, new, "acquire")

    @op
    def cmpxchg_release(self, cx: Step, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        return self._cmpxchg(cx, ref, fld, old, new, "release")

    @op
    def cmpxchg_relaxed(self, cx: Step, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        return self._cmpxchg(cx, ref, fld, old, new, "relaxed")

    # -- spinlocks: the two Locks does not have ----------------------------------------------------

    @op
    def spin_trylock(self, cx: Step, ref: Ref, name: str) -> bool:
        """Takes the lock if it is free (outside SC the acquisition acts on the lock word)."""
        self.m.core.deref(cx, ref)
        key = (ref[0], name)
        lk = self.m.locks.lock(key, "spin")
        if lk.owner is not None:
            return False
        self.m.locks.take(cx, key, lk)
        return True

    @op
    def spin_is_locked(self, cx: Step, ref: Ref, name: str) -> bool:
        """Reads the lock word: outside SC it may be stale."""
        key = (ref[0], name)
        if self.m.weak_mode:
            return self.m.is_locked(cx, key)
        self.m.core.deref(cx, ref)
        return self.m.locks.owner(key) is not None
