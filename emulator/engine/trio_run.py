"""``trio.run`` that takes trio's signal wakeup descriptor away before trio closes it.

trio's ``WakeupSocketpair.close`` closes the socket it gave ``signal.set_wakeup_fd`` before it
hands the old wakeup descriptor back. A signal landing between the two makes CPython's C-level
handler write to a closed descriptor, and CPython then prints "Exception ignored when trying to
write to the signal wakeup fd" and a traceback on stderr: the one-line message a stopped
command owes its user gets seven lines, and the descriptor may by then belong to another file.
A command that makes thousands of short trio runs (``pcemu litmus``, a hunt) meets that window
sooner or later.

So once the run's main function has returned (every task the caller started has ended; what
is left is trio's teardown, which waits for no signal), the wakeup descriptor is set to none.
A signal that comes then still runs its Python handler (which is what pcemu's commands read);
only the byte trio would have read is not written. Masking the signals instead does not do:
a process-directed signal is then delivered to another thread of the process (a pytest-xdist
worker has one, a soak's output readers do), whose C handler writes to the same descriptor.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """``trio.run(main)``; no signal can make CPython write to trio's closed wakeup socket."""

    async def body() -> T:
        try:
            return await main()
        finally:
            # trio installs the descriptor only in the main thread (set_wakeup_fd raises
            # anywhere else); trio's close then puts back whatever was there before the run.
            if threading.current_thread() is threading.main_thread():
                signal.set_wakeup_fd(-1)

    return trio.run(body)
