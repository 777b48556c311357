"""Wall-clock time for what a command displays (progress, "2.1 s"), never for a run: nothing
read here enters a trace, a log's replayable part or a choice. Commands that live outside
``emulator/`` (``pcemu litmus``) take their timing from here, so model code never reads a clock."""

from __future__ import annotations

import time
from collections.abc import Callable


def stopwatch() -> Callable[[], float]:
    """Start a stopwatch; calling the result gives the seconds since."""
    t0 = time.perf_counter()
    return lambda: time.perf_counter() - t0
