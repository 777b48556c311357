"""The contract between the runtime and the model (the page-cache actor's state machine):
what the model implements (``Model``), what the runtime offers it during a step (``Control``),
and the values they exchange (``PARKED``, ``WaitInfo``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from emulator.engine.facts import Fact


class _Parked:
    __slots__ = ()

    def __repr__(self) -> str:
        return "PARKED"


PARKED: Any = _Parked()
"""Returned by ``Model.apply`` when the request cannot proceed and the actor now waits."""


@dataclass(frozen=True)
class WaitInfo:
    """What a parked actor waits for. ``owner`` is the actor that must act to release it (None if
    nobody can: e.g. a wakeup that was lost); ``idle`` marks a daemon waiting for work."""

    what: str
    owner: int | None
    idle: bool = False


class Control(Protocol):
    """What the runtime offers the model while it applies a step."""

    @property
    def now(self) -> int: ...

    @property
    def steps(self) -> int: ...

    @property
    def facts_on(self) -> bool:
        """True when the run collects facts (``RunConfig.facts``). The model guards emission
        with ``if ctl.facts_on:`` so that a run without them pays nothing."""
        ...

    def choose(self, n: int, kind: str) -> int: ...

    def wake(self, actor: int) -> None: ...

    def actor_name(self, actor: int) -> str: ...

    def fact(self, f: Fact) -> None:
        """State one thing the step being applied did (see ``emulator.engine.facts``)."""
        ...


class Model(Protocol):
    """The page-cache actor's state machine. Domain code implements it; the runtime drives it."""

    def bind(self, control: Control, actor_names: Sequence[str]) -> None: ...

    def apply(self, actor: int, op: str, label: str, args: tuple[Any, ...], resumed: bool) -> Any:
        """Apply one request atomically; return the reply, or PARKED. May raise Violation."""
        ...

    def wait_info(self, actor: int) -> WaitInfo: ...

    def actor_exit(self, actor: int) -> None:
        """The actor's program returned. May raise Violation (locks leaked, RCU unbalanced)."""
        ...

    def finish(self) -> None:
        """End-of-run checks once every non-daemon actor has finished. May raise Violation."""
        ...

    def describe(self, op: str, args: tuple[Any, ...], result: Any) -> str:
        """One line of kernel vocabulary for a step, for reports."""
        ...
