"""Progress of a command that runs many runs (``hunt``, ``shrink``; ``verify`` and ``litmus``
can use the same): a live bar on a terminal, one heartbeat line every few seconds on stderr
otherwise (CI logs, ``docker logs``), nothing when asked to be quiet.

    with progress("hunt", total=200, unit="seed") as p:
        for seed in ...:
            p.advance(steps=result.outcome.steps, hit=result.outcome.failed)

Only the command's own output goes to stdout; progress always goes to stderr, so a report
piped to a file stays clean. Wall-clock time is read here, never by a run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

HEARTBEAT_S = 5.0


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}es" if word.endswith("ch") else f"{n} {word}s"


class Progress:
    """Counts; renders nothing (library use, ``--quiet``). Subclasses render."""

    def __init__(self, what: str, total: int | None, unit: str) -> None:
        self.what = what
        self.total = total
        self.unit = unit
        self.done = 0
        self.hits = 0
        self.steps = 0
        self.status = ""

    def __enter__(self) -> Progress:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        pass

    def advance(self, n: int = 1, steps: int = 0, hit: bool = False) -> None:
        self.done += n
        self.steps += steps
        self.hits += int(hit)
        self.update()

    def set_status(self, text: str) -> None:
        """A short word on what is going on (``best: 3 switches``)."""
        self.status = text
        self.update()

    def update(self) -> None:
        pass

    def close(self) -> None:
        pass

    def line(self, elapsed: float) -> str:
        """``hunt: 120/200 seeds, 85 seeds/s, 1 hit, 5.2k steps``."""
        of = f"/{self.total}" if self.total is not None else ""
        rate = self.done / elapsed if elapsed > 0 else 0.0
        parts = [
            f"{self.done}{of} {self.unit}s" if self.done != 1 or of else f"1 {self.unit}",
            f"{rate:.1f} {self.unit}s/s",
            plural(self.hits, "hit"),
            f"{_si(self.steps)} steps",
        ]
        if self.status:
            parts.append(self.status)
        return f"{self.what}: " + ", ".join(parts)


def _si(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1_000_000 else f"{n / 1e3:.1f}k" if n >= 10_000 else str(n)


class Heartbeat(Progress):
    """One line every ``interval`` seconds, and none for a command shorter than that."""

    def __init__(
        self,
        what: str,
        total: int | None,
        unit: str,
        out: TextIO,
        interval: float = HEARTBEAT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(what, total, unit)
        self.out = out
        self.interval = interval
        self.clock = clock
        self.t0 = self.next = 0.0

    def start(self) -> None:
        self.t0 = self.clock()
        self.next = self.t0 + self.interval

    def update(self) -> None:
        now = self.clock()
        if now >= self.next:
            self.next = now + self.interval
            self.out.write(self.line(now - self.t0) + "\n")
            self.out.flush()


class Bar(Progress):
    """A rich progress bar on the terminal, removed when done."""

    def __init__(self, what: str, total: int | None, unit: str, out: TextIO) -> None:
        super().__init__(what, total, unit)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=Console(file=out),
            transient=True,
        )
        self.task: Any = None
        self.t0 = 0.0

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.bar.start()
        self.task = self.bar.add_task(self.what, total=self.total, info="")

    def update(self) -> None:
        if self.task is None:
            return
        rate = self.done / max(time.monotonic() - self.t0, 1e-9)
        info = f"{rate:.0f} {self.unit}s/s, {plural(self.hits, 'hit')}"
        if self.status:
            info += f", {self.status}"
        self.bar.update(self.task, completed=self.done, info=info)

    def close(self) -> None:
        if self.task is not None:
            self.bar.stop()
            self.task = None


def progress(
    what: str,
    total: int | None,
    unit: str = "run",
    out: TextIO | None = None,
    quiet: bool = False,
    interval: float = HEARTBEAT_S,
) -> Progress:
    """The right progress for where stderr goes: a bar on a terminal, heartbeat lines
    otherwise, nothing with ``quiet``."""
    target = out or sys.stderr
    if quiet:
        return Progress(what, total, unit)
    isatty = getattr(target, "isatty", None)
    if callable(isatty) and isatty():
        return Bar(what, total, unit, target)
    return Heartbeat(what, total, unit, target, interval)
