"""Replay a recorded run from its log (seed + options) or its trace file (the exact choices),
and say whether the recorded outcome, violation and trace hash were reproduced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.engine.choices import Replay
from emulator.engine.config import RunResult
from emulator.engine.events import OK, PARKS, StepEvent
from emulator.errors import BadInput
from emulator.run.logs import check_version, read_log
from emulator.run.session import RunSpec, execute
from emulator.run.tracefile import read_trace


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
            mem=str(h["mem"]) if h.get("mem") is not None else None,
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
    recorded: Sequence[StepEvent],
    live: Sequence[StepEvent],
    actors: Sequence[str],
) -> str | None:
    """The first step where the replayed run did something else than the recording (same
    choices can still hide changed code: another argument, another result)."""
    for i, (r, lv) in enumerate(zip(recorded, live, strict=False), 1):
        if r.actor != lv.actor or r.request != lv.request or r.reply != lv.reply:
            return (
                f"first different step {i}: recorded {_step(r, actors)}, replay {_step(lv, actors)}"
            )
    if len(recorded) != len(live):
        return f"step count: recorded {len(recorded)}, replay {len(live)}"
    return None


def _step(ev: StepEvent, actors: Sequence[str]) -> str:
    d = ev.decode()
    name = actors[ev.actor] if 0 <= ev.actor < len(actors) else f"actor {ev.actor}"
    if d.status == OK:
        res = repr(d.result)
    else:
        res = "parks" if d.status == PARKS else "violation"
    return f"{name} [{d.label}] {d.op}{d.args!r} -> {res}"


def replay_log(path: Path, force: bool = False, facts: bool = False) -> Verdict:
    rec = read_log(path)
    check_version(rec.header.get("pcemu"), f"log {str(path)!r}", force)
    spec = spec_from_header(rec.header, f"log {str(path)!r}")
    _scen, result = execute(spec, facts=facts, sites=facts)
    diffs = compare(rec.end, result)
    return Verdict(not diffs, diffs, spec, rec.header, result)


def replay_trace(path: Path, force: bool = False, facts: bool = False) -> Verdict:
    t = read_trace(path)
    check_version(t.header.get("pcemu"), f"trace {str(path)!r}", force)
    spec = spec_from_header(t.header, f"trace {str(path)!r}")
    _scen, result = execute(spec, Replay.strict(t.choices or []), facts=facts, sites=facts)
    diffs = compare(t.end, result)
    if diffs and not result.divergence:
        first = first_event_difference(t.events, result.events, t.actors)
        if first:
            diffs.insert(0, first)
    return Verdict(not diffs, diffs, spec, t.header, result)


def replay_file(path: Path, force: bool = False, facts: bool = False) -> Verdict:
    """A trace file starts with a msgpack map; a log with '{'. With ``facts``, the replay
    also keeps the facts and source sites of every step (for ``explain``)."""
    if not path.is_file():
        raise BadInput(f"file {str(path)!r} does not exist; give a run's --log or --trace file")
    with path.open("rb") as f:
        first = f.read(1)
    if first == b"{":
        return replay_log(path, force, facts)
    if (first and first[0] & 0xF0 == 0x80) or first in (b"\xde", b"\xdf"):
        return replay_trace(path, force, facts)
    raise BadInput(
        f"{str(path)!r} is neither a pcemu JSON-lines log nor a trace file; "
        "give the file written by --log or --trace"
    )
