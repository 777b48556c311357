"""RCU: per-actor read-side nesting, call_rcu, synchronize_rcu, and the grace-period actor.

A grace period that starts at step t ends once every actor that was inside a read-side section
at t has left it; callbacks queued before the start run at the end (kernel-scenarios.md 1.8).
GP start and end are steps of the RCU actor, so *when* a grace period ends is a scheduling
choice like any other.
"""

from __future__ import annotations

from typing import Any

from actors.objects import FREE, RCU_PENDING
from actors.state import KernelState, Ref
from emulator.engine.runtime import Port
from emulator.engine.violations import Violation

RCU_ACTOR = "RCU"


class RcuMixin(KernelState):
    def __init__(self) -> None:
        super().__init__()
        self.rcu_cbs: list[int] = []  # objects to free after the next grace period
        self.rcu_sync: list[int] = []  # actors in synchronize_rcu
        self.gp_cbs: list[int] = []
        self.gp_sync: list[int] = []
        self.gp_readers: list[int] = []
        self.gp_actor: int | None = None
        self.gp_idle = False
        self.gp_waiting = False
        # Eager mode: every grace period ends at the earliest legal moment, i.e. as soon as the
        # last reader that predates the call_rcu / synchronize_rcu leaves (the most hostile
        # legal RCU for code that trusts a stale pointer). Entries: (readers, object, waiter).
        self.rcu_eager = False
        self.eager: list[tuple[list[int], int, int]] = []

    def _kick_gp(self) -> None:
        if self.gp_actor is not None and self.gp_idle:
            self.gp_idle = False
            self.wake(self.gp_actor)

    def op_rcu_read_lock(self, actor: int) -> None:
        fr = self.frames[actor]
        if fr.rcu == 0:
            fr.rcu_label = self._label
        fr.rcu += 1

    def op_rcu_read_unlock(self, actor: int) -> None:
        fr = self.frames[actor]
        if fr.rcu == 0:
            raise Violation(
                "INV-RCU-2", f"unbalanced RCU: rcu_read_unlock by {fr.name} at nesting 0"
            )
        fr.rcu -= 1
        if fr.rcu == 0 and self.eager:
            self._eager_reader_left(actor)
        if fr.rcu == 0 and actor in self.gp_readers:
            self.gp_readers.remove(actor)
            if not self.gp_readers and self.gp_waiting:
                self.gp_waiting = False
                assert self.gp_actor is not None
                self.wake(self.gp_actor)

    def op_call_rcu(self, actor: int, ref: Ref) -> None:
        o = self.deref(actor, ref)
        o.state = RCU_PENDING
        o.freed_step = self.step
        self.wrote(o, "(call_rcu)", "RCU_PENDING")
        if self.rcu_eager:
            self._eager_queue(o.oid, -1)
            return
        self.rcu_cbs.append(o.oid)
        self._kick_gp()

    def op_synchronize_rcu(self, actor: int) -> Any:
        if self._resumed:
            return None
        self.sleeps(actor, "synchronize_rcu")
        if self.rcu_eager:
            if self._eager_queue(-1, actor):
                return None
            return self.park(actor, "synchronize_rcu", None)
        self.rcu_sync.append(actor)
        self._kick_gp()
        return self.park(actor, "synchronize_rcu", None)

    # -- eager grace periods ---------------------------------------------------------------

    def _eager_queue(self, oid: int, waiter: int) -> bool:
        """Queue a callback or a synchronize_rcu; True if its grace period already ended."""
        readers = [i for i, fr in enumerate(self.frames) if fr.rcu > 0]
        if not readers:
            self._eager_complete(oid, waiter)
            return True
        self.eager.append((readers, oid, waiter))
        return False

    def _eager_reader_left(self, actor: int) -> None:
        still = []
        for readers, oid, waiter in self.eager:
            if actor in readers:
                readers.remove(actor)
            if readers:
                still.append((readers, oid, waiter))
            else:
                self._eager_complete(oid, waiter)
        self.eager = still

    def _eager_complete(self, oid: int, waiter: int) -> None:
        if oid >= 0:
            o = self.objs[oid]
            o.state = FREE
            o.gp_end_step = self.step
            self.free_lists.setdefault(o.kind, []).append(oid)
            self.wrote(o, "(gp end)", "FREE")
        if waiter >= 0 and self.frames[waiter].waiting is not None:
            self.wake(waiter)

    # -- the grace-period actor's steps -----------------------------------------------------

    def op_gp_idle(self, actor: int) -> Any:
        self.gp_actor = actor
        if self.rcu_cbs or self.rcu_sync:
            return None
        self.gp_idle = True
        return self.park(actor, "no RCU work", None, idle=True)

    def op_gp_start(self, actor: int) -> int:
        self.gp_cbs, self.rcu_cbs = self.rcu_cbs, []
        self.gp_sync, self.rcu_sync = self.rcu_sync, []
        self.gp_readers = [i for i, fr in enumerate(self.frames) if fr.rcu > 0]
        return len(self.gp_readers)

    def op_gp_wait(self, actor: int) -> Any:
        if not self.gp_readers:
            return None
        self.gp_waiting = True
        first = self.gp_readers[0]
        return self.park(actor, f"grace period (reader {self.names[first]})", None)

    def op_gp_end(self, actor: int) -> int:
        step = self.step
        for oid in self.gp_cbs:
            o = self.objs[oid]
            o.state = FREE
            o.gp_end_step = step
            self.free_lists.setdefault(o.kind, []).append(oid)
            self.wrote(o, "(gp end)", "FREE")
        for a in self.gp_sync:
            self.wake(a)
        n = len(self.gp_cbs)
        self.gp_cbs = []
        self.gp_sync = []
        return n


async def rcu_gp_actor(port: Port) -> None:
    """The grace-period machinery: wait for work, start a GP, wait for readers, end it."""
    while True:
        await port.call("gp_idle", "RCU0")
        await port.call("gp_start", "RCU1")
        await port.call("gp_wait", "RCU2")
        await port.call("gp_end", "RCU3")
