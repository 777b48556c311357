"""Messages between the supervisor and a worker process: msgpack objects on the worker's stdin
and stdout (a msgpack stream needs no framing). Each side decodes what it reads once, here,
into the typed messages below; nothing past this module handles wire lists or dicts.

supervisor -> worker::

    {"op": "init", "lanes": [[scenario, variant, strategy], ...], "out": DIR}
    {"op": "job", "id": N, "check": bool, "items": [[lane, seed, want_hash, choices?], ...],
     "known": {sig: [seed, strategy]}}
    {"op": "exit"}

worker -> supervisor::

    {"op": "ready", "pid": PID}
    [i, steps, trace_hash or None, found or None, coverage or None, choices or None]
                                                       one per item, in order
    {"op": "done", "id": N}

``found`` is ``[kind, scenario, variant, oracle, label, message, expected, log, trace,
unsaved]``. ``coverage`` is ``[[[read, writer], ...], [[earlier, later], ...]]``: the reads-from
pairs and conflict orders of the run that this worker had not yet seen for its scenario (so
the supervisor only ever merges what is new). ``choices`` is ``[[value, n, kind, where], ...]``
(``where`` ``[step, actor, label]`` or None), sent for a self-check sample of a strategy with
cross-run state (rff): its seed alone does not make it, so the self-check replays these choices
strictly instead, and a check item carries them back to a worker as its fourth element.

A run's result is sent as soon as it is known, so the supervisor always knows which item a
worker is in: if the worker dies or stops answering, that item is the culprit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgpack

from emulator.engine.choices import ChoiceRecord
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


Pair = tuple[str, str]
Choices = tuple[ChoiceRecord, ...]


@dataclass(frozen=True)
class NewCoverage:
    """Reads-from pairs and conflict orders of one run that its worker had not seen before for
    the run's scenario."""

    reads_from: tuple[Pair, ...] = ()
    orders: tuple[Pair, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.reads_from or self.orders)

    def wire(self) -> list[Any]:
        return [[list(p) for p in self.reads_from], [list(p) for p in self.orders]]

    @classmethod
    def from_wire(cls, msg: object) -> NewCoverage:
        if not isinstance(msg, list) or len(msg) != 2:
            raise ProtocolError(f"not coverage: {str(msg)[:80]}")
        return cls(_pairs(msg[0]), _pairs(msg[1]))


def _pairs(v: object) -> tuple[Pair, ...]:
    if not isinstance(v, list):
        raise ProtocolError(f"not a list of pairs: {str(v)[:80]}")
    out = []
    for p in v:
        if not (isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)):
            raise ProtocolError(f"not a pair of labels: {str(p)[:80]}")
        out.append((p[0], p[1]))
    return tuple(out)


def choices_wire(records: Choices) -> list[Any]:
    return [[r.value, r.n, r.kind, None if r.where is None else list(r.where)] for r in records]


def choices_from_wire(v: object) -> Choices:
    if not isinstance(v, list):
        raise ProtocolError(f"not choices: {str(v)[:80]}")
    out = []
    for r in v:
        ok = isinstance(r, list) and len(r) == 4
        if ok:
            value, n, kind, where = r
            ok = isinstance(value, int) and isinstance(n, int) and isinstance(kind, str)
            if ok and where is not None:
                ok = (
                    isinstance(where, list)
                    and len(where) == 3
                    and isinstance(where[0], int)
                    and isinstance(where[1], str)
                    and isinstance(where[2], str)
                )
        if not ok:
            raise ProtocolError(f"not a choice record: {str(r)[:80]}")
        w = None if where is None else (where[0], where[1], where[2])
        out.append(ChoiceRecord(value, n, kind, w))
    return tuple(out)


@dataclass(frozen=True)
class ItemResult:
    """What one run reports back: always its steps; its trace hash when asked for (the
    self-check sample); its finding when it failed; the coverage new to its worker; its choices
    when the self-check must replay them (a sampled run of a strategy with cross-run state)."""

    steps: int
    trace_hash: str | None = None
    found: Found | None = None
    coverage: NewCoverage | None = None
    choices: Choices | None = None

    def wire(self, i: int) -> list[Any]:
        return [
            i,
            self.steps,
            self.trace_hash,
            None if self.found is None else self.found.wire(),
            None if not self.coverage else self.coverage.wire(),
            None if self.choices is None else choices_wire(self.choices),
        ]

    @classmethod
    def from_wire(cls, msg: list[Any]) -> tuple[int, ItemResult]:
        if not 4 <= len(msg) <= 6 or not isinstance(msg[0], int) or not isinstance(msg[1], int):
            raise ProtocolError(f"not a result: {str(msg)[:80]}")
        found = None if msg[3] is None else Found.from_wire(msg[3])
        cov = msg[4] if len(msg) > 4 else None
        choices = msg[5] if len(msg) > 5 else None
        return msg[0], cls(
            msg[1],
            _opt_str(msg[2]),
            found,
            None if cov is None else NewCoverage.from_wire(cov),
            None if choices is None else choices_from_wire(choices),
        )


class Item(NamedTuple):
    lane: int  # index into the lanes of Init
    seed: int
    want_hash: bool
    choices: Choices | None = None  # a self-check item to replay strictly (not by its seed)

    def wire(self) -> list[Any]:
        head = [self.lane, self.seed, self.want_hash]
        return head if self.choices is None else [*head, choices_wire(self.choices)]

    @classmethod
    def from_wire(cls, v: object) -> Item:
        if not isinstance(v, list) or len(v) not in (3, 4):
            raise ProtocolError(f"not an item: {str(v)[:80]}")
        choices = choices_from_wire(v[3]) if len(v) == 4 and v[3] is not None else None
        return cls(int(v[0]), int(v[1]), bool(v[2]), choices)


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
            "items": [it.wire() for it in self.items],
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
            items = tuple(Item.from_wire(it) for it in msg["items"])
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
