"""``pcemu verify -j N``: one bounded search shared by N worker processes.

The search is a set of prefixes left to explore (``verify``'s stacks). A worker takes a few
of them, searches for at most SLICE executions, and sends back what it found and the prefixes
it had not reached yet; this process hands those out again, fewest preemptions first and the
deepest first within a count, as one process would take them. No run is made twice for the
cutting: every prefix handed back is one that would have been run anyway. Each worker keeps one
state table for all its slices (a state explored in one cuts the others).

The verdict "no violation within the bound" is the same as one process's: the search ended
with no prefix left. What is not the same is the count of executions (the state tables are per
process, and which process gets which prefix depends on timing) and, when there are several,
which counterexample is found first; a counterexample is run again here from its choices and
saved like any other.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.engine.config import RunResult
from emulator.engine.verify import Verdict, verify
from emulator.errors import BadInput
from emulator.run import interrupts
from emulator.run.failures import build
from emulator.run.session import RunSpec, build_options, validate

if TYPE_CHECKING:
    from concurrent.futures import Future

# Executions per slice: enough that sending the prefixes back and forth is a small part of a
# slice (a few hundred runs of ~3 ms), few enough that a worker that drew a large subtree hands
# most of it back while the other workers still have work.
SLICE = 200

Root = tuple[tuple[int, ...], int]  # a prefix and the preemptions (or delays) it uses


@dataclass(frozen=True)
class Search:
    """What a worker needs to search prefixes of one variant (small enough to send)."""

    spec: RunSpec
    bound: int
    budget: int
    counting: str
    reduction: str


@dataclass
class Part:
    """One slice's result, as a worker sends it back."""

    executions: int = 0
    cut: int = 0
    states: int = 0
    steps: int = 0
    choices_max: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    frontier: list[Root] = field(default_factory=list)
    witness: tuple[int, ...] | None = None


def program(spec: RunSpec) -> Callable[[], tuple[Any, Any]]:
    scen = validate(spec)
    opts = build_options(scen, spec)

    def make() -> tuple[Any, Any]:
        setup = build(scen, spec.variant, opts)
        return setup.model, setup.actors

    return make


# Per worker process: the variant's builder and the one state table of all its slices.
_state: dict[str, Any] = {}
_stop: Any = None


def _worker_init(stop: Any, parent: int) -> None:
    global _stop
    # The parent decides what a signal means; a Ctrl-C on the terminal reaches every process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    interrupts.die_with_parent(parent)
    _stop = stop


def search_slice(task: Search, roots: list[Root], limit: int) -> Part:
    """Search from ``roots`` in this worker process for at most ``limit`` executions."""
    if _state.get("task") != task:
        _state.update(task=task, make=program(task.spec), seen={})
    seen = _state["seen"]
    before = len(seen)

    def stop() -> bool:
        # Set by the parent on a witness elsewhere, a signal, --max-seconds or --limit.
        return bool(_stop is not None and _stop.is_set())

    v = verify(
        _state["make"],
        lambda r: r.outcome.failed,
        task.bound,
        task.budget,
        limit,
        stop=stop,
        reduction=task.reduction,
        counting=task.counting,
        roots=roots,
        seen=seen,
    )
    return Part(
        v.executions,
        v.cut,
        len(seen) - before,  # new states only: the table is shared by this process's slices
        v.steps,
        v.choices_max,
        v.outcomes,
        v.frontier,
        v.witness_choices if v.witness is not None else None,
    )


def replay_witness(task: Search, choices: Sequence[int]) -> RunResult:
    """The failing run with these choices, run again here (runs are deterministic)."""
    v = verify(
        program(task.spec),
        lambda r: r.outcome.failed,
        task.bound,
        task.budget,
        1,
        reduction="none",
        counting=task.counting,
        roots=((tuple(choices), 0),),
    )
    if v.witness is None:
        raise BadInput("verify -j: a counterexample did not replay; run again with -j 1")
    return v.witness


class _Frontier:
    """The prefixes left to explore: one stack per preemption count, lowest count first."""

    def __init__(self, bound: int) -> None:
        self.stacks: list[list[tuple[int, ...]]] = [[] for _ in range(bound + 1)]

    def add(self, roots: list[Root]) -> None:
        # ``roots`` come in the order to take them: the first ends on top.
        for root, cost in reversed(roots):
            self.stacks[cost].append(root)

    def take(self, n: int) -> list[Root]:
        out: list[Root] = []
        for cost, stack in enumerate(self.stacks):
            while stack and len(out) < n:
                out.append((stack.pop(), cost))
            if out:
                break
        return out

    def __bool__(self) -> bool:
        return any(self.stacks)


def parallel_verify(
    task: Search,
    jobs: int,
    limit: int,
    stop: Callable[[], bool],
    progress: Callable[[Verdict], None] | None = None,
) -> Verdict:
    """The search of ``task`` by ``jobs`` worker processes."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    v = Verdict(bound=task.bound, reduction=task.reduction, kind=task.counting)
    frontier = _Frontier(task.bound)
    frontier.add([((), 0)])
    stopping = multiprocessing.Event()
    pending: set[Future[Part]] = set()
    stopped = False
    pool = ProcessPoolExecutor(
        max_workers=jobs, initializer=_worker_init, initargs=(stopping, os.getpid())
    )
    try:
        while frontier or pending:
            if not stopped and (stop() or v.executions >= limit):
                stopped = True
                stopping.set()
            while not stopped and frontier and len(pending) < jobs:
                # Several prefixes per slice when there are many, so that slices stay full.
                share = max(1, sum(map(len, frontier.stacks)) // (2 * jobs))
                left = min(SLICE, max(1, limit - v.executions))
                pending.add(pool.submit(search_slice, task, frontier.take(share), left))
            if not pending:
                break
            done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for f in done:
                pending.discard(f)
                part = f.result()
                _merge(v, part)
                frontier.add(part.frontier)
                if part.witness is not None and v.witness is None:
                    v.witness_choices = part.witness
                    v.witness = replay_witness(task, part.witness)
                    stopped = True
                    stopping.set()
            if progress is not None and done:
                progress(v)
    except BrokenProcessPool:
        if stop():  # a signal to the process group ends the workers too: the caller reports it
            v.complete = False
            return v
        raise BadInput("a verify worker process died; run again with -j 1 to see why") from None
    finally:
        stopping.set()
        pool.shutdown(wait=True, cancel_futures=True)
    v.complete = v.witness is None and not stopped and not frontier
    return v


def _merge(v: Verdict, part: Part) -> None:
    v.executions += part.executions
    v.cut += part.cut
    v.states += part.states
    v.steps += part.steps
    v.choices_max = max(v.choices_max, part.choices_max)
    for k, n in part.outcomes.items():
        v.outcomes[k] = v.outcomes.get(k, 0) + n
