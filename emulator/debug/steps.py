"""The analysis ``explain`` builds and renders: explained steps, arrows between them, object
generations; decoding the step events into steps; the locks each actor holds; wake-up arrows.
Filled in by ``from_facts`` (a model that states facts) or ``from_text`` (one that does not)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.debug.sourcemap import SourceLine
from emulator.engine.config import RunResult
from emulator.engine.events import FIRES, OK, PARKS
from emulator.engine.model import Model
from emulator.engine.violations import ViolationReport
from emulator.run.scenario import Scenario

__all__ = ["FIRES", "OK", "PARKS", "Arrow", "Explanation", "Life", "Step"]


@dataclass
class Step:
    n: int  # 1-based, as in the violation report
    actor: int
    name: str
    vtime: int
    label: str
    op: str
    args: tuple[Any, ...]
    result: Any
    status: str  # OK, PARKS or FIRES
    text: str  # the model's description, with the values read and returned
    source: SourceLine | None = None
    objects: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, oid, gen)
    takes: str | None = None
    releases: str | None = None
    waits: str | None = None
    took: tuple[str, ...] = ()  # every lock taken (``takes`` shows them)
    released: tuple[str, ...] = ()  # every lock released (``releases`` shows them)
    held: tuple[str, ...] = ()  # this actor's locks after the step
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Arrow:
    kind: str  # "wake" or "reuse"
    src: int  # step numbers
    dst: int
    text: str


@dataclass
class Life:
    """One generation of one object: where it was first and last seen."""

    kind: str
    oid: int
    gen: int
    first: int
    last: int
    by: str  # "CPU2 [F1]": the step that first showed this generation


@dataclass
class Explanation:
    header: dict[str, Any]
    scenario: Scenario
    actors: list[str]
    steps: list[Step]
    arrows: list[Arrow]
    lives: list[Life]
    violation: ViolationReport | None
    status: str
    error: str | None
    trace_hash: str
    switches: int
    snapshot: list[str]
    warnings: list[str] = field(default_factory=list)

    def blocks(self) -> list[list[Step]]:
        """Consecutive steps of one actor: the numbered blocks of the interleaving."""
        out: list[list[Step]] = []
        for s in self.steps:
            if out and out[-1][0].actor == s.actor:
                out[-1].append(s)
            else:
                out.append([s])
        return out


def decoded_steps(result: RunResult, model: Model | None) -> list[Step]:
    """Every step event, decoded once, with the model's description of it."""
    steps = []
    for n, ev in enumerate(result.events, 1):
        d = ev.decode()
        res = d.result
        if model is not None:
            text = model.describe(d.op, d.args, res)
        else:
            text = f"{d.op}{d.args!r} = {res!r}"
        name = result.actor_names[ev.actor]
        steps.append(Step(n, ev.actor, name, ev.vtime, d.label, d.op, d.args, res, d.status, text))
    return steps


def track_held(steps: list[Step], n_actors: int) -> None:
    """Each actor's locks after each step, from the takes and releases already found."""
    held: list[list[str]] = [[] for _ in range(n_actors)]
    for s in steps:
        mine = held[s.actor]
        for key in s.took:
            mine.append(key)
        for key in s.released:
            if key in mine:
                mine.reverse()
                mine.remove(key)  # the innermost hold of a nested lock (RCU nesting)
                mine.reverse()
            else:
                s.notes.append(f"releases {key}, which {s.name} does not hold")
        s.held = tuple(mine)


def wake_arrows(
    steps: list[Step], wakes: Sequence[tuple[int, int]], names: Sequence[str]
) -> list[Arrow]:
    """Arrows from the step that woke a parked actor (recorded by the runtime) to that actor's
    resumed step, its next one."""
    arrows = []
    for waker_n, woken in wakes:
        if not 1 <= waker_n <= len(steps):
            continue
        waker = steps[waker_n - 1]
        resumed = next((t for t in steps[waker_n:] if t.actor == woken), None)
        what = f" ({waker.releases})" if waker.releases else ""
        if resumed is None:
            waker.notes.append(f"wakes {names[woken]}{what}; the run ended before it resumed")
            continue
        parked = next(
            (t for t in reversed(steps[: waker_n - 1]) if t.actor == woken and t.status == PARKS),
            None,
        )
        arrows.append(Arrow("wake", waker.n, resumed.n, f"wakes {resumed.name}{what}"))
        waker.notes.append(f"wakes {resumed.name}{what}: it resumes at step {resumed.n}")
        since = f", parked at step {parked.n}" if parked is not None else ""
        resumed.notes.append(f"resumes{since}: woken by {waker.name} at step {waker.n}")
    return arrows
