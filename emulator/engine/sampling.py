"""Strategies that look at what pending requests touch: POS, URW, SURW and RFF.

They use the hub's footprints (``footprint.py``): with a model that states none, every request
conflicts with every other and they degrade gracefully (POS to random priorities re-drawn every
step, SURW to URW).

- ``pos``: Partial Order Sampling (Yuan, Yang, Gu, CAV 2018): a random priority per pending
  request; the highest runs; after it, the pending requests that conflict with it get fresh
  priorities (as do the requests that replace executed ones).
- ``urw``: Uniform Random Walk (Zhao et al., ASPLOS 2025; Shuttle's ``UrwRandomScheduler``):
  pick an actor with probability proportional to the steps it has left, estimated by the
  profiling runs (an actor's estimate includes the actors it spawns until they start).
- ``surw``: Selective URW: one key per run, drawn in proportion to how often the profiling runs
  touched it (keys touched by more than one actor); only the order of the steps touching it is
  sampled uniformly, the rest follows random actor priorities.
- ``rff``: Reads-From Fuzzing (Wolff et al., ASPLOS 2024) over choice sequences: the runs of one
  hunt share a ``Corpus``; a run that shows a reads-from pair never seen before joins it; later
  runs mutate a corpus entry and replay it leniently (values clamped to the live range) before
  continuing with POS.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.engine.base import Strategy
from emulator.engine.coverage import Coverage
from emulator.engine.footprint import ANY, conflict

_NONE = -1


class PosStrategy(Strategy):
    name = "pos"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.prio: list[int] = []

    def start(self, n_actors: int) -> None:
        self.prio = [_NONE] * n_actors

    def pick(self, runnable: Sequence[int], step: int) -> int:
        prio = self.prio
        below = self.rng.below
        best = 0
        top = -2
        for i, a in enumerate(runnable):
            p = prio[a]
            if p == _NONE:
                p = prio[a] = below(1 << 30)
            if p > top:
                best, top = i, p
        e = runnable[best]
        fp = self.hub.footprint
        fe = fp(e)
        for a in runnable:
            if a != e and conflict(fp(a), fe):
                prio[a] = _NONE
        return best

    def applied(self, actor: int, forced: bool) -> None:
        self.prio[actor] = _NONE  # its next request is a new event


class UrwStrategy(Strategy):
    name = "urw"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.profile: Any = None
        self.left: list[int] = []
        self.seen: list[bool] = []
        self.parent: list[int] = []
        self.subtree: list[int] = []

    def use(self, profile: Any) -> None:
        self.profile = profile

    def own_counts(self, names: Sequence[str]) -> list[int]:
        p = self.profile
        return [p.counts.get(n, 0) if p is not None else 1 for n in names]

    def start(self, n_actors: int) -> None:
        names = list(self.hub.names) if self.hub is not None else [str(i) for i in range(n_actors)]
        own = self.own_counts(names)
        index = {n: i for i, n in enumerate(names)}
        parents = self.profile.parents if self.profile is not None else {}
        self.parent = [index.get(parents.get(n, ""), _NONE) for n in names]
        # An actor's weight covers the actors it spawns, until they start (Shuttle's rule).
        sub = list(own)
        for a in self._bottom_up(n_actors):
            p = self.parent[a]
            if p != _NONE:
                sub[p] += sub[a]
        self.subtree = sub
        self.left = [max(1, w) for w in sub]
        self.seen = [False] * n_actors

    def _bottom_up(self, n: int) -> list[int]:
        depth = [0] * n
        for a in range(n):
            p, d = self.parent[a], 0
            while p != _NONE and d <= n:
                p, d = self.parent[p], d + 1
            depth[a] = d
        return sorted(range(n), key=lambda a: (-depth[a], a))

    def _arrive(self, runnable: Sequence[int]) -> None:
        seen = self.seen
        for a in runnable:
            if not seen[a]:
                seen[a] = True
                p = self.parent[a]
                if p != _NONE:
                    self.left[p] = max(1, self.left[p] - self.subtree[a])

    def pick(self, runnable: Sequence[int], step: int) -> int:
        self._arrive(runnable)
        return self._weighted(runnable, self.left)

    def _weighted(self, runnable: Sequence[int], weights: Sequence[int]) -> int:
        total = 0
        for a in runnable:
            total += weights[a]
        r = self.rng.below(total)
        for i, a in enumerate(runnable):
            r -= weights[a]
            if r < 0:
                return i
        return len(runnable) - 1

    def applied(self, actor: int, forced: bool) -> None:
        if not forced:
            self.left[actor] = max(1, self.left[actor] - 1)


class SurwStrategy(UrwStrategy):
    name = "surw"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.target: Hashable = None
        self.prio: list[int] = []
        self.intended = _NONE
        self.blocked: list[bool] = []

    def params(self) -> dict[str, Any]:
        return {}

    def own_counts(self, names: Sequence[str]) -> list[int]:
        p = self.profile
        self.target = None
        if p is None:
            return [1] * len(names)
        # Keys touched by more than one actor, in first-seen order; one drawn by its count.
        totals: dict[Hashable, int] = {}
        users: dict[Hashable, int] = {}
        for per in p.key_counts.values():
            for k, c in per.items():
                totals[k] = totals.get(k, 0) + c
                users[k] = users.get(k, 0) + 1
        shared = [(k, c) for k, c in totals.items() if users[k] > 1 and k != ANY]
        if not shared:
            return super().own_counts(names)
        r = self.rng.below(sum(c for _, c in shared))
        for k, c in shared:
            r -= c
            if r < 0:
                self.target = k
                break
        return [p.key_counts.get(n, {}).get(self.target, 0) for n in names]

    def start(self, n_actors: int) -> None:
        super().start(n_actors)
        self.prio = [self.rng.below(1 << 30) for _ in range(n_actors)]
        self.intended = _NONE
        self.blocked = [False] * n_actors

    def _interesting(self, actor: int) -> bool:
        t = self.target
        if t is None:
            return True
        return any(k == t for k, _ in self.hub.footprint(actor))

    def pick(self, runnable: Sequence[int], step: int) -> int:
        self._arrive(runnable)
        prio, blocked = self.prio, self.blocked
        pool = [i for i, a in enumerate(runnable) if not blocked[a]]
        if not pool:
            self._unblock()
            pool = list(range(len(runnable)))
        while True:
            i = max(pool, key=lambda j: (prio[runnable[j]], -j))
            a = runnable[i]
            if not self._interesting(a):
                return i
            if self.intended == _NONE or self.intended not in runnable:
                self.intended = runnable[self._weighted(runnable, self.left)]
            if a == self.intended:
                self._unblock()
                return i
            blocked[a] = True
            pool.remove(i)
            if not pool:
                self._unblock()
                return i

    def _unblock(self) -> None:
        self.intended = _NONE
        self.blocked = [False] * len(self.blocked)

    def applied(self, actor: int, forced: bool) -> None:
        if not forced and self._interesting(actor):
            self.left[actor] = max(1, self.left[actor] - 1)


Constraint = tuple[str, str, bool]
"""(reading label, writer label, positive): the read should (or should not) read from it."""


@dataclass
class Corpus:
    """The cross-run state of one hunt under ``rff``: the abstract schedules (sets of reads-from
    constraints) whose runs showed reads-from pairs never seen before, in the order they were
    found, and every pair seen so far."""

    entries: list[tuple[Constraint, ...]] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    runs: int = 0


class RffStrategy(PosStrategy):
    """Reads-from fuzzing. A run follows an *abstract schedule*: constraints "read R reads
    from write W" (positive) or "does not" (negative). Positive: an actor whose pending read R
    would read from another writer waits while anything else can run, and runs first once it
    would read from W. Negative: a pending write W waits while R has not run yet, and R waits
    while it would read from W. Otherwise POS decides. A schedule whose run shows a new
    reads-from pair joins the corpus; later runs mutate a corpus entry: add a positive or a
    negative constraint drawn from the pairs seen so far, drop one, or negate one (Wolff et
    al., ASPLOS 2024)."""

    name = "rff"
    wants_coverage = True

    def __init__(self, seed: int, corpus: Corpus | None = None) -> None:
        super().__init__(seed)
        self.corpus = corpus
        self.schedule: tuple[Constraint, ...] = ()
        self.wanted: dict[str, list[tuple[str, bool]]] = {}
        self.held: dict[str, list[str]] = {}  # writer label -> reads that must run first
        self.ran: set[str] = set()

    def start(self, n_actors: int) -> None:
        super().start(n_actors)
        self.schedule = self._mutated() if self.corpus is not None else ()
        wanted: dict[str, list[tuple[str, bool]]] = {}
        held: dict[str, list[str]] = {}
        for r, w, pos in self.schedule:
            wanted.setdefault(r, []).append((w, pos))
            if not pos and w:
                held.setdefault(w, []).append(r)
        self.wanted, self.held = wanted, held
        self.ran = set()

    def _mutated(self) -> tuple[Constraint, ...]:
        c = self.corpus
        assert c is not None
        rng = self.rng
        pairs = sorted(c.coverage.reads_from)  # sorted: set order depends on string hashing
        if not pairs or not rng.chance(7, 8):
            return ()
        base = list(c.entries[rng.below(len(c.entries))]) if c.entries else []
        for _ in range(1 + rng.below(3)):
            op = rng.below(4)
            if op <= 1 or not base:  # add a constraint on a pair seen (the useful mutation)
                r, w = pairs[rng.below(len(pairs))]
                base = [x for x in base if (x[0], x[1]) != (r, w)]
                base.append((r, w, rng.chance(1, 2)))
            elif op == 2:
                del base[rng.below(len(base))]
            else:
                i = rng.below(len(base))
                r, w, pos = base[i]
                base[i] = (r, w, not pos)
        return tuple(sorted(set(base)))

    def _verdict(self, actor: int) -> int:
        """1: runs a wanted read now; -1: would break a constraint; 0: neither."""
        hub = self.hub
        label = hub.label(actor)
        verdict = 0
        reads = self.held.get(label)
        if reads is not None and any(r not in self.ran for r in reads):
            for _key, write in hub.footprint(actor):
                if write:
                    return -1  # a write that must wait for a read to run first
        rules = self.wanted.get(label)
        if not rules:
            return 0
        tracker = hub.tracker
        for key, write in hub.footprint(actor):
            if write or key == ANY:
                continue
            w = tracker.writer_of(key)
            for want, positive in rules:
                if positive:
                    if want != w:
                        return -1
                    verdict = 1
                elif want == w:
                    return -1
        return verdict

    def pick(self, runnable: Sequence[int], step: int) -> int:
        if not self.schedule or self.hub is None or self.hub.tracker is None:
            return super().pick(runnable, step)
        go: list[int] = []
        ok: list[int] = []
        for i, a in enumerate(runnable):
            v = self._verdict(a)
            if v > 0:
                go.append(i)
            elif v == 0:
                ok.append(i)
        allowed = go or ok
        if not allowed or len(allowed) == len(runnable):
            return super().pick(runnable, step)
        sub = [runnable[i] for i in allowed]
        return allowed[super().pick(sub, step)]

    def stepped(self, actor: int, label: str) -> None:
        self.ran.add(label)

    def finish(self, outcome: Any, records: Sequence[Any], coverage: Any) -> None:
        c = self.corpus
        if c is None or coverage is None:
            return
        c.runs += 1
        new_rf, _ = c.coverage.add(coverage)
        if new_rf and self.schedule not in c.entries:
            c.entries.append(self.schedule)
