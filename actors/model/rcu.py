"""RCU: per-actor read-side nesting, call_rcu, synchronize_rcu, and the grace-period actor's
steps.

A grace period that starts at step t ends once every actor that was inside a read-side section
at t has left it; callbacks queued before the start run at the end (kernel-scenarios.md 1.8).
GP start and end are steps of the RCU actor, so *when* a grace period ends is a scheduling
choice like any other. With ``ModelOptions.rcu_eager`` every grace period instead ends at the
earliest legal moment.
"""

from __future__ import annotations

from typing import Any

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from actors.model.options import ModelOptions
from actors.objects import RCU_PENDING, Ref
from emulator.engine import facts as F
from emulator.engine.violations import Violation


class Rcu:
    def __init__(self, core: Core, locks: Locks, options: ModelOptions) -> None:
        self.core = core
        self.locks = locks
        self.rcu_cbs: list[int] = []  # objects to free after the next grace period
        self.rcu_sync: list[int] = []  # actors in synchronize_rcu
        self.gp_cbs: list[int] = []
        self.gp_sync: list[int] = []
        self.gp_readers: list[int] = []
        self.gp_actor: int | None = None
        self.gp_sleeping = False
        self.gp_waiting = False
        # Eager mode entries: (readers, object, waiter).
        self.rcu_eager = options.rcu_eager
        self.eager: list[tuple[list[int], int, int]] = []

    def _kick_gp(self) -> None:
        if self.gp_actor is not None and self.gp_sleeping:
            self.gp_sleeping = False
            self.core.wake(self.gp_actor)

    @op
    def rcu_read_lock(self, cx: Step) -> None:
        fr = self.core.frames[cx.actor]
        if fr.rcu == 0:
            fr.rcu_label = cx.label
            fr.rcu_step = cx.step
        fr.rcu += 1
        if self.core.facts_on:
            self.core.fact(F.RCU_LOCK, value=fr.rcu)

    @op
    def rcu_read_unlock(self, cx: Step) -> None:
        actor = cx.actor
        fr = self.core.frames[actor]
        if fr.rcu == 0:
            raise Violation(
                "INV-RCU-2", f"unbalanced RCU: rcu_read_unlock by {fr.name} at nesting 0"
            )
        fr.rcu -= 1
        if self.core.facts_on:
            self.core.fact(F.RCU_UNLOCK, value=fr.rcu)
        if fr.rcu == 0 and self.eager:
            self._eager_reader_left(cx)
        if fr.rcu == 0 and actor in self.gp_readers:
            self.gp_readers.remove(actor)
            if not self.gp_readers and self.gp_waiting:
                self.gp_waiting = False
                assert self.gp_actor is not None
                self.core.wake(self.gp_actor)

    @op
    def call_rcu(self, cx: Step, ref: Ref) -> None:
        o = self.core.deref(cx, ref)
        o.state = RCU_PENDING
        o.freed_step = cx.step
        self.core.wrote(cx, o, "(call_rcu)", "RCU_PENDING")
        if self.rcu_eager:
            self._eager_queue(cx, o.oid, -1)
            return
        self.rcu_cbs.append(o.oid)
        self._kick_gp()

    @op
    def synchronize_rcu(self, cx: Step) -> Any:
        if cx.resumed:
            return None
        self.locks.sleeps(cx, "synchronize_rcu")
        if self.rcu_eager:
            if self._eager_queue(cx, -1, cx.actor):
                return None
            return self.core.park(cx, "synchronize_rcu", None)
        self.rcu_sync.append(cx.actor)
        self._kick_gp()
        return self.core.park(cx, "synchronize_rcu", None)

    # -- eager grace periods ---------------------------------------------------------------

    def _eager_queue(self, cx: Step, oid: int, waiter: int) -> bool:
        """Queue a callback or a synchronize_rcu; True if its grace period already ended."""
        readers = [i for i, fr in enumerate(self.core.frames) if fr.rcu > 0]
        if not readers:
            self._eager_complete(cx, oid, waiter)
            return True
        self.eager.append((readers, oid, waiter))
        return False

    def _eager_reader_left(self, cx: Step) -> None:
        still = []
        for readers, oid, waiter in self.eager:
            if cx.actor in readers:
                readers.remove(cx.actor)
            if readers:
                still.append((readers, oid, waiter))
            else:
                self._eager_complete(cx, oid, waiter)
        self.eager = still

    def _eager_complete(self, cx: Step, oid: int, waiter: int) -> None:
        core = self.core
        if oid >= 0:
            core.gp_free(cx, core.objs[oid])
        if waiter >= 0 and core.frames[waiter].waiting is not None:
            core.wake(waiter)

    # -- the grace-period actor's steps -----------------------------------------------------

    @op
    def gp_idle(self, cx: Step) -> Any:
        self.gp_actor = cx.actor
        if self.rcu_cbs or self.rcu_sync:
            return None
        self.gp_sleeping = True
        return self.core.park(cx, "no RCU work", None, idle=True)

    @op
    def gp_start(self, cx: Step) -> int:
        self.gp_cbs, self.rcu_cbs = self.rcu_cbs, []
        self.gp_sync, self.rcu_sync = self.rcu_sync, []
        self.gp_readers = [i for i, fr in enumerate(self.core.frames) if fr.rcu > 0]
        return len(self.gp_readers)

    @op
    def gp_wait(self, cx: Step) -> Any:
        if not self.gp_readers:
            return None
        self.gp_waiting = True
        first = self.gp_readers[0]
        return self.core.park(cx, f"grace period (reader {self.core.names[first]})", None)

    @op
    def gp_end(self, cx: Step) -> int:
        for oid in self.gp_cbs:
            self.core.gp_free(cx, self.core.objs[oid])
        for a in self.gp_sync:
            self.core.wake(a)
        n = len(self.gp_cbs)
        self.gp_cbs = []
        self.gp_sync = []
        return n
