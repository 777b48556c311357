"""Exhaustive exploration: every choice sequence of a run, depth first, without saving state.

Stateless DFS in the manner of VeriSoft and CHESS: run the program replaying a prefix of
choices and taking the default (0) past it; the recorded choices tell how many alternatives each
choice had, so every later choice point contributes its other values as new prefixes to explore.
Each execution is a fresh run (the model is rebuilt), so nothing but the prefix is carried over.

State-hash pruning: if the model offers ``digest()`` (hashable, or None when it cannot describe
its state at this moment), a choice point whose (digest, question) was already reached by an
earlier execution is not explored again: whatever follows it was or will be explored from the
first visit, so the run stops there. The verdict is *complete* only when the search ended within
its bound.

Domain-free: only the engine (runtime, choices, strategies) and the standard library.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field

from emulator.engine.control import Stop
from emulator.engine.runtime import ActorSpec, Job, Model, RunConfig, RunResult, run_batch
from emulator.engine.strategies import Strategy
from emulator.engine.violations import HANG

Build = Callable[[], tuple[Model, Sequence[ActorSpec]]]
Visit = Callable[[RunResult], bool]  # True: stop the search (a witness was found)


class _Explorer(Strategy):
    """Answers every choice from the prefix, then 0, and notes the state at each new choice
    point. Never injects delays: exploration is over orderings and model choices only."""

    name = "random"
    delays = False

    def __init__(
        self,
        prefix: Sequence[int],
        digest: Callable[[], Hashable | None] | None,
        seen: set[Hashable],
    ) -> None:
        super().__init__(0)
        self.prefix = prefix
        self.digest = digest
        self.seen = seen
        self.values: list[int] = []  # every choice asked, as the choice source records it
        self.ns: list[int] = []
        self.pruned = False

    def _next(self, question: Hashable, n: int) -> int:
        i = len(self.values)
        v = self.prefix[i] if i < len(self.prefix) else 0
        if i >= len(self.prefix) and self.digest is not None:
            d = self.digest()
            if d is not None:
                key = (question, d)
                if key in self.seen:
                    # Explored from its first visit: this run contributes nothing past here.
                    # It ends now, as an oracle ends a run (the hub unwinds its actors and is
                    # free for the next run of the batch); its outcome is never looked at.
                    self.pruned = True
                    raise Stop(self.hub._outcome(HANG, error="pruned: a state explored before"))
                self.seen.add(key)
        self.values.append(v)
        self.ns.append(n)
        return v

    def pick(self, runnable: Sequence[int], step: int) -> int:
        # The runnable list, in its order, is part of what a sched answer means.
        return self._next(("sched", tuple(runnable)), len(runnable))

    def other(self, kind: str, n: int) -> int:
        return self._next((kind, n), n)


@dataclass
class Exploration:
    executions: int = 0  # runs started (pruned ones included)
    finished: int = 0  # runs that reached their end
    states: int = 0  # distinct (state, question) pairs seen at choice points
    complete: bool = False  # every choice sequence was covered within the bound
    witness: RunResult | None = None  # the run for which ``visit`` returned True
    choices_max: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # outcome status -> count


def explore(
    build: Build,
    visit: Visit,
    bound: int = 100_000,
    budget: int = 10_000,
    prune: bool = True,
) -> Exploration:
    """Explore every execution of the program ``build`` makes (a fresh model and actors per
    run), calling ``visit`` on each finished run, until ``visit`` returns True (a witness),
    the search space is exhausted (complete), or ``bound`` runs were made (incomplete).

    The runs share one trio run (``run_batch``): each is built only once the previous one has
    ended and its choices have put their alternatives on the stack, so the order of the
    search is the one a run per trio run gives. An exception ``build`` raises is raised as
    is."""
    seen: set[Hashable] = set()
    stack: list[list[int]] = [[]]
    ex = Exploration()
    running: list[_Explorer] = []  # the strategy of the run in progress
    cut = [False]  # the bound ended the search with prefixes left

    def runs() -> Iterator[Job]:
        while stack:
            if ex.executions >= bound:
                cut[0] = True
                return
            prefix = stack.pop()
            model, actors = build()
            dig = getattr(model, "digest", None) if prune else None
            strategy = _Explorer(prefix, dig if callable(dig) else None, seen)
            running[:] = [strategy]
            ex.executions += 1
            yield model, actors, RunConfig(strategy=strategy, budget=budget)

    def ended(result: RunResult) -> bool:
        strategy = running[0]
        prefix, values, ns = strategy.prefix, strategy.values, strategy.ns
        ex.choices_max = max(ex.choices_max, len(values))
        # Alternatives of every choice past the prefix, deepest last so it is explored first.
        for i in range(len(prefix), len(values)):
            for v in range(ns[i] - 1, 0, -1):
                stack.append([*values[:i], v])
        if strategy.pruned:
            return False
        ex.finished += 1
        status = result.outcome.status
        ex.outcomes[status] = ex.outcomes.get(status, 0) + 1
        if visit(result):
            ex.witness = result
            return True
        return False

    run_batch(runs(), ended, keep=False)
    ex.complete = ex.witness is None and not cut[0]
    ex.states = len(seen)
    return ex
