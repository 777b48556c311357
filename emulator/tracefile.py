"""Trace files: a msgpack stream with a versioned header, the choices, the events, the end.

    {"format": "pcemu-trace", "version": 2, "header": {...run.start...}}
    {"choices": [...], "ns": [...], "kinds": [...], "where": [[step, actor, label], ...]}
    {"actors": [...], "events": [[actor, vtime, request, reply], ...]}
    {"end": {...run.end...}}

Requests and replies are the exact msgpack envelopes exchanged with the page-cache actor.
Version 2 adds ``where``: for each choice, the step it decided, the actor and its pending label,
so a strict replay can name the first choice whose context changed. Version 1 files (no
``where``) are still read and replayed with the kind/range checks only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from emulator.choices import Where
from emulator.errors import BadInput

FORMAT = "pcemu-trace"
VERSION = 3
READABLE = (1, 2, 3)


@dataclass
class Trace:
    header: dict[str, Any]
    choices: tuple[list[int], list[int], list[str]]
    actors: list[str]
    events: list[tuple[int, int, bytes, bytes]]
    end: dict[str, Any]
    where: list[Where] | None = None  # None: a version 1 file, recorded without contexts


def write_trace(path: Path, t: Trace) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    values, ns, kinds = t.choices
    with path.open("wb") as f:
        f.write(msgpack.packb({"format": FORMAT, "version": VERSION, "header": t.header}))
        choices: dict[str, Any] = {"choices": values, "ns": ns, "kinds": kinds}
        if t.where is not None:
            choices["where"] = [list(w) for w in t.where]
        f.write(msgpack.packb(choices))
        f.write(msgpack.packb({"actors": t.actors, "events": [list(e) for e in t.events]}))
        f.write(msgpack.packb({"end": t.end}))


def read_trace(path: Path) -> Trace:
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
        return Trace(
            header=dict(head["header"]),
            choices=(list(ch["choices"]), list(ch["ns"]), list(ch["kinds"])),
            actors=list(ev["actors"]),
            events=[(int(a), int(t), bytes(q), bytes(r)) for a, t, q, r in ev["events"]],
            end=dict(end["end"]),
            where=[(int(s), str(a), str(lab)) for s, a, lab in ch["where"]]
            if "where" in ch
            else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(
            f"trace file {str(path)!r} is malformed ({exc}); re-run with --trace"
        ) from None
