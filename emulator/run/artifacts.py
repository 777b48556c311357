"""Writing what a run leaves behind: its log and its trace file, and the commands that
reproduce it."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from emulator.engine.config import RunResult
from emulator.engine.events import PARKS
from emulator.engine.strategies import has_campaign
from emulator.run.catalog import is_script
from emulator.run.logs import write_log
from emulator.run.recording import Recording
from emulator.run.session import RunSpec
from emulator.run.tracefile import write_trace


def step_events(result: RunResult) -> list[dict[str, Any]]:
    out = []
    for i, ev in enumerate(result.events, 1):
        d = ev.decode()
        out.append(
            {
                "step": i,
                "actor": result.actor_names[ev.actor],
                "vtime": ev.vtime,
                "label": d.label,
                "op": d.op,
                "parked": d.status == PARKS,
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
    rec = Recording.of(header, result)
    if log is not None:
        write_log(log, rec, step_events(result) if log_steps else ())
    if trace is not None:
        write_trace(trace, rec)


def scenario_arg(spec: RunSpec) -> str:
    """How a command names the scenario: a built-in by name, a user script by absolute path
    (so the command works from any directory)."""
    return str(Path(spec.scenario).resolve()) if is_script(spec.scenario) else spec.scenario


def run_command(spec: RunSpec) -> str:
    parts = [
        "pcemu",
        "run",
        scenario_arg(spec),
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
        parts += ["--set", f"{k}={v}"]
    for k, v in sorted(spec.strategy_params.items()):
        parts += ["-p", f"{k}={v}"]
    if spec.budget:
        parts += ["--budget", str(spec.budget)]
    if spec.mem is not None:
        parts += ["--mem", spec.mem.lower()]
    return shlex.join(parts)


def replay_command(spec: RunSpec, path: Path) -> str:
    """``pcemu replay FILE``, with ``--script PATH`` for a recording of a user script."""
    parts = ["pcemu", "replay", str(path)]
    if is_script(spec.scenario):
        parts += ["--script", scenario_arg(spec)]
    return shlex.join(parts)


def repro_commands(spec: RunSpec, log: Path | None, trace: Path | None) -> list[str]:
    # A run of a strategy with cross-run state (rff) is a function of its seed and the runs of
    # its hunt before it: only its recorded choices reproduce it.
    cmds = [] if has_campaign(spec.strategy) else [run_command(spec)]
    if log is not None:
        cmds.append(replay_command(spec, log))
    if trace is not None:
        cmds.append(replay_command(spec, trace))
    return cmds
