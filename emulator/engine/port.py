"""An actor's side of the runtime: its ``Port`` (the only way actor code may block), the
slot the hub keeps for it, and what an actor is (``ActorSpec``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import msgpack
import trio

from emulator.engine.sites import Site, caller_site


class Hub(Protocol):
    """The runtime as a port sees it: the task to hand the baton back to."""

    hub_task: Any


class Port:
    """An actor's endpoint. ``call`` is the only way actor code may block."""

    __slots__ = ("_rt", "_seq", "_slot", "name")

    def __init__(self, rt: Hub, slot: Slot) -> None:
        self._rt = rt
        self._slot = slot
        self._seq = 0
        self.name = slot.name

    async def call(self, op: str, label: str, *args: Any) -> Any:
        self._seq += 1
        slot = self._slot
        slot.raw = msgpack.packb((self._seq, slot.idx, 0, op, label, args))
        slot.op = op
        slot.label = label
        slot.args = None  # decoded lazily by the hub, from the bytes (no shared references)
        slot.has_request = True
        trio.lowlevel.reschedule(self._rt.hub_task)
        reply = await trio.lowlevel.wait_task_rescheduled(abort)
        return msgpack.unpackb(reply, use_list=False)[1]


class SitePort(Port):
    """A port that also notes the actor source line issuing each request (``RunConfig.sites``);
    a separate class so that runs without sites pay nothing for it."""

    __slots__ = ()

    async def call(self, op: str, label: str, *args: Any) -> Any:
        self._slot.site = caller_site()
        return await Port.call(self, op, label, *args)


def abort(_: Any) -> trio.lowlevel.Abort:
    return trio.lowlevel.Abort.SUCCEEDED


@dataclass
class Slot:
    idx: int
    name: str
    program: ActorProgram
    daemon: bool
    task: Any = None
    raw: bytes = b""
    op: str = ""
    label: str = ""
    args: tuple[Any, ...] | None = None
    has_request: bool = False
    parked: bool = False
    resumed: bool = False
    done: bool = False
    ready_at: int = 0
    in_window: bool = False
    error: BaseException | None = None
    site: Site | None = None


ActorProgram = Callable[[Port], Awaitable[None]]


@dataclass(frozen=True)
class ActorSpec:
    name: str
    program: ActorProgram
    daemon: bool = False  # kernel threads that loop forever; the run ends without them
