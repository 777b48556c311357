"""Messages between the supervisor and a worker process: msgpack objects on the worker's stdin
and stdout (a msgpack stream needs no framing).

supervisor -> worker::

    {"op": "init", "lanes": [[scenario, variant, strategy], ...], "out": DIR}
    {"op": "job", "id": N, "check": bool, "items": [[lane, seed, want_hash], ...],
     "known": {sig: [seed, strategy]}}
    {"op": "exit"}

worker -> supervisor::

    {"op": "ready", "pid": PID}
    [i, steps, trace_hash or None, finding or None]      one per item, in order
    {"op": "done", "id": N}

A run's result is sent as soon as it is known, so the supervisor always knows which item a
worker is in: if the worker dies or stops answering, that item is the culprit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

READY = "ready"
DONE = "done"
INIT = "init"
JOB = "job"
EXIT = "exit"


def pack(obj: Any) -> bytes:
    data: bytes = msgpack.packb(obj, use_bin_type=True)
    return data


def unpacker() -> Any:
    return msgpack.Unpacker(raw=False, strict_map_key=False, use_list=True)


@dataclass(frozen=True)
class ItemResult:
    """What one run reports back: always its steps; its trace hash when asked for (the
    self-check sample); its finding when it failed."""

    steps: int
    trace_hash: str | None = None
    finding: dict[str, Any] | None = None  # {"f": Finding dict, "spec", "log", "trace"}

    def wire(self, i: int) -> list[Any]:
        return [i, self.steps, self.trace_hash, self.finding]

    @classmethod
    def from_wire(cls, msg: list[Any]) -> tuple[int, ItemResult]:
        i, steps, h, f = msg
        return int(i), cls(int(steps), h, f)
