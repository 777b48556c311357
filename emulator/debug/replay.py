"""Replay a recorded run from its log (seed + options) or its trace file (the exact choices),
and say whether the recorded outcome, violation and trace hash were reproduced."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.engine.choices import Replay
from emulator.engine.config import RunResult
from emulator.engine.events import OK, PARKS, StepEvent
from emulator.errors import BadInput
from emulator.run.catalog import is_script, script_hash
from emulator.run.inputs import input_file, reading
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
    end: dict[str, Any] = field(default_factory=dict)  # the recorded run.end


def spec_from_header(
    h: dict[str, Any], what: str, script: Path | None = None, force: bool = False
) -> RunSpec:
    """The run a recording's (schema-checked) header describes. A recording of a user script
    names the script but never loads it: the user names it again with ``--script``, and its
    bytes must hash to the recorded sha256."""
    scenario = recorded_scenario(h, what, script, force)
    return RunSpec(
        scenario=scenario,
        variant=h["variant"],
        seed=h["seed"],
        strategy=h["strategy"],
        strategy_params=dict(h.get("strategy_params") or {}),
        schedule=h.get("schedule") or "seeded",
        options=dict(h.get("options") or {}),
        budget=h.get("budget"),
        mem=h.get("mem"),
    )


def recorded_scenario(h: dict[str, Any], what: str, script: Path | None, force: bool) -> str:
    name = h["scenario"]
    recorded = h.get("script")
    if recorded is None and not is_script(name):
        if script is not None:
            raise BadInput(
                f"{what} records built-in scenario {name!r}, not a script; drop --script"
            )
        return str(name)
    shown = str(recorded or name)
    if script is None:
        raise BadInput(
            f"{what} records user scenario script {shown!r}; pcemu never runs a script a file "
            f"names: pass --script {shlex.quote(shown)} to replay it (that runs the script)"
        )
    want = h.get("script_sha256")
    if not isinstance(want, str):
        raise BadInput(
            f"{what} records no sha256 of its scenario script; re-record it with "
            f"pcemu run {shlex.quote(str(script))} --log/--trace"
        )
    got = script_hash(script)
    if got != want and not force:
        raise BadInput(
            f"--script {str(script)!r} is not the script {what} recorded (sha256 {got[:12]}..., "
            f"recorded {want[:12]}...); give the script as it was when the run was recorded, or "
            "pass --force to replay this one against the recording"
        )
    return str(script)


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
    name = actors[ev.actor] if 0 <= ev.actor < len(actors) else f"actor {ev.actor}"
    try:
        d = ev.decode()
    except Exception:  # a recorded envelope that does not decode: say so, do not crash
        return f"{name} (undecodable step)"
    if d.status == OK:
        res = repr(d.result)
    else:
        res = "parks" if d.status == PARKS else "violation"
    return f"{name} [{d.label}] {d.op}{d.args!r} -> {res}"


def replay_log(
    path: Path,
    force: bool = False,
    facts: bool = False,
    script: Path | None = None,
    stop: Callable[[], bool] | None = None,
) -> Verdict:
    rec = read_log(path)
    check_version(rec.header.get("pcemu"), f"log {str(path)!r}", force)
    spec = spec_from_header(rec.header, f"log {str(path)!r}", script, force)
    _scen, result = execute(spec, facts=facts, sites=facts, stop=stop)
    diffs = compare(rec.end, result)
    return Verdict(not diffs, diffs, spec, rec.header, result, rec.end)


def replay_trace(
    path: Path,
    force: bool = False,
    facts: bool = False,
    script: Path | None = None,
    stop: Callable[[], bool] | None = None,
) -> Verdict:
    t = read_trace(path)
    check_version(t.header.get("pcemu"), f"trace {str(path)!r}", force)
    spec = spec_from_header(t.header, f"trace {str(path)!r}", script, force)
    replay = Replay.strict(t.choices or [])
    _scen, result = execute(spec, replay, facts=facts, sites=facts, stop=stop)
    diffs = compare(t.end, result)
    if diffs and not result.divergence:
        first = first_event_difference(t.events, result.events, t.actors)
        if first:
            diffs.insert(0, first)
    return Verdict(not diffs, diffs, spec, t.header, result, t.end)


def replay_file(
    path: Path,
    force: bool = False,
    facts: bool = False,
    script: Path | None = None,
    stop: Callable[[], bool] | None = None,
) -> Verdict:
    """A trace file starts with a msgpack map; a log with '{'. With ``facts``, the replay
    also keeps the facts and source sites of every step (for ``explain``). ``script``: the
    user scenario script the recording was made from (checked against its recorded sha256).
    ``stop``: ``RunConfig.stop`` of the replay, for a caller that reports nothing of a replay
    it stopped."""
    input_file(path, "file", "give a run's --log or --trace file")
    with reading(path, "file", "give a run's --log or --trace file") as f:
        first = f.read(1)
    if first == b"{":
        return replay_log(path, force, facts, script, stop)
    if (first and first[0] & 0xF0 == 0x80) or first in (b"\xde", b"\xdf"):
        return replay_trace(path, force, facts, script, stop)
    raise BadInput(
        f"{str(path)!r} is neither a pcemu JSON-lines log nor a trace file; "
        "give the file written by --log or --trace"
    )
