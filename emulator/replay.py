"""Replay a recorded run from its log (seed + options) or its trace file (the exact choices),
and say whether the recorded outcome, violation and trace hash were reproduced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from emulator.errors import BadInput
from emulator.logs import check_version, read_log
from emulator.runtime import RunResult
from emulator.session import RunSpec, execute
from emulator.tracefile import read_trace


@dataclass
class Verdict:
    reproduced: bool
    differences: list[str]
    spec: RunSpec
    header: dict[str, Any]
    result: RunResult


def spec_from_header(h: dict[str, Any], what: str) -> RunSpec:
    try:
        return RunSpec(
            scenario=str(h["scenario"]),
            variant=str(h["variant"]),
            seed=int(h["seed"]),
            strategy=str(h["strategy"]),
            strategy_params=dict(h.get("strategy_params") or {}),
            schedule=str(h.get("schedule", "seeded")),
            options={str(k): str(v) for k, v in (h.get("options") or {}).items()},
            budget=int(h["budget"]) if h.get("budget") is not None else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(
            f"{what} has a malformed run.start header ({exc!r} missing or bad)"
        ) from None


def compare(end: dict[str, Any], result: RunResult) -> list[str]:
    o = result.outcome
    diffs = []
    if result.divergence:
        # Everything after the first divergent choice is a consequence of it: say only that.
        return [f"diverged: {result.divergence}", f"replay stopped after {o.steps} steps"]
    if end.get("outcome") != o.status:
        diffs.append(f"outcome: recorded {end.get('outcome')}, replay {o.status}")
    rv = end.get("violation") or {}
    lv = o.violation.as_dict() if o.violation else {}
    for key in ("oracle", "step", "actor", "label"):
        if rv.get(key) != lv.get(key):
            diffs.append(f"violation {key}: recorded {rv.get(key)}, replay {lv.get(key)}")
    if end.get("trace_hash") != o.trace_hash:
        diffs.append(f"trace hash: recorded {end.get('trace_hash')}, replay {o.trace_hash}")
    return diffs


def first_event_difference(
    recorded: Sequence[tuple[int, int, bytes, bytes]],
    live: Sequence[tuple[int, int, bytes, bytes]],
    actors: Sequence[str],
) -> str | None:
    """The first step where the replayed run did something else than the recording (same
    choices can still hide changed code: another argument, another result)."""
    for i, (r, lv) in enumerate(zip(recorded, live, strict=False), 1):
        if r[0] != lv[0] or r[2] != lv[2] or r[3] != lv[3]:
            return (
                f"first different step {i}: recorded {_step(r, actors)}, replay {_step(lv, actors)}"
            )
    if len(recorded) != len(live):
        return f"step count: recorded {len(recorded)}, replay {len(live)}"
    return None


def _step(ev: tuple[int, int, bytes, bytes], actors: Sequence[str]) -> str:
    _seq, _src, _dst, op, label, args = msgpack.unpackb(ev[2], use_list=False)
    name = actors[ev[0]] if 0 <= ev[0] < len(actors) else f"actor {ev[0]}"
    if ev[3] == b"":
        res = "parks"
    elif ev[3] == b"!":
        res = "violation"
    else:
        res = repr(msgpack.unpackb(ev[3], use_list=False)[1])
    return f"{name} [{label}] {op}{args!r} -> {res}"


def replay_log(path: Path, force: bool = False) -> Verdict:
    start, end = read_log(path)
    check_version(start.get("pcemu"), f"log {str(path)!r}", force)
    spec = spec_from_header(start, f"log {str(path)!r}")
    _scen, result = execute(spec)
    diffs = compare(end, result)
    return Verdict(not diffs, diffs, spec, start, result)


def replay_trace(path: Path, force: bool = False) -> Verdict:
    t = read_trace(path)
    check_version(t.header.get("pcemu"), f"trace {str(path)!r}", force)
    spec = spec_from_header(t.header, f"trace {str(path)!r}")
    _scen, result = execute(spec, replay=t.choices, where=t.where)
    diffs = compare(t.end, result)
    if diffs and not result.divergence:
        first = first_event_difference(t.events, result.events, t.actors)
        if first:
            diffs.insert(0, first)
    return Verdict(not diffs, diffs, spec, t.header, result)


def replay_file(path: Path, force: bool = False) -> Verdict:
    """A trace file starts with a msgpack map; a log with '{'."""
    if not path.is_file():
        raise BadInput(f"file {str(path)!r} does not exist; give a run's --log or --trace file")
    with path.open("rb") as f:
        first = f.read(1)
    if first == b"{":
        return replay_log(path, force)
    if (first and first[0] & 0xF0 == 0x80) or first in (b"\xde", b"\xdf"):
        return replay_trace(path, force)
    raise BadInput(
        f"{str(path)!r} is neither a pcemu JSON-lines log nor a trace file; "
        "give the file written by --log or --trace"
    )
