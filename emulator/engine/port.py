"""An actor's side of the runtime: its ``Port`` (the only way actor code may block), the
slot the hub keeps for it, and what an actor is (``ActorSpec``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from emulator.engine.baton import NONE, wait
from emulator.engine.sites import Site, caller_site

IDLE = 1 << 62
"""``Slot.at`` of an actor with no request the hub may apply (none sent, parked, or done)."""


# What msgpack decodes to an equal value of the same type (a float is a double both ways).
_SCALARS = frozenset((int, str, bool, float, bytes, type(None)))


def _plain(args: tuple[Any, ...]) -> bool:
    """Whether decoding ``args`` from its envelope (use_list=False) gives back equal values of
    the same types: scalars, and tuples (exactly) of scalars, at most two levels deep."""
    for a in args:
        t = type(a)
        if t is tuple:
            for b in a:
                if type(b) not in _SCALARS:
                    return False
        elif t not in _SCALARS:
            return False
    return True


class Hub(Protocol):
    """The runtime as a port sees it: the task to hand the baton back to, how (the trio run's
    reschedule, see baton.py), and the packer every request of the run is encoded with."""

    hub_task: Any
    reschedule: Callable[[Any, Any], None]
    packer: Any


class Port:
    """An actor's endpoint. ``call`` is the only way actor code may block."""

    __slots__ = ("_pack", "_reschedule", "_seq", "_slot", "hands_to", "name")

    def __init__(self, rt: Hub, slot: Slot) -> None:
        # The task the baton goes to when this actor sends a request or ends: the hub, or
        # while the run starts, the next actor (``Runtime._start``).
        self.hands_to = rt.hub_task
        self._reschedule = rt.reschedule
        self._pack = rt.packer.pack
        self._slot = slot
        self._seq = 0
        self.name = slot.name

    def call(self, op: str, label: str, *args: Any) -> Awaitable[Any]:
        """Send one request and hand the baton to the hub: ``await port.call(...)`` is the
        reply. A plain function returning the baton's awaitable, not a coroutine: one frame
        less per step (every caller awaits it at once, as the only way to use it)."""
        self._seq = seq = self._seq + 1
        slot = self._slot
        slot.raw = self._pack((seq, slot.idx, 0, op, label, args))
        slot.op = op
        slot.label = label
        # The hub applies what the envelope decodes to: these arguments themselves when they
        # are what decoding would give back (immutable scalars, plain tuples of them: equal,
        # of the same types, and nothing the actor could change), else None: decoded by the
        # hub from the bytes, so that the model never shares a mutable object with an actor.
        slot.args = args if _plain(args) else None
        slot.fp = None  # its footprint, asked of the model when the hub first needs it
        slot.at = 0  # a new request is ready at once (a delay, if any, is chosen by the hub)
        self._reschedule(self.hands_to, NONE)
        return wait()  # the reply, decoded by the hub from its envelope


class SitePort(Port):
    """A port that also notes the actor source line issuing each request (``RunConfig.sites``);
    a separate class so that runs without sites pay nothing for it."""

    __slots__ = ()

    def call(self, op: str, label: str, *args: Any) -> Awaitable[Any]:
        self._slot.site = caller_site()
        return Port.call(self, op, label, *args)


@dataclass(slots=True)
class Slot:
    idx: int
    name: str
    program: ActorProgram
    daemon: bool
    task: Any = None  # the trio task running the program (None until the hub starts it)
    raw: bytes = b""
    op: str = ""
    label: str = ""
    args: tuple[Any, ...] | None = None
    # The virtual time from which the pending request may be applied; IDLE when there is none
    # to apply. One field, so that finding the runnable actors is one comparison each.
    at: int = IDLE
    parked: bool = False
    resumed: bool = False
    done: bool = False
    in_window: bool = False
    error: BaseException | None = None
    site: Site | None = None
    fp: tuple[Any, ...] | None = None  # the pending request's footprint (None: not asked yet)


ActorProgram = Callable[[Port], Awaitable[None]]


@dataclass(frozen=True)
class ActorSpec:
    name: str
    program: ActorProgram
    daemon: bool = False  # kernel threads that loop forever; the run ends without them
