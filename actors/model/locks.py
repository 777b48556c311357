"""Page lock, mutexes and spinlocks, with owner records the kernel itself does not keep.

The page lock's wait queue follows one of the policies of kernel-scenarios.md 1.9:
  P-OLD      wake the first exclusive waiter; it races for the bit again and re-queues at the
             tail if it loses (4.10 - 5.8);
  P-FAIR     the waker takes the lock on behalf of the first exclusive waiter (2a9127fcf229);
  P-UNFAIR-N the first N rounds race like P-OLD, then the lock is handed over (5ef64cc8987a).
Mutexes follow ``ModelOptions.mutex_policy``: "no-handoff" (2.6.39 - 4.9) wakes the first
waiter, which must win the lock again (a trylock or a new mutex_lock may take it first; the
loser keeps its place at the head of the queue), "handoff" gives it to the first waiter.
Spinlocks (ticket locks, FIFO) park a contending actor (equivalent to spinning for
interleavings, without burning steps), are handed over in order and count for the wait-for
graph.

Killable and shared page waits, PG_writeback and fatal signals are actors/model/waits.py's;
reader/writer semaphores are actors/model/rwsem.py's (both use this lock table).

Whoever must know when a mutex is released (anon_vma's INV-AV-1 bookkeeping) registers
``mutex_hooks``: ``before(actor, oid)`` and ``after(oid)`` run around every mutex_unlock, the
one through a pointer field included (for the object the field was read from, and for the lock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from actors.model.core import Core, LockKey, Step
from actors.model.ops import op
from actors.model.options import ModelOptions
from actors.objects import Ref
from emulator.engine import facts as F
from emulator.engine.runtime import WaitInfo
from emulator.engine.violations import Violation

IO_OWNER = -2  # the owner of a page locked for IO: whoever completes the IO unlocks it


@dataclass
class Lock:
    kind: str  # "page", "mutex", "spin"
    owner: int | None = None  # actor index; IO_OWNER for pages locked for IO
    step: int = 0
    label: str = ""
    waiters: list[int] = field(default_factory=list)
    shared: list[int] = field(default_factory=list)  # wait_on_page_locked: woken, not handed
    readers: list[int] = field(default_factory=list)  # rwsem: the actors holding it for read
    writers: list[int] = field(default_factory=list)  # rwsem: the waiters that want to write


class Locks:
    def __init__(self, core: Core, options: ModelOptions) -> None:
        self.core = core
        self.policy = options.page_lock_policy
        self.unfair_rounds = options.unfair_rounds
        self.mutex_handoff = options.mutex_policy == "handoff"
        self.options = options  # the waits' and rwsems' era forms read it too
        self.locks: dict[LockKey, Lock] = {}
        self.io_actor: int | None = None
        self._rounds: dict[tuple[int, LockKey], int] = {}
        self.woken: set[int] = set()  # woken by a page wait queue since their last wait began
        self.mutex_hooks: list[tuple[Callable[[int, int], None], Callable[[int], None]]] = []

    def bind(self) -> None:
        if "IO" in self.core.names:
            self.io_actor = self.core.names.index("IO")

    # -- shared mechanics --------------------------------------------------------------------

    def lock(self, key: LockKey, kind: str) -> Lock:
        lk = self.locks.get(key)
        if lk is None:
            lk = self.locks[key] = Lock(kind)
        return lk

    def take(self, cx: Step, key: LockKey, lk: Lock, actor: int | None = None) -> None:
        """``actor`` (default: the caller) becomes the owner."""
        core = self.core
        who = cx.actor if actor is None else actor
        lk.owner = who
        lk.step = cx.step
        lk.label = cx.label
        core.frames[who].held[key] = (cx.step, cx.label)
        if key[1] == "PG_locked":
            o = core.objs[key[0]]
            o.f["locked"] = 1
            core.wrote(cx, o, "PG_locked", 1)
        if core.facts_on:
            core.fact(F.LOCK, core.objs.get(key[0]), key[1], other=who)

    def release(self, cx: Step, key: LockKey, lk: Lock) -> None:
        core = self.core
        actor = cx.actor
        if lk.owner is None or (
            lk.owner != actor and not (lk.owner == IO_OWNER and actor == self.io_actor)
        ):
            holder = (
                "nobody"
                if lk.owner is None
                else ("IO" if lk.owner == IO_OWNER else core.names[lk.owner])
            )
            debug = (
                " [CONFIG_DEBUG_MUTEXES: DEBUG_LOCKS_WARN_ON(lock->owner != current); without it "
                "the unlock releases the lock anyway]"
                if lk.kind == "mutex"
                else ""
            )
            raise Violation(
                "INV-LOCK-1",
                f"unlock of {core.lock_name(key)} not held by {core.names[actor]} "
                f"(held by {holder}){debug}",
            )
        if lk.owner >= 0:
            core.frames[lk.owner].held.pop(key, None)
        lk.owner = None
        if key[1] == "PG_locked":
            o = core.objs[key[0]]
            o.f["locked"] = 0
            core.wrote(cx, o, "PG_locked", 0)
        if core.facts_on:
            core.fact(F.UNLOCK, core.objs.get(key[0]), key[1])

    def _handoff(self, cx: Step, key: LockKey, lk: Lock) -> None:
        if lk.waiters:
            w = lk.waiters.pop(0)
            self.take(cx, key, lk, w)
            if self.core.frames[w].waiting is not None:  # not already woken by its signal
                self.core.wake(w)

    def park(self, cx: Step, lk: Lock, what: str, key: LockKey) -> Any:
        lk.waiters.append(cx.actor)
        core = self.core
        if core.facts_on:
            core.fact(
                F.WAIT, core.objs.get(key[0]), key[1], other=-1 if lk.owner is None else lk.owner
            )
        return core.park(cx, what, key)

    def holds(self, actor: int, key: LockKey) -> bool:
        if key in self.core.frames[actor].held:
            return True
        lk = self.locks.get(key)  # the IO actor acts for a page locked for IO
        return lk is not None and lk.owner == IO_OWNER and actor == self.io_actor

    def sleeps(self, cx: Step, what: str) -> None:
        """A primitive that may sleep: forbidden inside RCU read-side sections (INV-RCU-1)."""
        fr = self.core.frames[cx.actor]
        if fr.rcu:
            raise Violation(
                "INV-RCU-1",
                f"sleeping primitive {what} inside RCU read-side section opened at {fr.rcu_label}",
            )
        for key in fr.held:
            lk = self.locks[key]
            if lk.kind == "spin":
                raise Violation(
                    "INV-RCU-1",
                    f"sleeping primitive {what} while holding spinlock {self.core.lock_name(key)}",
                )

    def wait_info(self, actor: int) -> WaitInfo:
        core = self.core
        w = core.frames[actor].waiting
        if w is None:
            return WaitInfo("nothing", None)
        what, key, idle = w
        owner = None
        if key is not None:
            lk = self.locks.get(key)
            if lk is not None and lk.owner is None and lk.readers:
                owner = lk.readers[0]
                what = f"{what} (held for read by {core.names[owner]})"
            elif lk is not None and lk.owner is not None:
                owner = self.io_actor if lk.owner == IO_OWNER else lk.owner
                if lk.owner >= 0:
                    step, lab = core.frames[lk.owner].held.get(key, (lk.step, lk.label))
                    what = f"{what} (held by {core.names[lk.owner]} since {lab}, step {step})"
        return WaitInfo(what, owner, idle)

    # -- page lock ---------------------------------------------------------------------------

    @staticmethod
    def page_key(ref: Ref) -> LockKey:
        return (ref[0], "PG_locked")

    def owner(self, key: LockKey) -> int | None:
        lk = self.locks.get(key)
        return None if lk is None else lk.owner

    def hand_to_io(self, cx: Step, key: LockKey) -> None:
        """The caller's lock now belongs to the IO in flight (swap_writepage)."""
        self.core.frames[cx.actor].held.pop(key)
        self.locks[key].owner = IO_OWNER

    @op
    def page_lock_to_io(self, cx: Step, page: Ref) -> None:
        """submit_bio of a read (or write) with the page locked: the lock now belongs to the IO
        in flight, and the IO actor's completion (end_page_read: SetPageUptodate or not, then
        unlock_page) releases it."""
        self.core.deref(cx, page)
        key = self.page_key(page)
        if not self.holds(cx.actor, key):
            raise Violation("INV-LOCK-1", f"IO submitted on page #{page[0]} not locked by caller")
        self.hand_to_io(cx, key)

    def lock_page_for_io(self, page_oid: int) -> None:
        """Setup helper: the page is locked with IO in flight; the IO actor will unlock it."""
        key = (page_oid, "PG_locked")
        lk = self.lock(key, "page")
        lk.owner = IO_OWNER
        self.core.objs[page_oid].f["locked"] = 1

    @op
    def trylock_page(self, cx: Step, page: Ref) -> bool:
        self.core.deref(cx, page)
        key = self.page_key(page)
        lk = self.lock(key, "page")
        if lk.owner is not None:
            return False
        self.take(cx, key, lk)
        return True

    @op
    def lock_page(self, cx: Step, page: Ref) -> Any:
        o = self.core.deref(cx, page)
        key = self.page_key(page)
        lk = self.lock(key, "page")
        if not cx.resumed:
            self.sleeps(cx, "lock_page")
        elif lk.owner == cx.actor:  # handed over by the waker (P-FAIR, or P-UNFAIR after N)
            return None
        if lk.owner is None:
            self.acquire(cx, key, lk)
            return None
        # at the tail: P-OLD's unfairness
        return self.park(cx, lk, f"lock_page({o.name()})", key)

    @op
    def unlock_page(self, cx: Step, page: Ref) -> None:
        self.core.deref(cx, page)
        key = self.page_key(page)
        lk = self.lock(key, "page")
        self.release(cx, key, lk)
        while lk.shared:  # wake_up_page: the non-exclusive waiters all wake
            self.wake_queued(lk.shared.pop(0))
        self.wake_exclusive(cx, key, lk)

    def wake_exclusive(self, cx: Step, key: LockKey, lk: Lock) -> None:
        """The exclusive wake-up of a page lock just released (unlock_page, or a killed
        waiter's abort_exclusive_wait), by the policy."""
        if not lk.waiters:
            return
        policy = self.policy
        if policy == "P-OLD":
            # __wake_up_bit reaches the first waiter still asleep: try_to_wake_up fails on one a
            # fatal signal already woke, which stays queued until it runs (3.0.1
            # kernel/wait.c:163 autoremove_wake_function), and the next one is woken instead.
            asleep = [x for x in lk.waiters if self.core.frames[x].waiting is not None]
            if not asleep:
                return
            w = asleep[0]
        else:
            w = lk.waiters[0]
        rounds = self._rounds.get((w, key), 0) + 1
        self._rounds[(w, key)] = rounds
        if policy == "P-FAIR" or (policy == "P-UNFAIR" and rounds > self.unfair_rounds):
            self._rounds.pop((w, key), None)
            self._handoff(cx, key, lk)
        else:
            lk.waiters.remove(w)
            self.wake_queued(w)  # it will race for the bit on its resume step

    def wake_queued(self, actor: int) -> None:
        """A wake-up from a page's wait queue: noted (a killable waiter tells it from its
        signal's on resume: 5.9.1 WQ_FLAG_WOKEN, 3.0.1 abort_exclusive_wait's list_empty), and
        not repeated for an actor its signal already woke."""
        self.woken.add(actor)
        if self.core.frames[actor].waiting is not None:
            self.core.wake(actor)

    def acquire(self, cx: Step, key: LockKey, lk: Lock) -> None:
        """The caller takes the free page lock; its unfair rounds start again."""
        self.take(cx, key, lk)
        self._rounds.pop((cx.actor, key), None)

    @op
    def page_locked(self, cx: Step, page: Ref) -> bool:
        return bool(self.core.deref(cx, page).f["locked"])

    # -- mutexes (embedded in an object, field "lock") ---------------------------------------

    @staticmethod
    def mutex_key(ref: Ref) -> LockKey:
        return (ref[0], "lock")

    @op
    def mutex_trylock(self, cx: Step, ref: Ref) -> bool:
        self.core.deref(cx, ref)
        key = self.mutex_key(ref)
        lk = self.lock(key, "mutex")
        if lk.owner is not None:
            return False
        self.take(cx, key, lk)
        return True

    @op
    def mutex_lock(self, cx: Step, ref: Ref) -> Any:
        o = self.core.deref(cx, ref)
        key = self.mutex_key(ref)
        lk = self.lock(key, "mutex")
        if cx.resumed:
            if lk.owner == cx.actor:
                return None  # handed over by mutex_unlock
            # no-handoff: woken, the waiter tries atomic_xchg(&lock->count, -1) again
            if lk.owner is None:
                self.take(cx, key, lk)
                return None
            lk.waiters.insert(0, cx.actor)  # it never left the head of the wait list
            return self.core.park(cx, f"mutex_lock({o.name()}.lock)", key)
        self.sleeps(cx, "mutex_lock")
        if lk.owner is None:
            self.take(cx, key, lk)
            return None
        return self.park(cx, lk, f"mutex_lock({o.name()}.lock)", key)

    @op
    def mutex_unlock(self, cx: Step, ref: Ref) -> None:
        for before, _after in self.mutex_hooks:
            before(cx.actor, ref[0])
        self.core.deref(cx, ref)
        key = self.mutex_key(ref)
        lk = self.lock(key, "mutex")
        self.release(cx, key, lk)
        if self.mutex_handoff:
            self._handoff(cx, key, lk)
        elif lk.waiters:
            # __mutex_unlock_slowpath: count := 1, wake_up_process(first waiter); the lock is
            # free until somebody takes it.
            self.core.wake(lk.waiters.pop(0))
        for _before, after in self.mutex_hooks:
            after(ref[0])

    @op
    def mutex_is_locked(self, cx: Step, ref: Ref) -> bool:
        self.core.deref(cx, ref)
        lk = self.locks.get(self.mutex_key(ref))
        return lk is not None and lk.owner is not None

    # -- spinlocks (pte lock, tree lock, i_lock ...) ----------------------------------------

    @op
    def spin_lock(self, cx: Step, ref: Ref, name: str) -> Any:
        o = self.core.deref(cx, ref)
        key = (ref[0], name)
        lk = self.lock(key, "spin")
        if cx.resumed:
            return None
        if lk.owner is None:
            self.take(cx, key, lk)
            return None
        return self.park(cx, lk, f"spin_lock({o.name()}.{name})", key)

    @op
    def spin_unlock(self, cx: Step, ref: Ref, name: str) -> None:
        self.core.deref(cx, ref)
        key = (ref[0], name)
        lk = self.lock(key, "spin")
        self.release(cx, key, lk)
        self._handoff(cx, key, lk)

    # -- reader/writer semaphores (mmap_sem; field ``name`` of an object) ------------------------

    def rwsem_write_held(self, actor: int, ref: Ref, name: str = "mmap_sem") -> bool:
        lk = self.locks.get((ref[0], name))
        return lk is not None and lk.owner == actor
