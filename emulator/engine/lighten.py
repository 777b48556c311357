"""Per-pass costs of trio's scheduler that a trio run made of runs does not need.

A step of a run is two passes of trio's scheduler (hub -> actor -> hub), and on each pass trio

- polls epoll with a zero timeout, because a task is runnable: one system call per pass that
  finds nothing, since the only descriptor a batch of runs has is trio's own wakeup socket;
- asks its ``Instruments`` five times whether a hook is installed, each a Python-level
  ``UserDict.__contains__`` call;
- calls three Python methods that then do nothing: the I/O manager's ``process_events`` of no
  events, the clock's ``current_time`` (``offset + perf_counter()``), and the deadline heap's
  ``expire`` when no deadline is set (a batch sets none);
- and every ``reschedule`` (two a step) checks two asserts, guest mode and an instrument.

Skipping the poll and the instrument lookups made a batch x1.09 (median of 15 alternating
rounds) to x1.20 (best round) faster on anon-vma-reuse, x1.16 to x1.25 on futex-key-uaf, on a
2-core VM where system calls are dear. The empty deadline heap and the lean reschedule take
another 2.4 % of the instructions of an anon-vma-reuse run (callgrind: 5.97 M -> 5.83 M).

``lighten()`` is called inside a trio run that ``run_batch`` owns (never inside a caller's
run, which may do I/O of its own). It makes the run's I/O manager poll on one pass in
``POLL_EVERY`` while tasks are runnable (and on every pass where none is, so an idle run still
sleeps in epoll and wakes for a signal or a thread at once); a thread's ``run_sync_soon`` or
trio's own KeyboardInterrupt delivery waits at most ``POLL_EVERY`` passes (well under a
millisecond). The events a poll finds are processed as it returns, so trio's own call to
process them is a C no-op. Its instruments answer ``in`` with dict's own lookup; adding or
removing an instrument works as before. Its clock, when it is trio's system clock and no
deadline is set yet, reads ``perf_counter`` directly (a clock without trio's random offset:
sleeps and timeouts work as before). Its deadline heap, while empty, expires nothing with a C
call; the first deadline set makes it trio's own again. ``lean_rescheduler`` is the
reschedule the batch's pool then uses (instruments that ask are still told). None of it
touches which task runs when: runs are unchanged. A trio without these internals, or with
another I/O manager (kqueue, IOCP), is left as it is.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import trio

POLL_EVERY = 64

try:
    from trio._core._instrumentation import Instruments
    from trio._core._io_epoll import EpollIOManager
    from trio._core._run import GLOBAL_RUN_CONTEXT, Deadlines, SystemClock
except ImportError:  # pragma: no cover - a trio without these internals
    AVAILABLE = False
else:
    AVAILABLE = True
    _passes = itertools.count()
    _NOTHING: list[Any] = []
    _PROCESSED: list[Any] = [None]  # truthy, as the events it stands for: trio reads "not events"

    class _DictInstruments(dict, Instruments):  # type: ignore[type-arg, misc]
        """trio's ``Instruments`` whose data is itself: ``in`` is dict's C lookup, and every
        method trio calls (``add_instrument``, ``call``, ...) reads ``self.data`` as before."""

    class _LazyEpoll(EpollIOManager):
        """trio's epoll manager, polling on one pass in ``POLL_EVERY`` while tasks are
        runnable. No new slot: the run's manager becomes one by ``__class__`` assignment."""

        __slots__ = ()

        def get_events(self, timeout: float) -> Any:
            if not timeout and next(_passes) % POLL_EVERY:
                return _NOTHING  # as epoll with nothing ready: falsy, no events
            events = super().get_events(timeout)
            if not events:
                return _NOTHING
            EpollIOManager.process_events(self, events)
            return _PROCESSED

        # Called by trio right after get_events with what it returned, already processed.
        process_events = len  # type: ignore[assignment]  # a C no-op taking the one argument

    class _PerfClock(trio.abc.Clock):
        """trio's system clock without its offset: ``current_time`` is ``perf_counter``
        itself, called from C. Like trio's own, it only tells trio when a sleeping task is due;
        no run reads it (runs keep virtual time, and no actor sleeps), so traces stay a
        function of version, scenario, options and seed."""

        current_time = staticmethod(time.perf_counter)

        def start_clock(self) -> None:
            pass

        def deadline_to_sleep_time(self, deadline: float) -> float:
            return deadline - time.perf_counter()

    class _NoDeadlines(Deadlines):
        """trio's deadline heap while it is empty: expiring nothing is a C call that answers
        False ("nothing expired"), where trio's ``expire`` is a Python method called on every
        pass. The first deadline added makes it trio's own class again, for good."""

        __slots__ = ()

        expire = ().__contains__  # type: ignore[assignment]  # one argument, always False

        def add(self, deadline: float, cancel_scope: Any) -> None:
            self.__class__ = Deadlines  # type: ignore[assignment]
            Deadlines.add(self, deadline, cancel_scope)


def lean_rescheduler() -> Callable[[Any, Any], None] | None:
    """``reschedule(task, baton)`` for a lightened trio run: trio's ``Runner.reschedule``
    without its two asserts (a task rescheduled twice, or by another run: the baton never
    does either) and its guest-mode check (a batch is never a guest run). An instrument that
    asks to hear of a reschedule is still told, through trio's own method. None outside a
    lightened run."""
    if not AVAILABLE:
        return None
    runner = GLOBAL_RUN_CONTEXT.runner
    instruments = runner.instruments
    if type(instruments) is not _DictInstruments or runner.is_guest:
        return None
    full = runner.reschedule
    append = runner.runq.append

    def reschedule(task: Any, baton: Any) -> None:
        if "task_scheduled" in instruments:
            full(task, baton)
            return
        task._next_send_fn = task.coro.send
        task._next_send = baton
        task._abort_func = None
        task.custom_sleep_data = None
        append(task)

    return reschedule


def lighten() -> bool:
    """Lighten the running trio run's scheduler passes; whether it could."""
    if not AVAILABLE:
        return False
    runner = GLOBAL_RUN_CONTEXT.runner
    done = False
    old = runner.instruments
    if type(old) is Instruments:
        fast = _DictInstruments()
        fast.update(old.data)
        fast.data = fast
        runner.instruments = fast
        done = True
    if type(runner.io_manager) is EpollIOManager:
        runner.io_manager.__class__ = _LazyEpoll
        done = True
    if type(runner.deadlines) is Deadlines and not runner.deadlines._heap:
        runner.deadlines.__class__ = _NoDeadlines
        done = True
    # Only before any deadline: one set against the old clock would be read against the new.
    if type(runner.clock) is SystemClock and not runner.deadlines._heap:
        runner.clock = _PerfClock()
        done = True
    return done
