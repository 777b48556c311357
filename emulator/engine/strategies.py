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

from emulator.engine import sampling
from emulator.engine.base import DELAY_BUCKETS, STEP_NS, Strategy, delay_ns
from emulator.engine.choices import ReplayCursor
from emulator.engine.rng import Rng

__all__ = ["DELAY_BUCKETS", "STEP_NS", "Strategy", "delay_ns"]

# Choice kinds of a memory model (TSO, WEAK): 0 is the sequentially consistent answer, any
# other value a weak behaviour (a stale read, an early-placed store, an undrained buffer).
MEMORY_KINDS = frozenset({"mm.read", "mm.place", "tso.drain"})
# The weak answer a directed schedule takes for the entries that ask for it: the oldest
# message a load may read, no store buffer drained.
STALEST_KINDS = frozenset({"mm.read", "tso.drain"})


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
        delay_out: int = 100,
        delay_in: int = 3,
        mem: int = 25,
        mem_in: int = 80,
    ) -> None:
        super().__init__(seed)
        self.switch = switch  # 1 in `switch` steps picks uniformly instead of by priority
        # 1 in `delay_out` steps outside a window is delayed. 100 rather than 40: an actor
        # delayed on its way to a window reaches it after the others are done. Over 1,000
        # seeds of every windowed BUGGY kernel variant no rate fell beyond noise and dirty-cow
        # rose from 14.5 to 18.5 %; the SCTBench ports did not move.
        self.delay_out = delay_out
        self.delay_in = delay_in  # 1 in `delay_in` steps inside a window is delayed
        self.mem = mem  # percent of memory choices answered weakly outside a window
        self.mem_in = mem_in  # ... and inside one
        self.prio: list[int] = []
        self.in_window = False  # of the actor about to step (told by ``delay``)
        # Automatic windows: labels of steps that conflicted with another actor's step in the
        # profiling runs. An actor about to take one is delayed as often as inside a window.
        # Only for a program without windows of its own (``marked``): where its author marked
        # the race, every conflicting step delayed as often as the marked ones drowns them
        # (see ``use``).
        self.hot: frozenset[str] = frozenset()
        self.marked = False

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

    def use(self, profile: Any) -> None:
        # A program with marked windows keeps them alone. Its conflicting steps include the
        # early ones of every actor (taking a lock, reading a pte), and delaying each 1 in 3
        # lets the other actors run all their steps before the marked moment comes: the
        # window then opens on an actor with nothing left to race. Measured over 1,000 seeds of
        # each windowed BUGGY kernel variant: futex-key-uaf 7.3 -> 17.7 %, futex-shmem-swizzle
        # 2.6 -> 8.5 %, dirty-cow 8.3 -> 14.5 %, cow-early-unlock-truncate 2.1 -> 5.5 %;
        # only futex-wake-barrier (9.1 -> 5.6 %) and mapcount-lock-order (39 -> 35 %) lose.
        if profile is not None and not self.marked:
            self.hot = frozenset(profile.racy_labels)

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
        if not in_window and self.hot and self.hub is not None:
            in_window = self.hub.label(actor) in self.hot
        self.in_window = in_window
        if below(self.delay_in if in_window else self.delay_out) != 0:
            return 0
        return 1 + below(DELAY_BUCKETS - 1)


class PctStrategy(Strategy):
    """PCT (Burckhardt et al., ASPLOS 2010): distinct random initial priorities (all >= d), d-1
    distinct change points among the k scheduling decisions of a run; always run the
    highest-priority runnable actor, and at the i-th change point drop the running one to i.

    Only real decisions count (a step with one candidate, a blocked request parking, a local
    step is none), so no change point is lost on a step without an alternative. ``k`` is the
    largest number of decisions the profiling runs made (``use``), unless given."""

    name = "pct"

    def __init__(self, seed: int, depth: int = 3, k: int = 0) -> None:
        super().__init__(seed)
        self.depth = depth
        self.k_given = k
        self.k = k or 50
        self.prio: list[int] = []
        self.change: dict[int, int] = {}
        self.decision = 0

    def params(self) -> dict[str, Any]:
        return {"depth": self.depth, "k": self.k}

    def use(self, profile: Any) -> None:
        if not self.k_given and profile is not None:
            self.k = max(1, profile.decisions)

    def start(self, n_actors: int) -> None:
        rng = self.rng
        order = shuffled(rng, list(range(n_actors)))
        self.prio = [0] * n_actors
        for rank, a in enumerate(order):
            self.prio[a] = self.depth + rank
        # d-1 distinct decisions among 2..k (the first decision is the initial priorities').
        points = shuffled(rng, list(range(2, self.k + 1)))[: self.depth - 1]
        self.change = {c: self.depth - 1 - i for i, c in enumerate(points)}
        self.decision = 0

    def pick(self, runnable: Sequence[int], step: int) -> int:
        self.decision = d = self.decision + 1
        best = self._best(runnable)
        low = self.change.pop(d, None)
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


