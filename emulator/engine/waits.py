"""Deadlock and lost-wakeup detection over the actors' waits-for edges (INV-DL-1, INV-WAKE-1).

The model says what each parked actor waits for and who must act to release it
(``Model.wait_info``); these functions only follow the edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from emulator.engine.model import Model
from emulator.engine.violations import Violation


class Waiter(Protocol):
    @property
    def idx(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def parked(self) -> bool: ...
    @property
    def done(self) -> bool: ...
    @property
    def daemon(self) -> bool: ...


def cycle_from(model: Model, slots: Sequence[Waiter], start: int) -> Violation | None:
    """Eager INV-DL-1: follow waits-for edges from the actor that just parked."""
    chain = [start]
    a = start
    for _ in range(len(slots)):
        owner = model.wait_info(a).owner
        if owner is None or not slots[owner].parked:
            return None
        if owner == start:
            parts = [f"{slots[x].name} waits {model.wait_info(x).what}" for x in chain]
            return Violation("INV-DL-1", "deadlock: " + "; ".join(parts))
        chain.append(owner)
        a = owner
    return None


def at_quiescence(model: Model, slots: Sequence[Waiter]) -> tuple[Violation, Waiter | None]:
    """No actor can run, no timed event is pending and some non-daemon actor has not finished:
    a deadlock, or a wait nobody will ever end. Returns the violation and the actor it is
    reported at."""
    for s in slots:
        if not s.parked or s.done:
            continue
        info = model.wait_info(s.idx)
        if info.idle:
            continue
        # A cycle would have been caught when it closed; a waiter whose owner is runnable
        # cannot exist at quiescence. What is left is a wait nobody will ever end.
        cycle = cycle_from(model, slots, s.idx)
        if cycle is not None:
            return cycle, s
        msg = f"lost wakeup: {s.name} parked on {info.what} at {s.label} and nothing can wake it"
        return Violation("INV-WAKE-1", msg), s
    # Only idle daemons remain while some non-daemon actor has not finished: impossible
    # unless the model parks a non-daemon actor as idle.
    names = ", ".join(s.name for s in slots if not s.done and not s.daemon)
    return Violation("INV-WAKE-1", f"hang: {names} never finished"), None
