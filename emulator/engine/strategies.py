"""Scheduling strategies: how a seed turns into choices.

A strategy only *proposes* values; the runtime records them. Replay is a strategy too: it
answers from a recorded sequence instead of a seed. Every strategy sees actors as indices;
``runnable`` lists are ordered with the currently running actor first (when it is runnable),
then by index, so value 0 always means "keep going" and the shrinker can move switches
towards it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.engine.choices import ReplayCursor
from emulator.engine.rng import Rng

# Delays are log-uniform: bucket b (1..DELAY_BUCKETS-1) postpones an actor by STEP_NS * 2**b.
STEP_NS = 50
DELAY_BUCKETS = 15


def delay_ns(bucket: int) -> int:
    return STEP_NS << bucket if bucket > 0 else 0


# Choice kinds of a memory model (TSO, WEAK): 0 is the sequentially consistent answer, any
# other value a weak behaviour (a stale read, an early-placed store, an undrained buffer).
MEMORY_KINDS = frozenset({"mm.read", "mm.place", "tso.drain"})
# The weak answer a directed schedule takes for the entries that ask for it: the oldest
# message a load may read, no store buffer drained.
STALEST_KINDS = frozenset({"mm.read", "tso.drain"})


class Strategy:
    """Base: uniform scheduling, no delays, allocations biased to the most recently freed slot."""

    name = "random"
    delays = False

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = Rng(seed, stream=1)

    def params(self) -> dict[str, Any]:
        return {}

    def start(self, n_actors: int) -> None:
        """Called once before the first decision."""

    def pick(self, runnable: Sequence[int], step: int) -> int:
        """Position in ``runnable`` of the actor that steps next."""
        return self.rng.below(len(runnable))

    def delay(self, actor: int, in_window: bool) -> int:
        """Delay bucket for the actor about to step (0 = none)."""
        return 0

    def other(self, kind: str, n: int) -> int:
        # Model-side choices (which free slab slot, ...): 0 is the most recently freed object,
        # favoured so that reuse races (003a, 000a) show up quickly.
        if self.rng.chance(3, 4):
            return 0
        return self.rng.below(n)

    def stepped(self, actor: int, label: str) -> None:
        """Notification after an actor completed a step (directed schedules track progress)."""

    def wants(self, actor_names: Sequence[str]) -> None:
        """Names of the actors, in index order (directed schedules resolve names)."""


class RandomStrategy(Strategy):
    name = "random"


class ChaosStrategy(Strategy):
    """rr-chaos-mode flavour: sticky random priorities, occasional switches, and log-uniform
    delays injected in virtual time, strongly boosted inside a scenario's chaos windows."""

    name = "chaos"
    delays = True

    def __init__(
        self,
        seed: int,
        switch: int = 8,
        delay_out: int = 40,
        delay_in: int = 3,
        mem: int = 25,
        mem_in: int = 80,
    ) -> None:
        super().__init__(seed)
        self.switch = switch  # 1 in `switch` steps picks uniformly instead of by priority
        self.delay_out = delay_out  # 1 in `delay_out` steps outside a window is delayed
        self.delay_in = delay_in  # 1 in `delay_in` steps inside a window is delayed
        self.mem = mem  # percent of memory choices answered weakly outside a window
        self.mem_in = mem_in  # ... and inside one
        self.prio: list[int] = []
        self.in_window = False  # of the actor about to step (told by ``delay``)

    def params(self) -> dict[str, Any]:
        p = {"switch": self.switch, "delay_out": self.delay_out, "delay_in": self.delay_in}
        if (self.mem, self.mem_in) != (25, 80):  # only when set: SC headers stay as they were
            p.update(mem=self.mem, mem_in=self.mem_in)
        return p

    def other(self, kind: str, n: int) -> int:
        if kind in MEMORY_KINDS:
            pct = self.mem_in if self.in_window else self.mem
            if self.rng.below(100) >= pct:
                return 0
            return 1 + self.rng.below(n - 1)
        return super().other(kind, n)

    def start(self, n_actors: int) -> None:
        self.prio = [self.rng.below(1 << 16) for _ in range(n_actors)]

    def pick(self, runnable: Sequence[int], step: int) -> int:
        below = self.rng.below
        if below(self.switch) == 0:
            return below(len(runnable))
        prio = self.prio
        if below(32) == 0:
            # Re-roll the running actor's priority: a new "epoch" of the chaos schedule.
            prio[runnable[0]] = below(1 << 16)
        best = 0
        top = prio[runnable[0]]
        for i in range(1, len(runnable)):
            p = prio[runnable[i]]
            if p > top:
                best, top = i, p
        return best

    def delay(self, actor: int, in_window: bool) -> int:
        below = self.rng.below
        self.in_window = in_window
        if below(self.delay_in if in_window else self.delay_out) != 0:
            return 0
        return 1 + below(DELAY_BUCKETS - 1)


