"""A tiny model for engine tests: counters, a lock with an owner, a flag to wait on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from emulator.engine.runtime import PARKED, Control, Port, WaitInfo
from emulator.engine.violations import Violation


class ToyModel:
    def __init__(self) -> None:
        self.x = 0
        self.owner: dict[str, int | None] = {}
        self.waiters: dict[str, list[int]] = {}
        self.waiting: dict[int, str] = {}
        self.log: list[tuple[int, str]] = []

    def bind(self, control: Control, actor_names: Sequence[str]) -> None:
        self.ctl = control
        self.names = list(actor_names)

    def apply(self, actor: int, op: str, label: str, args: tuple[Any, ...], resumed: bool) -> Any:
        self.log.append((actor, label))
        if op == "inc":
            self.x += 1
            return self.x
        if op == "lock":
            (name,) = args
            if resumed:
                return None
            if self.owner.get(name) is None:
                self.owner[name] = actor
                return None
            self.waiters.setdefault(name, []).append(actor)
            self.waiting[actor] = name
            return PARKED
        if op == "unlock":
            (name,) = args
            if self.owner.get(name) != actor:
                raise Violation("TOY-LOCK", f"unlock of {name} not held by {self.names[actor]}")
            q = self.waiters.get(name, [])
            self.owner[name] = q.pop(0) if q else None
            nxt = self.owner[name]
            if nxt is not None:
                del self.waiting[nxt]
                self.ctl.wake(nxt)
            return None
        if op == "wait_forever":
            self.waiting[actor] = "nothing"
            return PARKED
        if op == "choose":
            return self.ctl.choose(args[0], "slab")
        raise ValueError(op)

    def wait_info(self, actor: int) -> WaitInfo:
        name = self.waiting.get(actor, "?")
        return WaitInfo(f"lock {name}", self.owner.get(name))

    def actor_exit(self, actor: int) -> None:
        pass

    def finish(self) -> None:
        pass

    def describe(self, op: str, args: tuple[Any, ...], result: Any) -> str:
        return f"{op}{args}"


def incs(n: int) -> Callable[[Port], object]:
    """An actor program of ``n`` increments of ToyModel's counter "I"."""

    async def prog(p: Port) -> None:
        for _ in range(n):
            await p.call("inc", "I")

    return prog


async def daemon(p: Port) -> None:
    """A daemon's program: increments "D" until its run ends it."""
    while True:
        await p.call("inc", "D")
