"""Mutexes reached through a pointer field: mutex_lock(&av->root->mutex) (3.0.1
include/linux/rmap.h:106 anon_vma_lock). The lock itself is the ``Locks`` component's; this one
re-reads the pointer at every call, exactly like the kernel expression, so whoever re-reads it
after the object was recycled gets the new owner's root (003a)."""

from __future__ import annotations

from typing import Any

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from actors.objects import Ref


class PointerLocks:
    def __init__(self, core: Core, locks: Locks) -> None:
        self.core = core
        self.locks = locks
        self._via_parked: dict[int, Ref] = {}  # a parked mutex_lock_via: the lock it waits for

    def _via(self, cx: Step, ref: Ref, fld: str) -> Ref:
        o = self.core.deref(cx, ref)
        t = o.f[fld]
        return (t, self.core.objs[t].gen)

    @op
    def mutex_trylock_via(self, cx: Step, ref: Ref, fld: str) -> tuple[bool, Ref]:
        target = self._via(cx, ref, fld)
        return (self.locks.mutex_trylock(cx, target), target)

    @op
    def mutex_lock_via(self, cx: Step, ref: Ref, fld: str) -> Any:
        if cx.resumed:
            target = self._via_parked.pop(cx.actor)
            r = self.locks.mutex_lock(cx, target)
            if r is not None:  # woken but the lock was taken first (no-handoff): wait again
                self._via_parked[cx.actor] = target
                return r
            return target
        target = self._via(cx, ref, fld)
        r = self.locks.mutex_lock(cx, target)
        if r is not None:  # parked: remember which lock, the pointer may change meanwhile
            self._via_parked[cx.actor] = target
            return r
        return target

    @op
    def mutex_unlock_via(self, cx: Step, ref: Ref, fld: str) -> Ref:
        for before, _after in self.locks.mutex_hooks:
            before(cx.actor, ref[0])
        target = self._via(cx, ref, fld)
        self.locks.mutex_unlock(cx, target)
        for _before, after in self.locks.mutex_hooks:
            after(ref[0])
        return target

    @op
    def mutex_is_locked_via(self, cx: Step, ref: Ref, fld: str) -> bool:
        return self.locks.mutex_is_locked(cx, self._via(cx, ref, fld))
