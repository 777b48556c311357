"""Messages between the supervisor and a worker process: msgpack objects on the worker's stdin
and stdout (a msgpack stream needs no framing). Each side decodes what it reads once, here,
into the typed messages below; nothing past this module handles wire lists or dicts.

supervisor -> worker::

    {"op": "init", "lanes": [[scenario, variant, strategy], ...], "out": DIR}
    {"op": "job", "id": N, "check": bool, "items": [[lane, seed, want_hash], ...],
     "known": {sig: [seed, strategy]}}
    {"op": "exit"}

worker -> supervisor::

    {"op": "ready", "pid": PID}
    [i, steps, trace_hash or None, found or None]      one per item, in order
    {"op": "done", "id": N}

``found`` is ``[kind, scenario, variant, oracle, label, message, expected, log, trace,
unsaved]``. A run's result is sent as soon as it is known, so the supervisor always knows which
item a worker is in: if the worker dies or stops answering, that item is the culprit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgpack

from emulator.soak.findings import Finding
from emulator.soak.plan import Lane

READY = "ready"
DONE = "done"
INIT = "init"
JOB = "job"
EXIT = "exit"


class ProtocolError(Exception):
    """A message that is not one of the protocol's (a bug, or a process that is not ours)."""


def pack(obj: Any) -> bytes:
    data: bytes = msgpack.packb(obj, use_bin_type=True)
    return data


def unpacker() -> Any:
    return msgpack.Unpacker(raw=False, strict_map_key=False, use_list=True)


def _opt_str(v: object) -> str | None:
    if v is not None and not isinstance(v, str):
        raise ProtocolError(f"not text: {v!r}")
    return v


@dataclass(frozen=True)
class Found:
    """A failing run's finding as its worker reports it, with the reproducer files it wrote
    (paths relative to the soak directory) or why it could not write them."""

    finding: Finding
    log: str | None = None
    trace: str | None = None
    unsaved: str | None = None

    def wire(self) -> list[Any]:
        f = self.finding
        return [
            f.kind,
            f.scenario,
            f.variant,
            f.oracle,
            f.label,
            f.message,
            f.expected,
            self.log,
            self.trace,
            self.unsaved,
        ]

    @classmethod
    def from_wire(cls, msg: object) -> Found:
        if not isinstance(msg, list) or len(msg) != 10:
            raise ProtocolError(f"not a finding: {msg!r}")
        kind, scenario, variant, oracle, label, message, expected = msg[:7]
        text = (kind, scenario, variant, oracle, label, message)
        if not all(isinstance(t, str) for t in text) or not isinstance(expected, bool):
            raise ProtocolError(f"not a finding: {msg!r}")
        f = Finding(kind, scenario, variant, oracle, label, message, expected)
        return cls(f, _opt_str(msg[7]), _opt_str(msg[8]), _opt_str(msg[9]))


@dataclass(frozen=True)
class ItemResult:
    """What one run reports back: always its steps; its trace hash when asked for (the
    self-check sample); its finding when it failed."""

    steps: int
    trace_hash: str | None = None
    found: Found | None = None

    def wire(self, i: int) -> list[Any]:
        return [i, self.steps, self.trace_hash, None if self.found is None else self.found.wire()]

    @classmethod
    def from_wire(cls, msg: list[Any]) -> tuple[int, ItemResult]:
        if len(msg) != 4 or not isinstance(msg[0], int) or not isinstance(msg[1], int):
            raise ProtocolError(f"not a result: {msg!r}")
        found = None if msg[3] is None else Found.from_wire(msg[3])
        return msg[0], cls(msg[1], _opt_str(msg[2]), found)


class Item(NamedTuple):
    lane: int  # index into the lanes of Init
    seed: int
    want_hash: bool


@dataclass(frozen=True)
class Init:
    lanes: tuple[Lane, ...]
    out: str | None

    def wire(self) -> dict[str, Any]:
        lanes = [[ln.scenario, ln.variant, ln.strategy] for ln in self.lanes]
        return {"op": INIT, "lanes": lanes, "out": self.out}


@dataclass(frozen=True)
class Job:
    jid: int
    check: bool
    items: tuple[Item, ...]
    known: Mapping[str, tuple[int, str]]  # signature -> (seed, strategy) of its reproducer

    def wire(self) -> dict[str, Any]:
        return {
            "op": JOB,
            "id": self.jid,
            "check": self.check,
            "items": [list(it) for it in self.items],
            "known": {s: list(r) for s, r in self.known.items()},
        }


@dataclass(frozen=True)
class Ready:
    pid: int


@dataclass(frozen=True)
class Done:
    jid: int


class Exit:
    @staticmethod
    def wire() -> dict[str, Any]:
        return {"op": EXIT}


ToWorker = Init | Job | Exit
FromWorker = Ready | Done | tuple[int, ItemResult]


def to_worker(msg: object) -> ToWorker:
    """Decode a message the worker read; ProtocolError if it is not one."""
    try:
        op = msg.get("op") if isinstance(msg, dict) else None
        if op == INIT and isinstance(msg, dict):
            lanes = tuple(Lane(str(a), str(b), str(c)) for a, b, c in msg["lanes"])
            out = msg.get("out")
            return Init(lanes, str(out) if out else None)
        if op == JOB and isinstance(msg, dict):
            items = tuple(Item(int(a), int(b), bool(c)) for a, b, c in msg["items"])
            known = {str(s): (int(r[0]), str(r[1])) for s, r in msg.get("known", {}).items()}
            return Job(int(msg["id"]), bool(msg.get("check")), items, known)
        if op == EXIT:
            return Exit()
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"malformed {op} message: {exc}") from None
    raise ProtocolError(f"unknown message {str(msg)[:80]}")


def from_worker(msg: object) -> FromWorker:
    """Decode a message the supervisor read; ProtocolError if it is not one."""
    if isinstance(msg, list):
        return ItemResult.from_wire(msg)
    if isinstance(msg, dict):
        op, n = msg.get("op"), msg.get("pid", msg.get("id"))
        if isinstance(n, int) and op == READY:
            return Ready(n)
        if isinstance(n, int) and op == DONE:
            return Done(n)
    raise ProtocolError(f"unknown message {str(msg)[:80]}")
