"""What a generic program's thread sees: one awaitable per primitive, each one step.

Programs read like pthread code with the step label first::

    await t.lock("L1", "m")
    while await t.load("R1", "num") > 0:
        await t.wait("C1", "empty", "m")

Every object (variable, array cell ``"busy[3]"``, mutex, condvar) is named by a string; values
and spawn arguments are plain data (msgpack: ints, strings, lists), never Python references.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from actors.generic.state import EXITED
from emulator.engine.runtime import ActorProgram, Port

# Reports attribute a step to the program line that called into this module, not to it.
__pcemu_api__ = True

ThreadFn = Callable[..., Awaitable[None]]
"""A thread's function: ``async def worker(t: Thread, *args) -> None``."""


class _ProcessExited(BaseException):
    """The process exited: unwinds a thread's program quietly (BaseException, so a program's
    own ``except Exception`` cannot swallow it)."""


class Functions:
    """The functions spawned in one run, by key: a spawn request carries the key, not the code.
    Keys are given in first-spawn order, so they are the same in every replay."""

    __slots__ = ("_fns", "_keys")

    def __init__(self) -> None:
        self._fns: list[ThreadFn] = []
        self._keys: dict[ThreadFn, int] = {}

    def key(self, fn: ThreadFn) -> int:
        k = self._keys.get(fn)
        if k is None:
            k = self._keys[fn] = len(self._fns)
            self._fns.append(fn)
        return k

    def get(self, key: int) -> ThreadFn:
        return self._fns[key]


class Thread:
    """The actor-side API of one thread of a generic program."""

    __slots__ = ("_fns", "_port", "name")

    def __init__(self, port: Port, fns: Functions) -> None:
        self._port = port
        self._fns = fns
        self.name = port.name

    async def _call(self, op: str, label: str, *args: Any) -> Any:
        r = await self._port.call(op, label, *args)
        if r == EXITED:
            raise _ProcessExited
        return r

    # -- threads -------------------------------------------------------------------------------
    async def spawn(self, label: str, fn: ThreadFn, *args: Any, name: str = "") -> str:
        """pthread_create: the child runs ``fn(t, *args)``; returns its handle (its name). The
        child is the next unused thread of ``Program.threads``, or the one called ``name``."""
        return str(await self._call("spawn", label, name, self._fns.key(fn), list(args)))

    async def join(self, label: str, handle: str) -> None:
        """pthread_join: parks until the thread has exited."""
        await self._call("join", label, handle)

    async def exit_process(self, label: str, status: int = 0) -> NoReturn:
        """exit(): the process ends; every thread's program stops at its next step."""
        await self._call("exit_process", label, status)
        raise _ProcessExited  # pragma: no cover - the reply is always EXITED

    # -- mutexes -------------------------------------------------------------------------------
    async def lock(self, label: str, m: str) -> None:
        """pthread_mutex_lock of a NORMAL mutex (relocking one's own mutex deadlocks)."""
        await self._call("lock", label, m)

    async def trylock(self, label: str, m: str) -> bool:
        return bool(await self._call("trylock", label, m))

    async def unlock(self, label: str, m: str) -> None:
        await self._call("unlock", label, m)

    # -- condition variables -------------------------------------------------------------------
    async def wait(self, label: str, cv: str, m: str) -> None:
        """pthread_cond_wait: releases ``m`` and parks; once woken, re-acquires ``m``."""
        await self._call("wait", label, cv, m)

    async def signal(self, label: str, cv: str) -> None:
        """pthread_cond_signal: wakes one waiter (which one is a recorded choice)."""
        await self._call("signal", label, cv)

    async def broadcast(self, label: str, cv: str) -> None:
        await self._call("broadcast", label, cv)

    # -- shared variables ----------------------------------------------------------------------
    async def yield_(self, label: str) -> None:
        await self._call("yield", label)

    async def load(self, label: str, x: str) -> Any:
        return await self._call("load", label, x)

    async def store(self, label: str, x: str, value: Any) -> None:
        await self._call("store", label, x, value)

    async def fetch_add(self, label: str, x: str, delta: int = 1) -> int:
        """Atomic read-modify-write; returns the old value."""
        return int(await self._call("fetch_add", label, x, delta))

    async def cas(self, label: str, x: str, expected: Any, new: Any) -> bool:
        """Atomic compare-and-swap; True if ``x`` was ``expected`` and is now ``new``."""
        return bool(await self._call("cas", label, x, expected, new))

    # -- assertions ----------------------------------------------------------------------------
    async def check(self, label: str, cond: bool, message: str) -> None:
        """assert(cond): a false ``cond`` is a violation with oracle id ASSERT."""
        await self._call("check", label, bool(cond), message)


def main_program(fns: Functions, main: Callable[[Thread], Awaitable[None]]) -> ActorProgram:
    """Actor 0: runs ``main``; its return is the process exit."""

    async def run(port: Port) -> None:
        with contextlib.suppress(_ProcessExited):
            await main(Thread(port, fns))

    return run


def thread_program(fns: Functions) -> ActorProgram:
    """A pre-allocated thread: waits (unborn) for a spawn, then runs the spawned function."""

    async def run(port: Port) -> None:
        t = Thread(port, fns)
        with contextlib.suppress(_ProcessExited):
            key, args = await t._call("start", "start")
            await fns.get(key)(t, *args)

    return run
