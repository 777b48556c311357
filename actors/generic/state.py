"""The records the generic model keeps: one per thread, one per mutex, the end-of-run checks,
and the reply a request gets after the process exited."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

EXITED = "\x00pcemu:process-exited"
"""The reply to any request made after the process exited (a string no program stores)."""

MAIN = 0

# Thread states.
UNBORN = "unborn"
LIVE = "live"
DONE = "done"


@dataclass(frozen=True)
class Final:
    """An end-of-run check over the final shared variables (``cond(vars)`` must be true)."""

    label: str
    cond: Callable[[Mapping[str, Any]], bool]
    message: str


@dataclass
class ThreadState:
    name: str
    state: str = UNBORN
    start: tuple[int, tuple[Any, ...]] | None = None  # (function key, arguments) once spawned
    wait: tuple[str, str, str] | None = None  # (kind, object, mutex): unborn/mutex/cond/join
    joiners: list[int] = field(default_factory=list)


@dataclass
class MutexState:
    owner: int | None = None
    label: str = ""  # where the owner took it
    step: int = 0
    waiters: list[int] = field(default_factory=list)
