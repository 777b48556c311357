"""When is a worker hung? Not when the supervisor merely failed to look.

The watchdog measures the worker's own progress since its last message:

- its CPU time (``/proc/PID/stat``): a run spinning in scenario code burns CPU without
  answering; ``--watchdog`` seconds of it is a hang. A worker that gets no CPU because the
  machine is loaded, or that was stopped, burns none and is not declared hung;
- as a backstop for a worker that sleeps (blocked in a system call) or where CPU time cannot be
  read, ``BACKSTOP`` times ``--watchdog`` of the supervisor's *awake* wall-clock time.

The supervisor itself may be paused (SIGSTOP, a loaded machine, a laptop lid): ``PauseMeter``
sees its event loop waking much later than it asked to, and that time is not counted against
any worker. Before declaring a hang the caller also drains what the worker already wrote.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import trio

BACKSTOP = 4.0  # wall-clock multiple of --watchdog for a worker that uses no CPU
TICK = 0.25  # seconds between the pause meter's wake-ups
SLACK = 1.0  # a wake-up this much later than asked counts as a pause

try:
    _HZ = float(os.sysconf("SC_CLK_TCK"))
except (AttributeError, ValueError, OSError):
    _HZ = 100.0


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process; None where it cannot be read."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _HZ
    except (OSError, IndexError, ValueError):
        return None


class PauseMeter:
    """Wall-clock time during which the supervisor's event loop did not run."""

    def __init__(self) -> None:
        self.last = trio.current_time()
        self.paused = 0.0

    def total(self) -> float:
        """Pauses so far, the one going on right now included (the meter task may not have
        run yet after the process was continued)."""
        gap = trio.current_time() - self.last - TICK
        return self.paused + (gap if gap > SLACK else 0.0)

    async def run(self) -> None:
        while True:
            await trio.sleep(TICK)
            now = trio.current_time()
            gap = now - self.last - TICK
            if gap > SLACK:
                self.paused += gap
            self.last = now


@dataclass
class Watchdog:
    """One worker's watchdog, re-armed at every message from it."""

    seconds: float
    meter: PauseMeter
    by_cpu: bool = True  # False: awake wall-clock time only (worker start-up)
    pid: int | None = None
    _wall: float = 0.0
    _paused: float = 0.0
    _cpu: float | None = None

    def arm(self, pid: int | None = None) -> None:
        """Called at every message: kept cheap. The worker's CPU time is first read at the
        first check after it (a fraction of --watchdog later), not here."""
        if pid is not None:
            self.pid = pid
        self._wall = trio.current_time()
        self._paused = self.meter.total()
        self._cpu = None

    def awake(self) -> float:
        """Wall-clock seconds since the last arm while the supervisor was running."""
        return trio.current_time() - self._wall - (self.meter.total() - self._paused)

    def expired(self) -> bool:
        awake = self.awake()
        cpu = cpu_seconds(self.pid) if self.by_cpu else None
        if cpu is None:
            return awake >= self.seconds
        if self._cpu is None:
            self._cpu = cpu  # the first check since the last message
        return cpu - self._cpu >= self.seconds or awake >= BACKSTOP * self.seconds

    def next_check(self) -> float:
        """How long to wait before asking ``expired`` again."""
        return max(0.25, min(1.0, self.seconds / 4, self.seconds - self.awake()))
