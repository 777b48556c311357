"""Handing the baton between trio tasks at the cost of one scheduler pass each way.

The hub and the actor tasks hand the baton with trio's lowest-level pair, ``reschedule`` and
``wait_task_rescheduled``, as before; this module only skips what those public functions wrap
around the trap, which was a third of a step's cost in trio (hub-baton floor: 8.6 -> 5.4 µs
per request):

- ``wait()`` yields one prebuilt ``WaitTaskRescheduled`` message (the same one every time;
  trio reads only its ``abort_func``) from a single generator frame, instead of two coroutine
  frames and a new message object per wait;
- the baton carries its value as a one-tuple ``(value,)``, not an ``outcome.Value`` (an attrs
  object built, then unwrapped once). Trio hands whatever ``reschedule`` was given to the
  waiting task untouched, so only the two ends see it; anything trio itself sends (an
  ``outcome.Error`` carrying ``Cancelled``, or ``RunOver`` from the pool) is still an outcome
  and is unwrapped as one;
- ``rescheduler()`` is the running trio run's own ``reschedule`` method, fetched once per trio
  run, instead of the public function that looks the run up on every call.

Each actor is still a trio task parked in ``wait_task_rescheduled``'s trap, cancellation still
reaches it through ``abort``, and exactly one task is runnable at any moment. Trio versions
without these internals get the public functions (slower, the same runs).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Generator
from typing import Any

import outcome
import trio

__all__ = ["FAST", "NONE", "abort", "public_rescheduler", "public_wait", "rescheduler", "wait"]

NONE = (None,)
"""The baton with no value."""


def abort(_: Any) -> trio.lowlevel.Abort:
    return trio.lowlevel.Abort.SUCCEEDED


def public_rescheduler() -> Callable[[Any, Any], None]:
    """``reschedule(task, baton)`` through trio's public functions (a trio without the
    internals ``wait``/``rescheduler`` use): a one-tuple travels as a value, an outcome as it
    is."""

    def reschedule(task: Any, baton: Any) -> None:
        trio.lowlevel.reschedule(task, outcome.Value(baton) if type(baton) is tuple else baton)

    return reschedule


async def public_wait() -> Any:
    """``wait`` through trio's public functions."""
    got = await trio.lowlevel.wait_task_rescheduled(abort)
    return got[0] if type(got) is tuple else got


try:
    from trio._core._run import GLOBAL_RUN_CONTEXT
    from trio._core._traps import WaitTaskRescheduled
except ImportError:  # pragma: no cover - a trio without these internals
    rescheduler = public_rescheduler
    wait = public_wait
    FAST = False
else:
    _TRAP: Any = WaitTaskRescheduled(abort)

    def rescheduler() -> Callable[[Any, Any], None]:
        """``reschedule(task, (value,))`` for the trio run this is called in."""
        fn: Callable[[Any, Any], None] = GLOBAL_RUN_CONTEXT.runner.reschedule
        return fn

    @types.coroutine
    def wait() -> Generator[Any, Any, Any]:
        """Park the calling task until the baton comes back; its value (or raise the error
        trio or the pool sent as an outcome)."""
        got = yield _TRAP
        if type(got) is tuple:
            return got[0]
        try:
            return got.unwrap()
        finally:
            # An error's traceback holds this frame, which would hold the error: a cycle
            # keeping the unwound program (and its whole run) for the cyclic collector.
            del got

    FAST = True
