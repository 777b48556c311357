"""Actor tasks kept across runs: a run borrows one trio task per actor from the hub's pool
instead of spawning a task per actor and cancelling them all at the end.

A worker task parks until the hub hands it a job (the runtime and the slot of the actor it is
to run); it runs that actor's program and hands the baton back to the hub when the program
returns or raises. A run that ends while programs are still suspended in ``Port.call``
(daemons, parked or preempted actors) unwinds each of them, one task at a time, by raising
``RunOver`` at that call, so that the worker is free for the next run. The pool itself is
started and stopped once per trio run, however many runs it serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack
import outcome
import trio

from emulator.engine.baton import NONE, rescheduler, wait
from emulator.engine.lighten import lean_rescheduler
from emulator.engine.port import IDLE, Port, Slot


class RunOver(BaseException):
    """Raised at a suspended ``Port.call`` once the run it belongs to has ended. A
    ``BaseException`` so that actor code catching ``Exception`` does not swallow it."""


class Worker:
    __slots__ = ("job", "task")

    def __init__(self) -> None:
        self.task: Any = None
        self.job: tuple[Port, Slot] | None = None  # None: idle (or, when woken, stop)


class Pool:
    """The hub's actor tasks, the trio run's reschedule (baton.py), and the one msgpack packer
    all their requests are encoded with (only the running task packs, so one is enough)."""

    def __init__(self, nursery: trio.Nursery) -> None:
        self.nursery = nursery
        self.hub = trio.lowlevel.current_task()
        self.reschedule = lean_rescheduler() or rescheduler()
        self.packer = msgpack.Packer()
        self.workers: list[Worker] = []
        self._stuck = 0

    async def borrow(self, n: int) -> list[Worker]:
        """``n`` idle workers; spawns the missing ones, each parked before the next starts."""
        while len(self.workers) < n:
            w = Worker()
            self.nursery.start_soon(self._main, w, name=f"pcemu-actor-{len(self.workers)}")
            await wait()  # the new task hands the baton back once it has parked
            self.workers.append(w)
        return self.workers[:n]

    async def _main(self, w: Worker) -> None:
        w.task = trio.lowlevel.current_task()
        hub = self.hub
        reschedule = self.reschedule
        reschedule(hub, NONE)
        while True:
            await wait()
            job = w.job
            if job is None:
                return
            port, slot = job
            try:
                await slot.program(port)
            except RunOver:
                w.job = None
                reschedule(hub, NONE)
                continue
            except trio.Cancelled:
                raise
            except BaseException as exc:  # scenario code failed: report it, don't crash the run
                slot.error = exc
            slot.done = True
            slot.at = IDLE  # no request left to apply
            w.job = None
            reschedule(port.hands_to, NONE)  # the hub, or the next actor while the run starts

    async def release(self, slots: Sequence[Slot], workers: Sequence[Worker]) -> None:
        """Unwind the programs of a finished run that are still suspended, in slot order."""
        for slot, w in zip(slots, workers, strict=False):
            if w.job is None or slot.done:
                continue
            self.reschedule(w.task, outcome.Error(RunOver()))
            await wait()
            if w.job is not None:
                # The program caught RunOver and asked for another step: that task is lost
                # to the pool (close() cancels it); a fresh one will take its place.
                self.workers.remove(w)
                self._stuck += 1

    def close(self) -> None:
        """Let every idle worker return; cancel the ones a program kept."""
        for w in self.workers:
            w.job = None
            self.reschedule(w.task, NONE)
        if self._stuck:
            self.nursery.cancel_scope.cancel()