def shuffled(rng: Rng, items: list[int]) -> list[int]:
    """Fisher-Yates with our own PRNG (in place; returns the list)."""
    for i in range(len(items) - 1, 0, -1):
        j = rng.below(i + 1)
        items[i], items[j] = items[j], items[i]
    return items


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
        self.wants_coverage = base.wants_coverage
        # Steps applied without a choice (local ones, parks) cannot be held back to their
        # place in the schedule: one that ran early counts when its entry comes up.
        self.forced = False
        self.early: dict[tuple[str, str], int] = {}

    def params(self) -> dict[str, Any]:
        return self.base.params()

    def wants(self, actor_names: Sequence[str]) -> None:
        self.names = list(actor_names)

    def start(self, n_actors: int) -> None:
        self.base.start(n_actors)

    def attach(self, hub: Any) -> None:
        self.hub = hub
        self.base.attach(hub)

    def applied(self, actor: int, forced: bool) -> None:
        self.forced = forced
        self.base.applied(actor, forced)

    def finish(self, outcome: Any, records: Sequence[Any], coverage: Any) -> None:
        self.base.finish(outcome, records, coverage)

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
        if not self.active:
            return
        name, want = self.schedule[self.pos][:2]
        if self.names[actor] == name and label == want:
            self.pos += 1
        elif self.forced:
            key = (self.names[actor], label)
            self.early[key] = self.early.get(key, 0) + 1
        early = self.early
        while self.active:
            key = (self.schedule[self.pos][0], self.schedule[self.pos][1])
            if not early.get(key):
                break
            early[key] -= 1
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


STRATEGIES = ("mix", "chaos", "pct", "random", "pos", "urw", "surw", "rff")

# ``mix``, the default. A program whose author marked chaos windows (where its race is) runs
# chaos, which uses them best, on three seeds in four, and urw on the fourth (by a
# ``MIX_SHARE_STREAM`` draw): urw follows the profile's step counts and so reaches the races
# that need one actor to run far ahead of another without a delay aimed at them (over seeds
# 0..999: truncate-count-barriers urw 6.3 %, chaos 2.7 %; futex-ihold-resurrect 74 % and 21 %;
# dirty-cow 27 % and 17 %), while the rare races chaos's windows are for keep three quarters of
# their rate (anon-vma-reuse: chaos 2.7 %, urw 0). Any other program runs a portfolio: odd seeds
# surw (it samples the interleavings of one contended variable uniformly; best on classic
# programs), even seeds chaos, pct or surw by a ``MIX_SHARE_STREAM`` draw (1, 1 and 4 in 6):
# surw on five sixths of the seeds, chaos and pct on a twelfth each (chaos's delays on the steps
# that raced in the profile open the windows nobody marked; pct's few priority drops find a bug
# of low depth in a short run, e.g. twostage: pct 19 %, surw 14 %, chaos 10 %). Over any range
# of seeds the portfolio's hit rate is the weighted mean of its members'.
#
# One rule on top, from the profile: when one of its random walks already ends in the bug, pos
# takes three seeds in four (those whose ``MIX_STREAM`` draw is not 0: a fixed mix of the seed,
# so no seed range, e.g. a hunt's 0..N, is aligned with it) and the rule above the fourth.
# A bug a uniform walk finds in a handful of runs needs no delay aimed at a window; it needs
# the actors to interleave finely, which a pos seed does and chaos's delays (log-uniform, most
# longer than the whole run) undo: the waiting actor sleeps past the race. With pos on half
# the seeds, futex-ihold-evict was 2.1x behind rff (pos 29 %, chaos 17 %, urw 9 %).
#
# Measured by hit rate over seeds 0..1999 of the SCTBench ports and 0..999 of every BUGGY
# kernel variant, with the profile's walks independent (0.2.1; before, its four walks were one
# random stream shifted, and urw's counts came from what amounted to one walk): chaos alone on
# windowed programs was 2.3x behind urw on truncate-count-barriers and 2.15x on
# futex-ihold-resurrect, and surw on two thirds of the other programs' seeds 2.3x behind rff on
# reorder_10 (rff 16 %, surw 10 %); with these shares the default is within 2.1x of the best
# strategy on every one (the worst: futex-ihold-evict against rff, a strategy that learns across
# a hunt's seeds and so cannot be a member: every mix run is a function of its own seed).
MIX_STREAM = 0x313F
MIX_SHARE_STREAM = 0x3140


