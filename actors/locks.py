"""Page lock, mutexes and spinlocks, with owner records the kernel itself does not keep.

The page lock's wait queue follows one of the policies of kernel-scenarios.md 1.9:
  P-OLD      wake the first exclusive waiter; it races for the bit again and re-queues at the
             tail if it loses (4.10 - 5.8);
  P-FAIR     the waker takes the lock on behalf of the first exclusive waiter (2a9127fcf229);
  P-UNFAIR-N the first N rounds race like P-OLD, then the lock is handed over (5ef64cc8987a).
Mutexes hand over to their first waiter. Spinlocks park a contending actor (equivalent to
spinning for interleavings, without burning steps) and count for the wait-for graph.
"""

from __future__ import annotations

from typing import Any

from actors.state import IO_OWNER, KernelState, Lock, LockKey, Ref
from emulator.engine.violations import Violation

POLICIES = ("P-OLD", "P-FAIR", "P-UNFAIR")


class LocksMixin(KernelState):
    page_lock_policy = "P-FAIR"
    unfair_rounds = 5

    def __init__(self) -> None:
        super().__init__()
        self._rounds: dict[tuple[int, LockKey], int] = {}
        self._via_parked: dict[int, Ref] = {}

    # -- shared mechanics --------------------------------------------------------------------

    def _lock(self, key: LockKey, kind: str) -> Lock:
        lk = self.locks.get(key)
        if lk is None:
            lk = self.locks[key] = Lock(kind)
        return lk

    def _take(self, actor: int, key: LockKey, lk: Lock) -> None:
        lk.owner = actor
        lk.step = self.step
        lk.label = self._label
        self.frames[actor].held[key] = (self.step, self._label)
        if key[1] == "PG_locked":
            o = self.objs[key[0]]
            o.f["locked"] = 1
            self.wrote(o, "PG_locked", 1)

    def _release(self, actor: int, key: LockKey, lk: Lock) -> None:
        if lk.owner is None or (
            lk.owner != actor and not (lk.owner == IO_OWNER and actor == self.io_actor)
        ):
            holder = (
                "nobody"
                if lk.owner is None
                else ("IO" if lk.owner == IO_OWNER else self.names[lk.owner])
            )
            raise Violation(
                "INV-LOCK-1",
                f"unlock of {self.lock_name(key)} not held by {self.names[actor]} "
                f"(held by {holder})",
            )
        if lk.owner >= 0:
            self.frames[lk.owner].held.pop(key, None)
        lk.owner = None
        if key[1] == "PG_locked":
            o = self.objs[key[0]]
            o.f["locked"] = 0
            self.wrote(o, "PG_locked", 0)

    def _handoff(self, key: LockKey, lk: Lock) -> None:
        if lk.waiters:
            w = lk.waiters.pop(0)
            self._take(w, key, lk)
            self.wake(w)

    # -- page lock ---------------------------------------------------------------------------

    def page_key(self, ref: Ref) -> LockKey:
        return (ref[0], "PG_locked")

    def op_trylock_page(self, actor: int, page: Ref) -> bool:
        self.deref(actor, page)
        key = self.page_key(page)
        lk = self._lock(key, "page")
        if lk.owner is not None:
            return False
        self._take(actor, key, lk)
        return True

    def op_lock_page(self, actor: int, page: Ref) -> Any:
        o = self.deref(actor, page)
        key = self.page_key(page)
        lk = self._lock(key, "page")
        if not self._resumed:
            self.sleeps(actor, "lock_page")
        elif lk.owner == actor:  # handed over by the waker (P-FAIR, or P-UNFAIR after N rounds)
            return None
        if lk.owner is None:
            self._take(actor, key, lk)
            self._rounds.pop((actor, key), None)
            return None
        lk.waiters.append(actor)  # at the tail: P-OLD's unfairness
        return self.park(actor, f"lock_page({o.name()})", key)

    def op_unlock_page(self, actor: int, page: Ref) -> None:
        self.deref(actor, page)
        key = self.page_key(page)
        lk = self._lock(key, "page")
        self._release(actor, key, lk)
        if not lk.waiters:
            return
        policy = self.page_lock_policy
        w = lk.waiters[0]
        rounds = self._rounds.get((w, key), 0) + 1
        self._rounds[(w, key)] = rounds
        if policy == "P-FAIR" or (policy == "P-UNFAIR" and rounds > self.unfair_rounds):
            self._rounds.pop((w, key), None)
            self._handoff(key, lk)
        else:
            lk.waiters.pop(0)
            self.wake(w)  # it will race for the bit on its resume step

    def op_page_locked(self, actor: int, page: Ref) -> bool:
        return bool(self.deref(actor, page).f["locked"])

    def lock_page_for_io(self, page_oid: int) -> None:
        """Setup helper: the page is locked with IO in flight; the IO actor will unlock it."""
        key = (page_oid, "PG_locked")
        lk = self._lock(key, "page")
        lk.owner = IO_OWNER
        self.objs[page_oid].f["locked"] = 1

    # -- mutexes (embedded in an object, field "lock") ---------------------------------------

    def mutex_key(self, ref: Ref) -> LockKey:
        return (ref[0], "lock")

    def op_mutex_trylock(self, actor: int, ref: Ref) -> bool:
        self.deref(actor, ref)
        key = self.mutex_key(ref)
        lk = self._lock(key, "mutex")
        if lk.owner is not None:
            return False
        self._take(actor, key, lk)
        return True

    def op_mutex_lock(self, actor: int, ref: Ref) -> Any:
        o = self.deref(actor, ref)
        key = self.mutex_key(ref)
        lk = self._lock(key, "mutex")
        if self._resumed:
            return None  # handed over by mutex_unlock
        self.sleeps(actor, "mutex_lock")
        if lk.owner is None:
            self._take(actor, key, lk)
            return None
        lk.waiters.append(actor)
        return self.park(actor, f"mutex_lock({o.name()}.lock)", key)

    def op_mutex_unlock(self, actor: int, ref: Ref) -> None:
        self.deref(actor, ref)
        key = self.mutex_key(ref)
        lk = self._lock(key, "mutex")
        self._release(actor, key, lk)
        self._handoff(key, lk)

    def op_mutex_is_locked(self, actor: int, ref: Ref) -> bool:
        self.deref(actor, ref)
        lk = self.locks.get(self.mutex_key(ref))
        return lk is not None and lk.owner is not None

    # -- spinlocks (pte lock, tree lock, i_lock ...) ----------------------------------------

    def op_spin_lock(self, actor: int, ref: Ref, name: str) -> Any:
        o = self.deref(actor, ref)
        key = (ref[0], name)
        lk = self._lock(key, "spin")
        if self._resumed:
            return None
        if lk.owner is None:
            self._take(actor, key, lk)
            return None
        lk.waiters.append(actor)
        return self.park(actor, f"spin_lock({o.name()}.{name})", key)

    def op_spin_unlock(self, actor: int, ref: Ref, name: str) -> None:
        self.deref(actor, ref)
        key = (ref[0], name)
        lk = self._lock(key, "spin")
        self._release(actor, key, lk)
        self._handoff(key, lk)

    # -- locks reached through a pointer field: mutex_lock(&av->root->mutex) ---------------
    # The pointer is re-read at every call, exactly like the kernel expression; whoever re-reads
    # it after the object was recycled gets the new owner's root (003a).

    def _via(self, actor: int, ref: Ref, fld: str) -> Ref:
        o = self.deref(actor, ref)
        t = o.f[fld]
        return (t, self.objs[t].gen)

    def op_mutex_trylock_via(self, actor: int, ref: Ref, fld: str) -> tuple[bool, Ref]:
        target = self._via(actor, ref, fld)
        return (self.op_mutex_trylock(actor, target), target)

    def op_mutex_lock_via(self, actor: int, ref: Ref, fld: str) -> Any:
        if self._resumed:
            target = self._via_parked.pop(actor)
            self.op_mutex_lock(actor, target)
            return target
        target = self._via(actor, ref, fld)
        r = self.op_mutex_lock(actor, target)
        if r is not None:  # parked: remember which lock, the pointer may change meanwhile
            self._via_parked[actor] = target
            return r
        return target

    def op_mutex_unlock_via(self, actor: int, ref: Ref, fld: str) -> Ref:
        target = self._via(actor, ref, fld)
        self.op_mutex_unlock(actor, target)
        return target

    def op_mutex_is_locked_via(self, actor: int, ref: Ref, fld: str) -> bool:
        return self.op_mutex_is_locked(actor, self._via(actor, ref, fld))
