"""What a run that went wrong in scenario or model code reports: building a scenario that
raises, an actor whose code raised (``crash_error``), the scenario line of a traceback, and the
pieces ``session.step_error`` uses to name the step a model raised in."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from emulator.engine.config import RunResult
from emulator.engine.port import ActorSpec
from emulator.engine.violations import ERROR, Crash
from emulator.errors import ScenarioError
from emulator.run.scenario import Scenario, Setup


def build(scen: Scenario, variant: str, opts: Mapping[str, str]) -> Setup:
    """``scen.build(variant, opts)``, checked: an exception out of it, or anything but a
    well-formed ``Setup`` back, is a ``ScenarioError`` that blames the scenario."""
    try:
        setup = scen.build(variant, opts)
    except (Exception, SystemExit) as exc:  # a script's sys.exit() is its bug too
        crash = Crash.of("-", exc)
        where = scenario_line(scen, crash.traceback) or crash.where
        raise ScenarioError(
            f"scenario {scen.name}: build({variant!r}) raised {crash.exc_line} at {where}; "
            "fix the scenario (-v shows the traceback)",
            crash.traceback,
        ) from None
    # Checked once per program and process: a run's build is a pure function of them, and
    # the check (~13 us) would be 1 % of every run of a hunt.
    # (Unsorted: two orders of the same options only mean one more check.)
    key = (scen.name, scen.source, variant, tuple(opts.items()))
    if key not in _CHECKED:
        wrong = setup_problem(setup)
        if wrong is not None:
            raise ScenarioError(f"scenario {scen.name}: build({variant!r}) returned {wrong}")
        _CHECKED.add(key)
    return setup


_CHECKED: set[tuple[str, str, str, tuple[tuple[str, str], ...]]] = set()


SETUP = "emulator.run.scenario.Setup(model=..., actors=[actor(name, program), ...])"
MODEL_METHODS = ("bind", "apply", "wait_info", "actor_exit", "finish", "describe")


def shown(value: object, most: int = 40) -> str:
    """A value as a message names it: its repr when that is short and says what it is (cut
    short, for a long string), else its type."""
    try:
        text = repr(value)
    except Exception:  # a user object whose __repr__ raises
        text = ""
    if isinstance(value, str) and len(text) > most:
        return text[: most - 4] + "...'"
    if value is None or isinstance(value, bool | int | float | str):
        return text
    kind = f"a {type(value).__name__}"
    if not text or len(text) > most or " at 0x" in text:
        return kind
    return f"{text} ({kind})"


def _sequence(value: object) -> bool:
    return isinstance(value, list | tuple)


def setup_problem(setup: object) -> str | None:
    """What is wrong with what a scenario's build returned (the words after "returned"), or
    None when it is a well-formed Setup: a model, actors with distinct names and programs,
    chaos windows of label pairs and a directed schedule that is a list."""
    if not isinstance(setup, Setup):
        return f"{shown(setup)}, not a Setup; it must return {SETUP}"
    model = setup.model
    missing = [m for m in MODEL_METHODS if not callable(getattr(model, m, None))]
    if missing:
        return (
            f"a Setup whose model is {shown(model)}, which has no {missing[0]}() method; give "
            "the model the actors' steps are applied to (e.g. PageCacheModel())"
        )
    actors = setup.actors
    if not _sequence(actors) or not actors:
        return (
            f"a Setup whose actors is {shown(actors)}; give a non-empty list of actors, "
            "e.g. actors=[actor('CPU0', program), ...]"
        )
    names: set[str] = set()
    for i, a in enumerate(actors):
        if not isinstance(a, ActorSpec):
            return (
                f"a Setup whose actors[{i}] is {shown(a)}, not an actor; make each one with "
                "actor(name, program)"
            )
        if not isinstance(a.name, str) or not a.name:
            return f"a Setup whose actors[{i}] is named {shown(a.name)}; name it with a string"
        if a.name in names:
            return f"a Setup with two actors named {a.name!r}; give each actor its own name"
        if not callable(a.program):
            return (
                f"a Setup whose actor {a.name} has program {shown(a.program)}; give an async "
                "function, actor(name, program)"
            )
        names.add(a.name)
    windows = setup.windows
    if not _sequence(windows):
        return f"a Setup whose windows is {shown(windows)}; give a list of (label, label) pairs"
    for i, w in enumerate(windows):
        if not (_sequence(w) and len(w) == 2 and all(isinstance(x, str) for x in w)):
            return (
                f"a Setup whose windows[{i}] is {shown(w)}; each chaos window is a pair of "
                "step labels, e.g. ('D1b', 'D2')"
            )
    if not _sequence(setup.directed):
        return (
            f"a Setup whose directed is {shown(setup.directed)}; give a list of (actor, label) "
            "pairs"
        )
    for i, d in enumerate(setup.directed):
        if not (
            _sequence(d)
            and (len(d) == 2 or (len(d) == 3 and d[2] == "weak"))
            and all(isinstance(x, str) for x in d)
        ):
            return (
                f"a Setup whose directed[{i}] is {shown(d)}; write (actor, label) pairs, or "
                '(actor, label, "weak")'
            )
    return None


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


def _crash(scen: Scenario, result: RunResult) -> tuple[str, str]:
    """What an actor's exception ended a run with, in one line ("actor CPU1 raised
    RuntimeError: boom after step [T1] at race.py:45 in truncate"), and its traceback."""
    o = result.outcome
    crash = o.crash
    actor = crash.actor if crash is not None else "?"
    tb = crash.traceback if crash is not None else (o.error or "")
    lines = (o.error or "?").strip().splitlines() or ["?"]
    exc_line = crash.exc_line if crash is not None else lines[-1]
    label = "-"
    for ev in reversed(result.events):
        if 0 <= ev.actor < len(result.actor_names) and result.actor_names[ev.actor] == actor:
            label = ev.decode().label
            break
    where = scenario_line(scen, tb) or (crash.where if crash is not None else "?")
    return f"actor {actor} raised {exc_line} after step [{label}] at {where}", tb


def crash_error(scen: Scenario, result: RunResult) -> ScenarioError:
    """The one line for a run that ended in outcome ``error`` (an actor's code raised)."""
    what, tb = _crash(scen, result)
    return ScenarioError(
        f"scenario {scen.name}: {what}; a bug in the scenario or in pcemu, not a race "
        "(-v shows the traceback)",
        tb,
    )


def brief_crash(scen: Scenario, result: RunResult) -> None:
    """A recorded run that ended in an actor's exception, as ``replay`` and ``explain`` report
    it without ``-v``: the one line ``crash_error`` names it by, in place of the traceback."""
    o = result.outcome
    if o.status == ERROR:
        what, _tb = _crash(scen, result)
        result.outcome = dataclasses.replace(o, error=f"{what} (-v shows the traceback)")


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