class PctStrategy(Strategy):
    """PCT (Burckhardt et al., ASPLOS 2010): random initial priorities, d-1 priority change
    points among the first k steps; always run the highest-priority runnable actor."""

    name = "pct"

    def __init__(self, seed: int, depth: int = 3, k: int = 50) -> None:
        super().__init__(seed)
        self.depth = depth
        self.k = k
        self.prio: list[int] = []
        self.change: dict[int, int] = {}

    def params(self) -> dict[str, Any]:
        return {"depth": self.depth, "k": self.k}

    def start(self, n_actors: int) -> None:
        order = list(range(n_actors))
        for i in range(n_actors - 1, 0, -1):  # Fisher-Yates with our own PRNG
            j = self.rng.below(i + 1)
            order[i], order[j] = order[j], order[i]
        self.prio = [0] * n_actors
        for rank, a in enumerate(order):
            self.prio[a] = self.depth + rank
        self.change = {}
        for j in range(self.depth - 1):
            self.change.setdefault(self.rng.below(self.k), j)

    def pick(self, runnable: Sequence[int], step: int) -> int:
        best = self._best(runnable)
        low = self.change.pop(step, None)
        if low is not None:
            self.prio[runnable[best]] = low
            best = self._best(runnable)
        return best

    def _best(self, runnable: Sequence[int]) -> int:
        prio = self.prio
        best = 0
        for i in range(1, len(runnable)):
            if prio[runnable[i]] > prio[runnable[best]]:
                best = i
        return best


class DirectedStrategy(Strategy):
    """Runs each (actor, label) entry's actor until it completes a step with that label, in
    order; then hands over to the seeded base strategy."""

    def __init__(self, base: Strategy, schedule: Sequence[tuple[str, ...]]) -> None:
        super().__init__(base.seed)
        self.base = base
        self.schedule = list(schedule)
        self.pos = 0
        self.abandoned: int | None = None
        self.names: list[str] = []
        self.name = base.name
        self.delays = base.delays

    def params(self) -> dict[str, Any]:
        return self.base.params()

    def wants(self, actor_names: Sequence[str]) -> None:
        self.names = list(actor_names)

    def start(self, n_actors: int) -> None:
        self.base.start(n_actors)

    @property
    def active(self) -> bool:
        return self.pos < len(self.schedule)

    def pick(self, runnable: Sequence[int], step: int) -> int:
        if self.active:
            name = self.schedule[self.pos][0]
            want = self.names.index(name)
            for i, a in enumerate(runnable):
                if a == want:
                    return i
            # The named actor took another path (a FIXED variant bails out, or parks on the
            # lock the fix added): the rest of the schedule cannot apply. Hand over to the seed.
            self.abandoned = self.pos
            self.pos = len(self.schedule)
        return self.base.pick(runnable, step)

    def delay(self, actor: int, in_window: bool) -> int:
        return 0 if self.active else self.base.delay(actor, in_window)

    def other(self, kind: str, n: int) -> int:
        if not self.active:
            return self.base.other(kind, n)
        # An entry (actor, label, "weak") shows the weak step: until it is reached, loads read
        # the oldest message they may and no store buffer drains. Otherwise the SC answer.
        entry = self.schedule[self.pos]
        if kind in STALEST_KINDS and entry[2:] == ("weak",):
            return n - 1
        return 0

    def stepped(self, actor: int, label: str) -> None:
        if self.active:
            name, want = self.schedule[self.pos][:2]
            if self.names[actor] == name and label == want:
                self.pos += 1


class ReplayStrategy(Strategy):
    """Answers every question from a recording (strict or lenient, see ``choices.Replay``);
    the strategy it replaces only says whether the run injects delays."""

    def __init__(self, base: Strategy, cursor: ReplayCursor) -> None:
        super().__init__(base.seed)
        self.base = base
        self.cursor = cursor
        self.name = base.name
        self.delays = base.delays

    def params(self) -> dict[str, Any]:
        return self.base.params()

    def pick(self, runnable: Sequence[int], step: int) -> int:
        return self.cursor.next(len(runnable), "sched")

    def delay(self, actor: int, in_window: bool) -> int:
        return self.cursor.next(DELAY_BUCKETS, "delay")

    def other(self, kind: str, n: int) -> int:
        return self.cursor.next(n, kind)


STRATEGIES = ("chaos", "pct", "random")


def make_strategy(name: str, seed: int, params: dict[str, Any] | None = None) -> Strategy:
    p = dict(params or {})
    if name == "chaos":
        return ChaosStrategy(seed, **p)
    if name == "pct":
        return PctStrategy(seed, **p)
    if name == "random":
        return RandomStrategy(seed)
    raise ValueError(name)
