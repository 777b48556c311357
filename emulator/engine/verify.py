"""Bounded exhaustive exploration: every execution with at most P preemptions.

Stateless search in the manner of CHESS (Musuvathi and Qadeer, PLDI 2007: iterative context
bounding): run the program replaying a prefix of choices and taking the default past it (keep
running the current actor; a model choice's 0). Every choice point of the run contributes its
other values as new prefixes, unless taking one would exceed the preemption bound. A
*preemption* is a scheduling choice that switches away from the actor that made the last step
while it could still run; switching after it parked, finished or was applied without a choice
is free. Prefixes are explored in order of the preemptions they use (all executions with 0
first, then 1, ...), depth first within one count.

What keeps the space small is the hub's enabledness (footprint.py): a request that would block
parks without a choice and a local request is applied without one, so only steps that touch
shared state are interleaved. Model choices (which slab slot, which waiter a signal wakes) are
enumerated in full at no preemption cost.

Reduction (``reduction="state"``, the default): state caching over Mazurkiewicz traces. At
every scheduling choice past the replayed prefix the search computes a key of the run so far:
the *partial order* of its steps (each step's actor, its index in that actor's program, the
model choices it made, and its vector clock under the conflict relation of the model's
footprints; ``conflict()``), the actor that made the last chosen step (it decides which later
switch is a preemption) and the hub's local-run counter. Two prefixes with the same key are
linearisations of one partial order, so under the footprint contract (steps whose footprints do
not conflict commute: either order gives the same replies and the same model state) they reach
the same state, and every actor, whose code is deterministic given its replies, is at the same
point. A prefix whose key was already reached with no more preemptions used is cut there: every
continuation of it within the bound is a continuation of the earlier one within the bound.
Unlike sleep sets or DPOR, which keep one linearisation per partial order and can therefore
drop executions that a preemption bound admits (Coons, Musuvathi and McKinley, OOPSLA 2013),
this only merges equal states reached within the budget, so the claim stays "every execution
with at most P preemptions", and invariants checked on intermediate states (step checks) are
covered too. What it rests on is the footprints' correctness, which the hub already relies on
to apply local steps without a choice. ``reduction="none"`` runs the plain search.

Delay bounding (``counting="delays"``; Emmi, Qadeer and Rakamaric, POPL 2011): the runs are
those of one deterministic round-robin scheduler (keep running the actor that made the last
chosen step while it can; when it cannot, the next runnable actor after it in index order,
cyclically) that may be *delayed* at most D times. A delay at a scheduling choice skips the
actor the scheduler would run and takes the next in the round-robin order; skipping j actors
costs j delays. A choice value in this mode is the number of delays spent at that choice; the
runtime still records the actor's position among the runnable ones, so a counterexample
replays like any trace. Model choices cost nothing, as under the preemption bound. The state
reduction applies unchanged: the round-robin scheduler's next move depends only on the lead
actor and the runnable set, both part of the key or determined by it.

Domain-free; deterministic (keys are blake2b digests of plain tuples, no ``hash()`` order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field

from emulator.engine.base import Strategy
from emulator.engine.choices import Divergence
from emulator.engine.config import RunConfig, RunResult
from emulator.engine.footprint import ANY
from emulator.engine.model import Model
from emulator.engine.port import ActorSpec

Build = Callable[[], tuple[Model, Sequence[ActorSpec]]]

REDUCTIONS = ("state", "none")
BOUNDS = ("preemptions", "delays")

_MASK = (1 << 128) - 1
_blake = hashlib.blake2b


class _Cut(Divergence):
    """Raised from ``pick`` to end a run whose state was already explored (the hub ends the
    run as it ends a diverged replay; the search knows the run was cut, not failed)."""


def _join(a: list[int], b: Sequence[int]) -> None:
    for i, x in enumerate(b):
        if x > a[i]:
            a[i] = x


class _Trace:
    """The partial order of the steps applied so far, folded into one 128-bit sum of the
    digests of (actor, index, choices, vector clock) per step: an order-independent key of
    the Mazurkiewicz trace."""

    __slots__ = ("acc", "all", "any", "count", "n", "reads", "vc", "writes")

    def __init__(self, n: int) -> None:
        self.n = n
        self.acc = 0
        self.count = [0] * n
        self.vc: list[list[int]] = [[0] * n for _ in range(n)]
        self.writes: dict[Hashable, list[int]] = {}  # key -> clock of its last write
        self.reads: dict[Hashable, list[int]] = {}  # key -> join of the reads since then
        self.all = [0] * n  # join of every step (what an ANY access is ordered after)
        self.any = [0] * n  # join of the steps with an ANY access (every step follows them)

    def step(self, actor: int, fp: Sequence[tuple[Hashable, bool]], choices: Sequence[int]) -> None:
        clock = self.vc[actor]
        _join(clock, self.any)
        wild = False
        for key, write in fp:
            if key == ANY:
                wild = True
                continue
            w = self.writes.get(key)
            if w is not None:
                _join(clock, w)
            if write:
                r = self.reads.get(key)
                if r is not None:
                    _join(clock, r)
        if wild:  # conservatively: ordered after everything, a write of everything
            _join(clock, self.all)
        i = self.count[actor]
        self.count[actor] = i + 1
        clock[actor] = i + 1
        snap = tuple(clock)
        for key, write in fp:
            if key == ANY:
                continue
            if write:
                self.writes[key] = list(snap)
                self.reads.pop(key, None)
            else:
                r = self.reads.get(key)
                if r is None:
                    self.reads[key] = list(snap)
                else:
                    _join(r, snap)
        if wild:
            self.any = list(snap)  # every later step is ordered after this one
        _join(self.all, snap)
        d = _blake(repr((actor, i, tuple(choices), snap)).encode(), digest_size=16).digest()
        self.acc = (self.acc + int.from_bytes(d, "little")) & _MASK


class _Bounded(Strategy):
    """Answers from the prefix, then 0; notes, for each choice, its range and whether a
    non-default answer is a preemption, and the preemptions made before it. With a ``seen``
    table it cuts the run at the first choice past the prefix whose state was explored."""

    name = "random"
    delays = False

    def __init__(
        self,
        prefix: Sequence[int],
        seen: dict[tuple[int, ...], int] | None,
        delays: bool = False,
    ) -> None:
        super().__init__(0)
        self.prefix = prefix
        self.delays_bound = delays  # values are delays of a round-robin scheduler
        self.values: list[int] = []
        self.ns: list[int] = []
        self.costs: list[int] = []  # preemptions before this choice
        self.preemptive: list[bool] = []
        self.used = 0
        self.seen = seen
        self.cut = False
        self.trace: _Trace | None = None
        self._choices: list[int] = []  # model choices of the step being applied

    def start(self, n_actors: int) -> None:
        if self.seen is not None:
            self.trace = _Trace(n_actors)

    def _next(self, n: int, preemptive: bool) -> int:
        i = len(self.values)
        v = self.prefix[i] if i < len(self.prefix) else 0
        self.values.append(v)
        self.ns.append(n)
        self.costs.append(self.used)
        self.preemptive.append(preemptive)
        if preemptive and v:
            # A delay bound charges each skipped actor; a preemption bound one per switch.
            self.used += v if self.delays_bound else 1
        return v

    def pick(self, runnable: Sequence[int], step: int) -> int:
        # The hub lists the actor that made the last step first when it can still run.
        hub = self.hub
        cur = hub.lead if hub is not None else -1
        trace = self.trace
        if trace is not None and self.seen is not None and len(self.values) >= len(self.prefix):
            key = (
                trace.acc,
                cur,
                getattr(hub, "_local_actor", -1),
                getattr(hub, "_local_run", 0),
                *self._choices,
            )
            before = self.seen.get(key)
            if before is not None and before <= self.used:
                self.cut = True
                raise _Cut(len(self.values), "", "", step)
            self.seen[key] = self.used
        if self.delays_bound:
            order = _round_robin(runnable, cur)
            return runnable.index(order[self._next(len(runnable), True)])
        return self._next(len(runnable), runnable[0] == cur)

    def other(self, kind: str, n: int) -> int:
        v = self._next(n, False)
        if self.trace is not None:
            self._choices.append(v)
        return v

    def applied(self, actor: int, forced: bool) -> None:
        trace = self.trace
        if trace is not None:
            trace.step(actor, self.hub.footprint(actor), self._choices)
            self._choices.clear()


def _round_robin(runnable: Sequence[int], cur: int) -> list[int]:
    """The runnable actors in the order a round-robin scheduler that last ran ``cur`` takes
    them: ``cur`` itself while it can run, then the actors after it by index, cyclically."""
    after = sorted(a for a in runnable if a > cur)
    before = sorted(a for a in runnable if a < cur)
    return ([cur] if cur in runnable else []) + after + before


@dataclass
class Verdict:
    executions: int = 0  # runs made, the cut ones included
    complete: bool = False  # every execution within the bound was run or covered
    witness: RunResult | None = None
    choices_max: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    bound: int = 0
    cut: int = 0  # runs ended early at a state already explored
    states: int = 0  # distinct (partial order, lead) keys at choice points
    reduction: str = "state"
    steps: int = 0  # steps applied, over all runs
    kind: str = "preemptions"  # what the bound counts (BOUNDS)
    # Prefixes left to explore when the search stopped early, with the preemptions each uses,
    # in the order it would have taken them.
    frontier: list[tuple[tuple[int, ...], int]] = field(default_factory=list)
    witness_choices: tuple[int, ...] = ()  # the witness's choice values (a root replays it)


def verify(
    build: Build,
    failed: Callable[[RunResult], bool],
    preemptions: int,
    budget: int = 20_000,
    limit: int = 1_000_000,
    progress: Callable[[Verdict], None] | None = None,
    stop: Callable[[], bool] | None = None,
    reduction: str = "state",
    counting: str = "preemptions",
    roots: Sequence[tuple[Sequence[int], int]] = (((), 0),),
    seen: dict[tuple[int, ...], int] | None = None,
) -> Verdict:
    """Run every execution of ``build``'s program with at most ``preemptions`` preemptions
    (up to the ``reduction``), fewest preemptions first and depth first within a count, until
    one ``failed`` (the witness), all were run (complete) or ``limit`` runs were made, or
    ``stop()`` said so (checked between runs). With ``counting="delays"`` the number bounds the
    delays of a round-robin scheduler instead (see the module docstring).

    A search can be taken up again, elsewhere (``pcemu verify -j``): one that stops before
    the end leaves in ``Verdict.frontier`` the prefixes it had yet to explore, each with the
    preemptions it uses; a search given them as ``roots`` explores every execution that begins
    with one of them (alternatives are taken only past a root). ``seen`` is the state table to
    use, so that one process's searches share theirs. The cuts stay sound when the prefixes are
    spread over processes: a cut needs only that every continuation of the earlier visit of
    the same state is explored, and each one is, by the search that met it or by the one that
    took the prefix it left."""
    from emulator.engine.runtime import run_batch

    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction {reduction!r}: one of {', '.join(REDUCTIONS)}")
    if counting not in BOUNDS:
        raise ValueError(f"counting {counting!r}: one of {', '.join(BOUNDS)}")
    delays = counting == "delays"
    v = Verdict(bound=preemptions, reduction=reduction, kind=counting)
    # One stack of prefixes per preemption count; the lowest non-empty one is taken first.
    stacks: list[list[list[int]]] = [[] for _ in range(preemptions + 1)]
    # Pushed in reverse so that the first root is taken first.
    for root, cost in reversed(roots):
        stacks[min(cost, preemptions)].append(list(root))
    if reduction != "state":
        seen = None
    elif seen is None:
        seen = {}
    strategies: list[_Bounded] = []

    def pending() -> list[list[int]] | None:
        for s in stacks:
            if s:
                return s
        return None

    def jobs() -> Iterator[tuple[Model, Sequence[ActorSpec], RunConfig]]:
        while v.executions < limit and not (stop is not None and stop()):
            stack = pending()
            if stack is None:
                return
            s = _Bounded(stack.pop(), seen, delays)
            strategies.append(s)
            model, actors = build()
            v.executions += 1
            yield model, actors, RunConfig(strategy=s, budget=budget)

    def done(r: RunResult) -> bool:
        s = strategies.pop()
        vals, ns, costs, pre = s.values, s.ns, s.costs, s.preemptive
        v.choices_max = max(v.choices_max, len(vals))
        v.steps += r.outcome.steps
        # Alternatives of every choice past the prefix, within the bound (a cut run has none
        # at the choice it was cut at: that choice was never made); the deepest is pushed last
        # so that it is explored first.
        for i in range(len(s.prefix), len(vals)):
            head = vals[:i]
            for alt in range(ns[i] - 1, 0, -1):
                # Under a delay bound, the alt-th actor in round-robin order costs alt delays.
                c = costs[i] + ((alt if delays else 1) if pre[i] else 0)
                if c <= preemptions:
                    stacks[c].append([*head, alt])
        if s.cut:
            v.cut += 1
            st = "cut"
        else:
            st = r.outcome.status
        v.outcomes[st] = v.outcomes.get(st, 0) + 1
        if progress is not None and v.executions % 500 == 0:
            progress(v)
        if not s.cut and failed(r):
            v.witness_choices = tuple(vals)
            v.witness = r
            return True
        return False

    run_batch(jobs(), done, keep=False)
    v.states = len(seen) if seen is not None else 0
    v.complete = v.witness is None and pending() is None
    if not v.complete and v.witness is None:
        # In the order this search would have taken them (a root list keeps that order).
        v.frontier = [(tuple(p), c) for c, stack in enumerate(stacks) for p in reversed(stack)]
    return v
