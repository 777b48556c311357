"""Trace files: a msgpack stream with a versioned header, the choices, the events, the end.

    {"format": "pcemu-trace", "version": 3, "header": {...run.start...}}
    {"choices": [...], "ns": [...], "kinds": [...], "where": [[step, actor, label], ...]}
    {"actors": [...], "events": [[actor, vtime, request, reply], ...]}
    {"end": {...run.end...}}

Requests and replies are the exact msgpack envelopes exchanged with the page-cache actor.
Version 2 adds ``where``: for each choice, the step it decided, the actor and its pending label,
so a strict replay can name the first choice whose context changed. Version 3 is version 2 with
the ops on the wire named as the kernel names them (``actors/api.py``'s ``RENAMED_OPS``); the
layout is the same, so versions 1 and 2 are still read (version 1, without ``where``, replays
with the kind/range checks only; a recording from another pcemu version is refused anyway
unless replay is forced).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack

from emulator.engine.choices import ChoiceRecord
from emulator.engine.events import step_event
from emulator.errors import BadInput
from emulator.run.recording import Recording

FORMAT = "pcemu-trace"
VERSION = 3
READABLE = (1, 2, 3)


def write_trace(path: Path, t: Recording) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    records = t.choices or []
    with path.open("wb") as f:
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
    values, ns, kinds = list(ch["choices"]), list(ch["ns"]), list(ch["kinds"])
    if not len(values) == len(ns) == len(kinds):
        raise ValueError("choice lists of different lengths")
    if "where" in ch:
        wheres: list[tuple[int, str, str] | None] = [
            (int(s), str(a), str(lab)) for s, a, lab in ch["where"]
        ]
        if len(wheres) != len(values):
            raise ValueError("choice contexts of a different length")
    else:
        wheres = [None] * len(values)  # a version 1 file, recorded without contexts
    return [
        ChoiceRecord(int(v), int(n), str(k), w)
        for v, n, k, w in zip(values, ns, kinds, wheres, strict=True)
    ]


def read_trace(path: Path) -> Recording:
    if not path.is_file():
        raise BadInput(f"trace file {str(path)!r} does not exist; give the --trace file of a run")
    data = path.read_bytes()
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    parts: list[Any] = []
    try:
        parts.extend(unpacker)
    except (msgpack.ExtraData, msgpack.FormatError, msgpack.StackError, ValueError) as exc:
        raise BadInput(
            f"trace file {str(path)!r} is corrupt ({exc}); re-run with --trace"
        ) from None
    if not parts or not isinstance(parts[0], dict) or parts[0].get("format") != FORMAT:
        raise BadInput(f"{str(path)!r} is not a pcemu trace file (no {FORMAT} header)")
    version = parts[0].get("version")
    if version not in READABLE:
        raise BadInput(
            f"trace file {str(path)!r} has format version {version!r}; this pcemu reads versions "
            f"{', '.join(map(str, READABLE))}: replay it with the pcemu that wrote it"
        )
    if len(parts) < 4 or not all(isinstance(p, dict) for p in parts[:4]):
        raise BadInput(
            f"trace file {str(path)!r} is truncated ({len(parts)} of 4 sections); "
            "re-run the seed from its header instead"
        )
    head, ch, ev, end = parts[:4]
    try:
        return Recording(
            header=dict(head["header"]),
            end=dict(end["end"]),
            choices=_records(ch),
            actors=list(ev["actors"]),
            events=[step_event(e) for e in ev["events"]],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(
            f"trace file {str(path)!r} is malformed ({exc}); re-run with --trace"
        ) from None