def make_strategy(
    name: str,
    seed: int,
    params: dict[str, Any] | None = None,
    profile: Any = None,
    campaign: Any = None,
    windows: bool = False,
) -> Strategy:
    """The strategy ``name`` for ``seed``. ``profile`` (from ``profile.profile``) is what the
    strategy measures its run against; ``campaign`` is cross-run state of one hunt (rff);
    ``windows``: the program has chaos windows (``mix`` then runs chaos or urw, see
    ``mix_member``)."""
    p = dict(params or {})
    s: Strategy
    if name == "mix":
        member = mix_member(seed, windows, profile)
        s = make_strategy(member, seed, p if member == "chaos" else {}, profile, campaign, windows)
        s.name = "mix"
        return s
    if name == "chaos":
        s = ChaosStrategy(seed, **p)
        s.marked = windows
    elif name == "pct":
        s = PctStrategy(seed, **p)
    elif name == "random":
        s = RandomStrategy(seed, **p)
    elif name == "pos":
        s = sampling.PosStrategy(seed, **p)
    elif name == "urw":
        s = sampling.UrwStrategy(seed, **p)
    elif name == "surw":
        s = sampling.SurwStrategy(seed, **p)
    elif name == "rff":
        s = sampling.RffStrategy(seed, corpus=campaign, **p)
    else:
        raise ValueError(name)
    s.use(profile)
    return s


def mix_member(seed: int, windows: bool, profile: Any) -> str:
    """The strategy ``mix`` runs on ``seed`` (see the comment above ``MIX_STREAM``): a
    function of the seed and of the program (its windows, its profile), never of other seeds."""
    if profile is not None and profile.failures and Rng(seed, MIX_STREAM).below(4):
        return "pos"
    if windows:
        return "urw" if Rng(seed, MIX_SHARE_STREAM).below(4) == 0 else "chaos"
    if seed % 2:
        return "surw"
    return ("chaos", "pct", "surw", "surw", "surw", "surw")[Rng(seed, MIX_SHARE_STREAM).below(6)]


def needs_profile(name: str) -> bool:
    """Strategies that measure their runs against profiling runs of the same program."""
    return name in ("mix", "chaos", "pct", "urw", "surw")


def needs_horizon(name: str, windows: bool) -> bool:
    """Strategies that read the profile's decisions (PCT's k, see profile.HORIZON_RUNS): pct,
    and mix where it runs pct on some seeds (a program without windows)."""
    return name == "pct" or (name == "mix" and not windows)


def picks_by_profile(name: str) -> bool:
    """Strategies that choose what runs a seed (and so whether it has delays) by the profile:
    a replay of one of their runs needs the profile too."""
    return name == "mix"


def has_campaign(name: str) -> bool:
    """Strategies whose runs depend on the earlier runs of the same hunt: a run replays from
    its recorded choices, not from its seed alone."""
    return name == "rff"


def new_campaign(name: str) -> Any:
    """Cross-run state for the runs of one hunt, or None for strategies without any."""
    return sampling.Corpus() if name == "rff" else None
