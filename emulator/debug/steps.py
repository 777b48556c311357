"""The analysis ``explain`` builds and renders: explained steps, arrows between them, object
generations; decoding the step events into steps; the locks each actor holds; wake-up arrows.
Filled in by ``from_facts`` (a model that states facts) or ``from_text`` (one that does not)."""

from __future__ import annotations

import inspect
import re
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

OBJ_RE = re.compile(r"\b([A-Za-z_]\w*)#(\d+) gen (\d+)")

# Parameter names that hold a virtual address, in the model's own signature of a primitive.
ADDRESS_PARAMS = frozenset({"addr", "uaddr", "address", "vaddr"})


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
    arg_objects: list[tuple[str, int, int]] = field(default_factory=list)
    result_objects: list[tuple[str, int, int]] = field(default_factory=list)
    key: str | None = None  # the key fact of the race, when this step shows it
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
    keys: list[Step] = field(default_factory=list)  # steps that show the race's key fact
    folds: list[Any] = field(default_factory=list)  # explain_analysis.Fold: repeated windows
    stale: list[Any] = field(default_factory=list)  # explain_memory.StaleRead: stale loads
    mem: str = "SC"  # the run's memory mode

    def blocks(self) -> list[list[Step]]:
        """Consecutive steps of one actor: the numbered blocks of the interleaving."""
        out: list[list[Step]] = []
        for s in self.steps:
            if out and out[-1][0].actor == s.actor:
                out[-1].append(s)
            else:
                out.append([s])
        return out


class Hex(int):
    """An address argument: shown as ``0x1000`` by any ``repr``-based description."""

    def __repr__(self) -> str:
        return hex(self)

    __str__ = __repr__


def op_signature(model: Model | None, op: str) -> inspect.Signature | None:
    """The model's own signature of a primitive: ``model.op_signature(op)`` when the model
    offers it, else that of its ``op_<name>`` method (the kernel model's convention)."""
    if model is None:
        return None
    hook = getattr(model, "op_signature", None)
    if callable(hook):
        sig = hook(op)
        return sig if isinstance(sig, inspect.Signature) else None
    fn = getattr(model, f"op_{op}", None)
    if not callable(fn):
        return None
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


class Describer:
    """A step in the model's own words, with two things the bare description loses: address
    arguments in hex (the parameters the model's signature names as addresses) and a ``None``
    result of a primitive that returns a value (``pte_read(...) = None``: no pte), which a
    description leaves out as if the primitive returned nothing."""

    def __init__(self, model: Model | None) -> None:
        self.model = model
        self._cache: dict[str, tuple[frozenset[int], bool]] = {}

    def _shape(self, op: str) -> tuple[frozenset[int], bool]:
        got = self._cache.get(op)
        if got is not None:
            return got
        sig = op_signature(self.model, op)
        hexed: set[int] = set()
        returns = False
        if sig is not None:
            params = [p for p in sig.parameters.values() if p.name not in ("self", "actor")]
            for i, p in enumerate(params):
                name = p.name.lower()
                if name in ADDRESS_PARAMS or name.endswith("_addr"):
                    hexed.add(i)
            # "Ref | None": None is one of the answers (no pte, no page), worth showing.
            ann = str(sig.return_annotation).replace("typing.", "")
            returns = "None" in ann.replace("|", " ").replace(",", " ").split() and ann != "None"
            returns = returns or ann.startswith("Optional[")
        got = self._cache[op] = (frozenset(hexed), returns)
        return got

    def args(self, op: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
        hexed, _ = self._shape(op)
        return tuple(
            Hex(a) if i in hexed and type(a) is int and a >= 0 else a for i, a in enumerate(args)
        )

    def text(self, op: str, args: tuple[Any, ...], result: Any, status: str) -> str:
        shown = self.args(op, args)
        if self.model is None:
            return f"{op}{shown!r} = {result!r}"
        text = self.model.describe(op, shown, result)
        if result is None and status == OK and self._shape(op)[1]:
            text += " = None"
        return text

    def objects(self, op: str, args: tuple[Any, ...], result: Any) -> tuple[list[Any], list[Any]]:
        """The objects named by the arguments and by the result, from the description."""
        if self.model is None:
            return [], []
        a = [(k, int(o), int(g)) for k, o, g in OBJ_RE.findall(self.model.describe(op, args, None))]
        head = self.model.describe(op, (), None)
        whole = self.model.describe(op, (), result) if result is not None else head
        tail = whole[len(head) :] if whole.startswith(head) else whole
        r = [(k, int(o), int(g)) for k, o, g in OBJ_RE.findall(tail)]
        return a, r


def decoded_steps(result: RunResult, model: Model | None) -> list[Step]:
    """Every step event, decoded once, with the model's description of it."""
    steps = []
    desc = Describer(model)
    for n, ev in enumerate(result.events, 1):
        d = ev.decode()
        res = d.result
        text = desc.text(d.op, d.args, res, d.status)
        name = result.actor_names[ev.actor]
        s = Step(n, ev.actor, name, ev.vtime, d.label, d.op, d.args, res, d.status, text)
        s.arg_objects, s.result_objects = desc.objects(d.op, d.args, res)
        steps.append(s)
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
