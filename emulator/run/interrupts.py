"""SIGINT and SIGTERM as a flag, not an exception.

A signal handler that raises ``KeyboardInterrupt`` lands anywhere: inside actor code (where the
engine reports it as a crash of the scenario, which a hunt would then print as a failing seed),
or inside trio's internals. Commands instead install ``catching()``: the first signal only sets
a flag, which long loops (hunt's seeds, shrink's candidates) read between runs; every run they
report or save ran to its end untouched. ``pcemu run`` also hands ``interrupted`` to its one
run as ``RunConfig.stop``: that run ends within 1,024 steps of the signal and is reported
nowhere. A second signal raises ``KeyboardInterrupt`` for a user
who does not want to wait; whatever was running then is discarded, never reported.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType

from emulator.errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []
_depth = [0]


def received() -> int | None:
    """The first signal received while ``catching()`` was active, if any."""
    return _received[0] if _received else None


def interrupted() -> bool:
    """Whether a signal arrived (a run's ``stop``, for a command that reports nothing of a run
    it stopped)."""
    return bool(_received)


def check(progress: str = "") -> None:
    """Raise ``Interrupted`` if a signal arrived."""
    sig = received()
    if sig is not None:
        raise Interrupted(sig, progress)


def _note(signum: int, _frame: FrameType | None) -> None:
    _received.append(signum)
    if len(_received) > 1:
        raise KeyboardInterrupt


@contextlib.contextmanager
def catching() -> Iterator[None]:
    """Turn SIGINT/SIGTERM into the flag for the duration (main thread only). Nested uses
    keep the outer one's flag: a signal that arrived while the command started still counts."""
    if _depth[0]:
        _depth[0] += 1
        try:
            yield
        finally:
            _depth[0] -= 1
        return
    _received.clear()
    try:
        old = {s: signal.signal(s, _note) for s in SIGNALS}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    _depth[0] += 1
    try:
        yield
    finally:
        _depth[0] -= 1
        for s, h in old.items():
            signal.signal(s, h)


def exit_status(signum: int) -> int:
    return 128 + signum


def die_with_parent(parent: int) -> None:
    """In a worker process of a pool (``hunt -j``, ``verify -j``): end when ``parent``, the
    process that started it, ends, however it ends. A parent killed by SIGKILL (a CI timeout,
    the OOM killer) cannot tell its workers; each of them holds the other ends of the pool's
    pipes, so none ever sees EOF, and they searched on or waited for work for ever. Linux only
    (``PR_SET_PDEATHSIG``); elsewhere nothing changes."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it ended before the request above was in place
        os._exit(1)
