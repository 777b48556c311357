"""Floors for the engine's speed: the same actor/hub topology with no emulation at all.

``hub_baton_rate`` is the floor that matters: actors are trio tasks, one hub task hands a token
to exactly one of them at a time with ``trio.lowlevel.reschedule`` and waits for it to hand the
token back (one request), as pcemu's baton does, but without msgpack, choices, a model or
oracles. Whatever pcemu costs above it is its own bookkeeping.
"""

from __future__ import annotations

import time
from typing import Any

import outcome
import trio

from emulator.engine.lighten import lighten


def _abort(_: Any) -> trio.lowlevel.Abort:
    return trio.lowlevel.Abort.SUCCEEDED


def hub_baton_rate(actors: int, requests_each: int, lightened: bool = False) -> tuple[float, int]:
    """(requests per CPU second, requests): round-robin through a hub, one task runnable.
    ``lightened``: with the scheduler passes the engine's batches use (``lighten()``: no idle
    epoll poll, dict instrument lookups), to show how much of the engine's lead over the bare
    floor is that alone."""
    total = actors * requests_each

    async def main() -> None:
        if lightened:
            lighten()
        hub = trio.lowlevel.current_task()
        tasks: list[Any] = []
        pending = [False] * actors
        done = [False] * actors

        async def actor(i: int, task_status: trio.TaskStatus[None]) -> None:
            tasks.append(trio.lowlevel.current_task())
            task_status.started()
            await trio.lowlevel.wait_task_rescheduled(_abort)
            for _ in range(requests_each):
                pending[i] = True  # "send a request": give the baton back to the hub
                trio.lowlevel.reschedule(hub)
                await trio.lowlevel.wait_task_rescheduled(_abort)
            done[i] = True
            trio.lowlevel.reschedule(hub)

        async with trio.open_nursery() as nursery:
            for i in range(actors):
                await nursery.start(actor, i)
            live = actors
            i = 0
            while live:
                # The hub's whole job: pick the next actor with a request and hand it a reply.
                while done[i]:
                    i = (i + 1) % actors
                pending[i] = False
                trio.lowlevel.reschedule(tasks[i], outcome.Value(None))
                await trio.lowlevel.wait_task_rescheduled(_abort)
                if done[i]:
                    live -= 1
                i = (i + 1) % actors

    t0 = time.process_time()
    trio.run(main)
    return total / max(time.process_time() - t0, 1e-9), total
