"""Trace files: a msgpack stream with a versioned header, the choices, the events, the end.

    {"format": "pcemu-trace", "version": 3, "header": {...run.start...}}
    {"choices": [...], "ns": [...], "kinds": [...], "where": [[step, actor, label], ...]}
    {"actors": [...], "events": [[actor, vtime, request, reply], ...]}
    {"end": {...run.end...}}

Requests and replies are the exact msgpack envelopes exchanged with the page-cache actor.
Version 2 adds ``where``: for each choice, the step it decided, the actor and its pending label,
so a strict replay can name the first choice whose context changed. Version 3 is version 2 with
the ops on the wire named as the kernel names them (``actors/api``'s ``RENAMED_OPS``); the
layout is the same, so versions 1 and 2 are still read (version 1, without ``where``, replays
with the kind/range checks only; a recording from another pcemu version is refused anyway
unless replay is forced).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack

from emulator.engine.choices import ChoiceRecord
from emulator.engine.events import StepEvent
from emulator.errors import BadInput
from emulator.run.inputs import MiB, input_file, q, reading, writing
from emulator.run.logs import checked
from emulator.run.recording import END, HEADER, Recording
from emulator.run.schema import (
    Bytes,
    Int,
    ListOf,
    Map,
    SchemaError,
    Str,
    Tuple,
    require_lengths,
)

FORMAT = "pcemu-trace"
VERSION = 3
READABLE = (1, 2, 3)

MAX_TRACE = 256 * MiB  # a trace of a million steps is ~100 MiB
MAX_ITEMS = 10_000_000
BIG = 1 << 63
FIX = "give the --trace file of a run"

HEAD = Map(required={"format": Str(64), "version": Int(0, 1 << 16), "header": HEADER})
CHOICES = Map(
    required={
        "choices": ListOf(Int(0, 1 << 32), MAX_ITEMS),
        "ns": ListOf(Int(0, 1 << 32), MAX_ITEMS),
        "kinds": ListOf(Str(32), MAX_ITEMS),
    },
    optional={"where": ListOf(Tuple((Int(0, BIG), Str(200), Str(200))), MAX_ITEMS)},
)
EVENTS = Map(
    required={
        "actors": ListOf(Str(200), 100_000),
        "events": ListOf(
            Tuple((Int(0, 100_000), Int(0, BIG), Bytes(1 * MiB), Bytes(1 * MiB))), MAX_ITEMS
        ),
    }
)
ENDING = Map(required={"end": END})


def write_trace(path: Path, t: Recording) -> None:
    """Write a trace file whole or not at all (``inputs.writing``)."""
    records = t.choices or []
    with writing(path, "trace") as f:
        f.write(msgpack.packb({"format": FORMAT, "version": VERSION, "header": t.header}))
        choices: dict[str, Any] = {
            "choices": [c.value for c in records],
            "ns": [c.n for c in records],
            "kinds": [c.kind for c in records],
        }
        if all(c.where is not None for c in records):
            choices["where"] = [list(c.where) for c in records if c.where is not None]
        f.write(msgpack.packb(choices))
        f.write(msgpack.packb({"actors": t.actors, "events": [list(e) for e in t.events]}))
        f.write(msgpack.packb({"end": t.end}))


def _records(ch: dict[str, Any]) -> list[ChoiceRecord]:
    values, ns, kinds = ch["choices"], ch["ns"], ch["kinds"]
    lists: list[tuple[str, Any]] = [("choices", values), ("ns", ns), ("kinds", kinds)]
    if "where" in ch:
        lists.append(("where", ch["where"]))
        wheres: list[tuple[int, str, str] | None] = [(s, a, lab) for s, a, lab in ch["where"]]
    else:
        wheres = [None] * len(values)  # a version 1 file, recorded without contexts
    require_lengths("choices", lists)
    return [ChoiceRecord(v, n, k, w) for v, n, k, w in zip(values, ns, kinds, wheres, strict=True)]


def _sections(path: Path) -> list[Any]:
    """The first four msgpack objects of the file, read in a stream with bounded buffers."""
    parts: list[Any] = []
    with reading(path, "trace file", FIX) as f:
        unpacker = msgpack.Unpacker(
            f,
            raw=False,
            strict_map_key=False,
            max_buffer_size=MAX_TRACE,
            read_size=min(MiB, MAX_TRACE),
        )
        try:
            for obj in unpacker:
                parts.append(obj)
                if len(parts) == 4:
                    break
        except BadInput:
            raise
        except Exception as exc:  # msgpack's errors, unhashable keys, bad ext data, ...
            if not parts:
                raise BadInput(
                    f"{q(path)} is not a pcemu trace file (no {FORMAT} header)"
                ) from None
            raise BadInput(
                f"trace file {q(path)} is corrupt in section {len(parts) + 1} "
                f"({type(exc).__name__}); {FIX}"
            ) from None
    return parts


def read_trace(path: Path) -> Recording:
    input_file(path, "trace file", FIX, MAX_TRACE)
    parts = _sections(path)
    if not parts or not isinstance(parts[0], dict) or parts[0].get("format") != FORMAT:
        raise BadInput(f"{q(path)} is not a pcemu trace file (no {FORMAT} header)")
    version = parts[0].get("version")
    if isinstance(version, bool) or version not in READABLE:
        shown = version if isinstance(version, int) else type(version).__name__
        raise BadInput(
            f"trace file {q(path)} has format version {shown!r}; this pcemu reads versions "
            f"{', '.join(map(str, READABLE))}: replay it with the pcemu that wrote it"
        )
    if len(parts) < 4 or not all(isinstance(p, dict) for p in parts[:4]):
        raise BadInput(
            f"trace file {q(path)} is truncated ({len(parts)} of 4 sections); "
            "re-run the seed from its header instead"
        )
    head, ch, ev, end = parts[:4]
    what = f"trace file {q(path)}"
    checked(head, HEAD, "header", what)
    checked(ch, CHOICES, "choices", what)
    checked(ev, EVENTS, "events", what)
    checked(end, ENDING, "end", what)
    try:
        choices = _records(ch)
    except SchemaError as exc:
        raise BadInput(f"{what}: {exc}; the file is damaged (re-record the run)") from None
    return Recording(
        header=dict(head["header"]),
        end=dict(end["end"]),
        choices=choices,
        actors=list(ev["actors"]),
        events=[StepEvent(a, t, r, p) for a, t, r, p in ev["events"]],
    )
