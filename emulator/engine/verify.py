"""Bounded exhaustive exploration: every execution with at most P preemptions.

Stateless search in the manner of CHESS (Musuvathi and Qadeer, PLDI 2007: iterative context
bounding): run the program replaying a prefix of choices and taking the default past it (keep
running the current actor; a model choice's 0). Every choice point of the run contributes its
other values as new prefixes, unless taking one would exceed the preemption bound. A
*preemption* is a scheduling choice that switches away from the actor that made the last step
while it could still run; switching after it parked, finished or was applied without a choice
is free.

What keeps the space small is the hub's enabledness (footprint.py): a request that would block
parks without a choice and a local request is applied without one, so only steps that touch
shared state are interleaved. Model choices (which slab slot, which waiter a signal wakes) are
enumerated in full at no preemption cost.

The search is sound and complete for the bounded space: no prefix is skipped except for the
bound (no partial-order pruning that the bound could invalidate; see Coons, Musuvathi and
McKinley, OOPSLA 2013, for why naive DPOR loses bounded schedules). Domain-free.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emulator.engine.base import Strategy
from emulator.engine.config import RunConfig, RunResult
from emulator.engine.model import Model
from emulator.engine.port import ActorSpec

Build = Callable[[], tuple[Model, Sequence[ActorSpec]]]


class _Bounded(Strategy):
    """Answers from the prefix, then 0; notes, for each choice, its range and whether a
    non-default answer is a preemption, and the preemptions made before it."""

    name = "random"
    delays = False

    def __init__(self, prefix: Sequence[int]) -> None:
        super().__init__(0)
        self.prefix = prefix
        self.values: list[int] = []
        self.ns: list[int] = []
        self.costs: list[int] = []  # preemptions before this choice
        self.preemptive: list[bool] = []
        self.used = 0

    def _next(self, n: int, preemptive: bool) -> int:
        i = len(self.values)
        v = self.prefix[i] if i < len(self.prefix) else 0
        self.values.append(v)
        self.ns.append(n)
        self.costs.append(self.used)
        self.preemptive.append(preemptive)
        if preemptive and v:
            self.used += 1
        return v

    def pick(self, runnable: Sequence[int], step: int) -> int:
        # The hub lists the actor that made the last step first when it can still run.
        cur = self.hub.lead if self.hub is not None else -1
        return self._next(len(runnable), runnable[0] == cur)

    def other(self, kind: str, n: int) -> int:
        return self._next(n, False)


@dataclass
class Verdict:
    executions: int = 0
    complete: bool = False  # every execution within the bound was run
    witness: RunResult | None = None
    choices_max: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    bound: int = 0


def verify(
    build: Build,
    failed: Callable[[RunResult], bool],
    preemptions: int,
    budget: int = 20_000,
    limit: int = 1_000_000,
    progress: Callable[[Verdict], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Verdict:
    """Run every execution of ``build``'s program with at most ``preemptions`` preemptions,
    depth first, until one ``failed`` (the witness), all were run (complete) or ``limit``
    executions were made, or ``stop()`` said so (checked between executions)."""
    from emulator.engine.runtime import run_batch

    v = Verdict(bound=preemptions)
    stack: list[list[int]] = [[]]
    strategies: list[_Bounded] = []

    def jobs() -> object:
        while stack and v.executions < limit and not (stop is not None and stop()):
            prefix = stack.pop()
            s = _Bounded(prefix)
            strategies.append(s)
            model, actors = build()
            v.executions += 1
            yield model, actors, RunConfig(strategy=s, budget=budget)

    def done(r: RunResult) -> bool:
        s = strategies.pop()
        vals, ns, costs, pre = s.values, s.ns, s.costs, s.preemptive
        v.choices_max = max(v.choices_max, len(vals))
        # Alternatives of every choice past the prefix, within the bound; deepest last so
        # that it is explored first.
        for i in range(len(s.prefix), len(vals)):
            if pre[i] and costs[i] >= preemptions:
                continue
            for alt in range(ns[i] - 1, 0, -1):
                stack.append([*vals[:i], alt])
        st = r.outcome.status
        v.outcomes[st] = v.outcomes.get(st, 0) + 1
        if progress is not None and v.executions % 500 == 0:
            progress(v)
        if failed(r):
            v.witness = r
            return True
        return False

    run_batch(jobs(), done)  # type: ignore[arg-type]
    v.complete = v.witness is None and not stack
    return v
