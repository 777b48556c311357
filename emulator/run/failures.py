"""What a run that went wrong in scenario or model code reports: building a scenario that
raises, an actor whose code raised (``crash_error``), the scenario line of a traceback, and the
pieces ``session.step_error`` uses to name the step a model raised in."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from emulator.engine.config import RunResult
from emulator.engine.violations import Crash
from emulator.errors import ScenarioError
from emulator.run.scenario import Scenario, Setup


def build(scen: Scenario, variant: str, opts: Mapping[str, str]) -> Setup:
    try:
        return scen.build(variant, opts)
    except Exception as exc:
        crash = Crash.of("-", exc)
        where = scenario_line(scen, crash.traceback) or crash.where
        raise ScenarioError(
            f"scenario {scen.name}: build({variant!r}) raised {crash.exc_line} at {where}; "
            "fix the scenario (-v shows the traceback)",
            crash.traceback,
        ) from None


def scenario_line(scen: Scenario, tb: str) -> str | None:
    """The innermost line of the scenario's own file in a formatted traceback."""
    src = scen.source if scen.is_script else getattr(scen.build, "__code__", None)
    path = src if isinstance(src, str) else getattr(src, "co_filename", None)
    if not path:
        return None
    found = None
    for line in tb.splitlines():
        s = line.strip()
        if s.startswith(f'File "{path}", line '):
            rest = s[len(f'File "{path}", line ') :]
            num, _, fn = rest.partition(", in ")
            found = f"{Path(path).name}:{num} in {fn}"
    return found


def crash_error(scen: Scenario, result: RunResult) -> ScenarioError:
    """The one line for a run that ended in outcome ``error`` (an actor's code raised)."""
    o = result.outcome
    crash = o.crash
    actor = crash.actor if crash is not None else "?"
    tb = crash.traceback if crash is not None else (o.error or "")
    exc_line = crash.exc_line if crash is not None else (o.error or "?").splitlines()[-1]
    label = "-"
    for ev in reversed(result.events):
        if 0 <= ev.actor < len(result.actor_names) and result.actor_names[ev.actor] == actor:
            label = ev.decode().label
            break
    where = scenario_line(scen, tb) or (crash.where if crash is not None else "?")
    return ScenarioError(
        f"scenario {scen.name}: actor {actor} raised {exc_line} after step [{label}] at "
        f"{where}; a bug in the scenario or in pcemu, not a race (-v shows the traceback)",
        tb,
    )


def leaf(exc: BaseException) -> BaseException:
    """The one exception inside trio's exception groups."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _loop_slot(tb: TracebackType | None) -> Any:
    """The actor slot the runtime was applying when the model raised (its hub loop's local)."""
    slot = None
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "_loop" and "slot" in tb.tb_frame.f_locals:
            slot = tb.tb_frame.f_locals["slot"]
        tb = tb.tb_next
    return slot
