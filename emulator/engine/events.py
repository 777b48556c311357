"""Step events: what the runtime records for every applied step, and the one place that
decodes them.

A ``StepEvent`` is (actor, vtime, request, reply): the exact msgpack envelopes exchanged with
the model. The reply of a step that parked is ``PARKED_REPLY`` and that of a step an oracle
stopped is ``VIOLATED_REPLY``; no other module knows these markers. The trace hash is blake2b-16
over the msgpack array of all events; a ``StepEvent`` is a tuple, so it packs as a 4-array.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgpack

OK, PARKS, FIRES = "ok", "parks", "violation"
PARKED_REPLY = b""
VIOLATED_REPLY = b"!"


class StepEvent(NamedTuple):
    actor: int
    vtime: int
    request: bytes  # msgpack (seq, src, dst, op, label, args)
    reply: bytes  # msgpack (0, result), or one of the two markers above

    @property
    def status(self) -> str:
        rep = self.reply
        if rep == PARKED_REPLY:
            return PARKS
        if rep == VIOLATED_REPLY:
            return FIRES
        return OK

    @property
    def label(self) -> str:
        return str(msgpack.unpackb(self.request, use_list=False)[4])

    def decode(self) -> DecodedStep:
        _seq, _src, _dst, op, label, args = msgpack.unpackb(self.request, use_list=False)
        status = self.status
        result = msgpack.unpackb(self.reply, use_list=False)[1] if status == OK else None
        return DecodedStep(self.actor, self.vtime, str(op), str(label), args, result, status)


@dataclass(frozen=True, slots=True)
class DecodedStep:
    actor: int
    vtime: int
    op: str
    label: str
    args: tuple[Any, ...]
    result: Any  # None unless status is OK
    status: str  # OK, PARKS or FIRES


def step_event(row: Sequence[Any]) -> StepEvent:
    """A step event read back from plain data (a trace file's 4-array)."""
    a, t, q, r = row
    return StepEvent(int(a), int(t), bytes(q), bytes(r))


def trace_hash(events: Sequence[tuple[int, int, bytes, bytes]]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(msgpack.packb(events if type(events) is list else list(events)))
    return h.hexdigest()


def switches(events: Sequence[StepEvent]) -> int:
    """How often the running actor changes between consecutive steps."""
    n = 0
    for i in range(1, len(events)):
        if events[i].actor != events[i - 1].actor:
            n += 1
    return n
