"""Writing what a run leaves behind: its log and its trace file, and the commands that
reproduce it."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import msgpack

from emulator.logs import write_log
from emulator.runtime import RunResult
from emulator.session import RunSpec
from emulator.tracefile import Trace, write_trace


def end_event(result: RunResult) -> dict[str, Any]:
    return result.outcome.as_dict()


def step_events(result: RunResult) -> list[dict[str, Any]]:
    out = []
    for i, (actor, vtime, req, rep) in enumerate(result.events, 1):
        _seq, _src, _dst, op, label, _args = msgpack.unpackb(req, use_list=False)
        out.append(
            {
                "step": i,
                "actor": result.actor_names[actor],
                "vtime": vtime,
                "label": label,
                "op": op,
                "parked": rep == b"",
            }
        )
    return out


def save(
    header: dict[str, Any],
    result: RunResult,
    log: Path | None,
    trace: Path | None,
    log_steps: bool = False,
) -> None:
    if log is not None:
        write_log(log, header, end_event(result), step_events(result) if log_steps else ())
    if trace is not None:
        write_trace(
            trace,
            Trace(
                header,
                result.choices,
                result.actor_names,
                result.events,
                end_event(result),
                where=result.where,
            ),
        )


def run_command(spec: RunSpec) -> str:
    parts = [
        "pcemu",
        "run",
        spec.scenario,
        "--variant",
        spec.variant,
        "--seed",
        str(spec.seed),
        "--strategy",
        spec.strategy,
    ]
    if spec.schedule != "seeded":
        parts += ["--schedule", spec.schedule]
    for k, v in sorted(spec.options.items()):
        parts += ["-o", f"{k}={v}"]
    for k, v in sorted(spec.strategy_params.items()):
        parts += ["-p", f"{k}={v}"]
    if spec.budget:
        parts += ["--budget", str(spec.budget)]
    return shlex.join(parts)


def repro_commands(spec: RunSpec, log: Path | None, trace: Path | None) -> list[str]:
    cmds = [run_command(spec)]
    if log is not None:
        cmds.append(shlex.join(["pcemu", "replay", str(log)]))
    if trace is not None:
        cmds.append(shlex.join(["pcemu", "replay", str(trace)]))
    return cmds
