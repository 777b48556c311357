"""The generic model: threads, pthread-style mutexes and condition variables, shared variables.

It owns all state of one run of a :class:`~actors.generic.program.Program` and applies each
request atomically, like the page-cache model does for kernel code. Every object is named by a
string and created on first use. Threads are pre-allocated actors: actor 0 is ``main``; the others
park as *unborn* (an idle wait, never a lost wake-up) until a ``spawn`` hands them a function.

Semantics kept on purpose (they decide which interleavings exist):

- ``unlock`` makes EVERY waiter runnable; the woken waiters race for the mutex again, and the
  unlocker may retake it first. Relocking one's own mutex parks for ever (a NORMAL mutex): a
  wait-for self-edge, reported by the engine as INV-DL-1.
- ``wait`` releases the mutex and parks in one step; after a ``signal`` (which waiter wakes is a
  recorded choice, 0 = the oldest) or a ``broadcast`` the same request re-acquires the mutex as a
  resumed step. No spurious wake-ups.
- A thread may exit holding a mutex (pthread allows it); a waiter on that mutex then names the
  exited owner in its wait description.
- After ``exit_process`` every further request of any thread is answered with :data:`EXITED`,
  which ends that thread's program quietly; a parked ``main`` is woken to receive it.

The records it keeps are in ``state.py``; what the engine and the reports read about them
(footprints, descriptions, waits, the end state) in ``views.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from actors.generic import views
from actors.generic.state import (
    DONE,
    EXITED,
    LIVE,
    MAIN,
    UNBORN,
    Final,
    MutexState,
    ThreadState,
)
from emulator.engine.footprint import Access
from emulator.engine.runtime import PARKED, Control, WaitInfo
from emulator.engine.violations import Violation

__all__ = ["EXITED", "Final", "GenericModel"]


class GenericModel:
    """Model protocol implementation (see ``emulator.engine.runtime.Model``)."""

    def __init__(self, shared: Mapping[str, Any], final: Sequence[Final] = ()) -> None:
        self.vars: dict[str, Any] = dict(shared)
        self.final = tuple(final)
        self.mutexes: dict[str, MutexState] = {}
        self.conds: dict[str, list[int]] = {}
        self.exited = False
        self.exit_status: int | None = None
        self.threads: list[ThreadState] = []
        self._label = ""
        self._ops: dict[str, Callable[..., Any]] = {
            "start": self.op_start,
            "spawn": self.op_spawn,
            "join": self.op_join,
            "exit_process": self.op_exit_process,
            "lock": self.op_lock,
            "trylock": self.op_trylock,
            "unlock": self.op_unlock,
            "wait": self.op_wait,
            "signal": self.op_signal,
            "broadcast": self.op_broadcast,
            "yield": self.op_yield,
            "load": self.op_load,
            "store": self.op_store,
            "fetch_add": self.op_fetch_add,
            "cas": self.op_cas,
            "check": self.op_check,
        }

    # -- Model protocol --------------------------------------------------------------------

    def bind(self, control: Control, actor_names: Sequence[str]) -> None:
        self.ctl = control
        self.threads = [ThreadState(n) for n in actor_names]
        self.threads[MAIN].state = LIVE

    def apply(self, actor: int, op: str, label: str, args: tuple[Any, ...], resumed: bool) -> Any:
        if self.exited:
            return EXITED
        self._label = label
        self._resumed = resumed
        return self._ops[op](actor, *args)

    # -- footprints and enabledness (emulator/engine/footprint.py) -----------------------------

    blocking_ops = frozenset(("start", "join", "lock", "wait"))

    def footprint(self, actor: int, op: str, args: tuple[Any, ...]) -> tuple[Access, ...]:
        return views.footprint(op, args)

    def would_block(self, actor: int, op: str, args: tuple[Any, ...], resumed: bool) -> bool:
        if self.exited:
            return False
        if op == "lock":
            return self._mutex(args[0]).owner is not None
        if op == "wait":
            return resumed and self._mutex(args[1]).owner is not None
        if op == "join":
            for i, th in enumerate(self.threads):
                if th.name == args[0] and (i == MAIN or th.start is not None):
                    return th.state != DONE
            return False
        if op == "start":
            return self.threads[actor].start is None
        return False

    def wait_info(self, actor: int) -> WaitInfo:
        th = self.threads[actor]
        if th.wait is None:
            return WaitInfo("nothing", None)
        kind = th.wait[0]
        if kind == UNBORN:
            return WaitInfo("unborn thread (never spawned)", None, idle=True)
        return WaitInfo(self._what(actor, set()), self._owner(actor))

    def actor_exit(self, actor: int) -> None:
        th = self.threads[actor]
        th.state = DONE
        th.wait = None
        for j in th.joiners:
            self._wake(j)
        th.joiners.clear()
        # Mutexes it still holds stay held: pthread allows exiting with a lock held, and a
        # later waiter names the exited owner (see _what).

    def finish(self) -> None:
        view = MappingProxyType(self.vars)
        for f in self.final:
            if not f.cond(view):
                shown = ", ".join(f"{k}={v!r}" for k, v in self.vars.items())
                raise Violation("ASSERT", f"final check {f.label} failed: {f.message} ({shown})")

    def describe(self, op: str, args: tuple[Any, ...], result: Any) -> str:
        return views.describe(op, args, result)

    def snapshot(self) -> list[str]:
        """The state at the end of the run, for failure reports."""
        return views.snapshot(self.threads, self._mutex, self.mutexes, self.vars)

    # -- threads -------------------------------------------------------------------------------

    def op_start(self, actor: int) -> Any:
        th = self.threads[actor]
        if th.start is None:
            th.wait = (UNBORN, "", "")
            return PARKED
        th.wait = None
        return th.start

    def op_spawn(self, actor: int, name: str, key: int, args: tuple[Any, ...]) -> str:
        idx = self._free_slot(name)
        th = self.threads[idx]
        th.state = LIVE
        th.start = (key, args)
        if th.wait is not None:  # parked as unborn already
            self._wake(idx)
        return th.name

    def _free_slot(self, name: str) -> int:
        if name:
            for i, th in enumerate(self.threads):
                if th.name == name and i != MAIN:
                    if th.start is not None:
                        raise Violation("USAGE", f"spawn: thread {name} was already spawned")
                    return i
            raise Violation("USAGE", f"spawn: no thread named {name!r} in Program.threads")
        for i, th in enumerate(self.threads):
            if i != MAIN and th.start is None:
                return i
        raise Violation(
            "USAGE",
            f"spawn: all {len(self.threads)} threads are in use; raise Program.max_threads",
        )

    def op_join(self, actor: int, name: str) -> Any:
        t = self._thread(name, "join")
        if self.threads[t].state == DONE:
            self.threads[actor].wait = None
            return None
        if actor not in self.threads[t].joiners:
            self.threads[t].joiners.append(actor)
        self.threads[actor].wait = ("join", name, "")
        return PARKED

    def op_exit_process(self, actor: int, status: int) -> str:
        self.exited = True
        self.exit_status = status
        main = self.threads[MAIN]
        if actor != MAIN and main.state != DONE and main.wait is not None:
            self._wake(MAIN)  # main's parked request is answered EXITED: the run can end
        return EXITED

    def _thread(self, name: str, what: str) -> int:
        for i, th in enumerate(self.threads):
            if th.name == name and (i == MAIN or th.start is not None):
                return i
        raise Violation("USAGE", f"{what}: {name!r} is not a spawned thread")

    # -- mutexes -------------------------------------------------------------------------------

    def _mutex(self, m: str) -> MutexState:
        mx = self.mutexes.get(m)
        if mx is None:
            mx = self.mutexes[m] = MutexState()
        return mx

    def _take(self, actor: int, mx: MutexState) -> None:
        mx.owner = actor
        mx.label = self._label
        mx.step = self.ctl.steps
        self.threads[actor].wait = None

    def op_lock(self, actor: int, m: str) -> Any:
        mx = self._mutex(m)
        if mx.owner is None:
            self._take(actor, mx)
            return None
        mx.waiters.append(actor)
        self.threads[actor].wait = ("mutex", m, m)
        return PARKED

    def op_trylock(self, actor: int, m: str) -> bool:
        mx = self._mutex(m)
        if mx.owner is None:
            self._take(actor, mx)
            return True
        return False

    def op_unlock(self, actor: int, m: str) -> None:
        mx = self._mutex(m)
        self._release(actor, m, mx, "unlock")

    def _release(self, actor: int, m: str, mx: MutexState, what: str) -> None:
        if mx.owner != actor:
            who = "nobody" if mx.owner is None else self.threads[mx.owner].name
            raise Violation(
                "USAGE", f"{what} of mutex {m} by {self.threads[actor].name}, held by {who}"
            )
        mx.owner = None
        # Every waiter becomes runnable and races for the mutex again (re-parks if it loses).
        for w in mx.waiters:
            self._wake(w)
        mx.waiters.clear()

    # -- condition variables -------------------------------------------------------------------

    def op_wait(self, actor: int, cv: str, m: str) -> Any:
        if self._resumed:  # signalled (or the mutex was released): re-acquire it
            return self.op_lock(actor, m)
        self._release(actor, m, self._mutex(m), f"cond_wait({cv})")
        self.conds.setdefault(cv, []).append(actor)
        self.threads[actor].wait = ("cond", cv, m)
        return PARKED

    def op_signal(self, actor: int, cv: str) -> list[str]:
        q = self.conds.get(cv)
        if not q:
            return []
        w = q.pop(self.ctl.choose(len(q), "wake"))
        return [self._wake_waiter(w)]

    def op_broadcast(self, actor: int, cv: str) -> list[str]:
        q = self.conds.get(cv)
        if not q:
            return []
        woke = [self._wake_waiter(w) for w in q]
        q.clear()
        return woke

    def _wake_waiter(self, w: int) -> str:
        th = self.threads[w]
        assert th.wait is not None
        _, _cv, m = th.wait
        th.wait = ("mutex", m, m)  # woken; its resumed step re-acquires m
        self._wake(w)
        return th.name

    # -- shared variables and checks -----------------------------------------------------------

    def op_yield(self, actor: int) -> None:
        return None

    def op_load(self, actor: int, x: str) -> Any:
        return self.vars.setdefault(x, 0)

    def op_store(self, actor: int, x: str, v: Any) -> None:
        self.vars[x] = v

    def op_fetch_add(self, actor: int, x: str, d: int) -> Any:
        old = self.vars.setdefault(x, 0)
        self.vars[x] = old + d
        return old

    def op_cas(self, actor: int, x: str, expected: Any, new: Any) -> bool:
        if self.vars.setdefault(x, 0) != expected:
            return False
        self.vars[x] = new
        return True

    def op_check(self, actor: int, cond: bool, message: str) -> None:
        if not cond:
            raise Violation("ASSERT", f"assertion failed: {message}")

    # -- waits ---------------------------------------------------------------------------------

    def _wake(self, actor: int) -> None:
        self.ctl.wake(actor)

    def _owner(self, actor: int) -> int | None:
        return views.owner(self.threads, self._mutex, actor)

    def _what(self, actor: int, seen: set[int]) -> str:
        return views.what(self.threads, self._mutex, actor, seen)
