"""Livelock detection: a retry label that repeats past a bound without any state change.

Domain code decides what "state change" means (pcemu's kernel model: a write by another actor to
an object the retrying actor examined); this module only counts.
"""

from __future__ import annotations

from emulator.engine.violations import Violation

DEFAULT_BOUND = 64


class RetryMonitor:
    __slots__ = ("_counts", "bound")

    def __init__(self, bound: int = DEFAULT_BOUND) -> None:
        self.bound = bound
        self._counts: dict[tuple[int, str], int] = {}

    def note(self, actor: int, label: str, changed: bool, detail: str = "") -> int:
        key = (actor, label)
        n = 0 if changed else self._counts.get(key, 0) + 1
        self._counts[key] = n
        if n > self.bound:
            raise Violation(
                "INV-LIVE-1",
                f"unbounded retry at {label}: iterations {n}, no state change"
                + (f" ({detail})" if detail else ""),
            )
        return n
