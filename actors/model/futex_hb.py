"""The futex hash bucket of kernel-scenarios.md 1.10 (only scenario 000d needs it):
``{waiters: atomic, lock: spinlock, chain}``.

``hb->waiters`` is a weak location (actors/model/memory.py): futex_wait increments it and
futex_wake reads it with the generic ``atomic_inc`` / ``atomic_read`` ops, and the barriers
around them are the scenario's. The bucket lock is an ordinary spinlock (``spin_lock(hb,
"lock")``), which outside SC acts on its lock word as acquire and release. The chain is plain
state changed only under that lock: queueing, sleeping until woken, waking matching keys.

A waiter that sleeps with nobody left to wake it is INV-WAKE-1 (lost wake-up) at quiescence;
what it waits for says which value of the futex word it trusted and, when that value was stale,
which store it missed.
"""

from __future__ import annotations

from typing import Any

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.memory import Memory
from actors.model.ops import op
from actors.objects import Obj, Ref
from emulator.engine.violations import Violation

HB_LOCK = "lock"


class FutexHb:
    def __init__(self, core: Core, locks: Locks, memory: Memory) -> None:
        self.core = core
        self.locks = locks
        self.memory = memory
        self.queued: dict[int, dict[int, tuple[int, str]]] = {}  # hb -> actor -> (uaddr, label)

    # -- setup helpers ---------------------------------------------------------------------------

    def new_futex_hb(self) -> Obj:
        hb = self.core.new("futex_hb", {"waiters": 0})
        self.memory.weak(hb, "waiters")
        self.queued[hb.oid] = {}
        return hb

    def new_futex_word(self, value: int) -> Obj:
        """A user-space futex word (``*uaddr``): a weak location."""
        u = self.core.new("futex_word", {"val": value})
        self.memory.weak(u, "val")
        return u

    def _locked(self, cx: Step, hb: Obj, what: str) -> None:
        if not self.locks.holds(cx.actor, (hb.oid, HB_LOCK)):
            raise Violation("INV-LOCK-3", f"{what} on {hb.name()} without its hb->lock")

    # -- steps -----------------------------------------------------------------------------------

    @op
    def futex_queue(self, cx: Step, hb: Ref, uaddr: Ref) -> None:
        """queue_me: plist_add(&q->list, &hb->chain) under hb->lock."""
        o = self.core.deref(cx, hb)
        self._locked(cx, o, "queue_me")
        self.queued[o.oid][cx.actor] = (uaddr[0], cx.label)
        self.core.wrote(cx, o, "chain", f"+{self.core.names[cx.actor]}")

    @op
    def futex_schedule(self, cx: Step, hb: Ref) -> Any:
        """futex_wait_queue_me's schedule(): sleep while still queued (a wake unqueues)."""
        o = self.core.deref(cx, hb)
        if cx.resumed or cx.actor not in self.queued[o.oid]:
            return True
        uaddr, label = self.queued[o.oid][cx.actor]
        what = f"futex_wait on {self.core.objs[uaddr].name()} in {o.name()} (queued at {label})"
        note = self.memory.last_note(cx.actor)
        if note is not None:
            what += f"; it trusted a stale value: {note}"
        return self.core.park(cx, what, None)

    @op
    def futex_wake_queued(self, cx: Step, hb: Ref, uaddr: Ref, nr: int) -> int:
        """futex_wake under hb->lock: wake (and unqueue) up to ``nr`` waiters on ``uaddr``."""
        o = self.core.deref(cx, hb)
        self._locked(cx, o, "futex_wake")
        woken = 0
        q = self.queued[o.oid]
        for actor in sorted(q):
            if woken >= nr:
                break
            if q[actor][0] == uaddr[0]:
                del q[actor]
                woken += 1
                self.core.wrote(cx, o, "chain", f"-{self.core.names[actor]}")
                if self.core.frames[actor].waiting is not None:
                    self.core.wake(actor)
        return woken
