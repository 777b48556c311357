"""The shrinking search: a shorter, simpler choice sequence that still trips the same oracle.

Delta debugging over the recorded choices, in the spirit of Hypothesis' shrinker: delete chunks,
zero chunks, lower single values, and move a switch onto a neighbouring scheduling choice. Every
candidate runs in *lenient* replay (clamped values, 0 past the end), so any edit is a valid run;
a candidate is kept only if the same oracle fires at the same actor and label and the run is
strictly simpler. Simpler means, in this order: fewer actor switches, fewer steps, fewer injected
delays, fewer non-default choices, a shorter then lexicographically smaller sequence. The order
is a well-founded key, so the search always ends.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace

from emulator.engine.choices import Replay
from emulator.engine.config import RunResult
from emulator.engine.events import switches
from emulator.engine.runtime import Job, run_batch
from emulator.run import interrupts
from emulator.run.session import RunSpec, execute, prepare, validate

Search = Generator[list[int], RunResult, bool]
"""A part of the search: yields each candidate to run, is sent its result, returns whether
it kept a simpler one."""


@dataclass(frozen=True)
class Target:
    """What must still happen: the oracle, and (unless relaxed) where it fires."""

    oracle: str
    actor: str | None
    label: str | None

    def hit(self, result: RunResult) -> bool:
        v = result.outcome.violation
        if v is None or v.oracle != self.oracle:
            return False
        return self.actor is None or (v.actor == self.actor and v.label == self.label)

    def __str__(self) -> str:
        return (
            self.oracle if self.actor is None else f"{self.oracle} at {self.actor} [{self.label}]"
        )


@dataclass(frozen=True)
class Measure:
    steps: int
    switches: int
    delays: int
    choices: int

    @classmethod
    def of(cls, result: RunResult) -> Measure:
        delays = sum(1 for c in result.choices if c.kind == "delay" and c.value)
        return cls(result.outcome.steps, switches(result.events), delays, len(result.choices))


def _trimmed(values: list[int]) -> list[int]:
    """Lenient replay answers 0 past the end, so trailing zeros say nothing."""
    end = len(values)
    while end and values[end - 1] == 0:
        end -= 1
    return values[:end]


Key = tuple[int, int, int, int, int, tuple[int, ...]]


def _key(result: RunResult) -> Key:
    m = Measure.of(result)
    vals = _trimmed(result.values)
    return (m.switches, m.steps, m.delays, sum(1 for v in vals if v), len(vals), tuple(vals))


class Shrinker:
    def __init__(
        self,
        spec: RunSpec,
        target: Target,
        start: RunResult,
        max_runs: int,
        on_run: Callable[[RunResult, bool], None] | None = None,
    ) -> None:
        # Candidates run under a tighter step budget: one that needs many more steps than the
        # failure we have is no simpler, and a livelocked candidate must not cost a full budget.
        # Kept runs end before this budget, so they replay identically under the original one.
        budget = min(spec.budget or validate(spec).budget, 2 * start.outcome.steps + 200)
        self.spec = replace(spec, budget=budget)
        self.target = target
        self.best = start
        self.best_key = _key(start)
        self.values = _trimmed(start.values)
        self.runs = 0
        self.max_runs = max_runs
        self.seen: set[tuple[int, ...]] = {tuple(self.values)}
        self.on_run = on_run  # called after every candidate run (progress)

    @property
    def exhausted(self) -> bool:
        """Out of candidate runs, or asked to stop (SIGINT/SIGTERM): every pass stops at its
        next candidate and the best run found so far stands."""
        return self.runs >= self.max_runs or interrupts.received() is not None

    def attempt(self, candidate: list[int]) -> Search:
        """Run a candidate; keep it if it trips the target and is simpler than the best."""
        cand = _trimmed(candidate)
        if tuple(cand) in self.seen or self.exhausted:
            return False
        result = yield from self._run(cand)
        kept = self._consider(result)
        if self.on_run is not None:
            self.on_run(result, kept)
        return kept

    def _run(self, cand: list[int]) -> Generator[list[int], RunResult, RunResult]:
        """The run of ``cand`` (lenient replay): asked of the driver, ``run``."""
        self.seen.add(tuple(cand))
        self.runs += 1
        result = yield cand
        return result

    def _consider(self, result: RunResult) -> bool:
        if not self.target.hit(result):
            return False
        k = _key(result)
        if k >= self.best_key:
            return False
        self.best, self.best_key = result, k
        self.values = _trimmed(result.values)
        self.seen.add(tuple(self.values))
        return True

    # -- passes ------------------------------------------------------------------------------
    # Each pass walks the current best sequence, which may shrink under it: indices are
    # re-checked against its current length at every step.

    def _chunks(self) -> Iterator[tuple[int, int]]:
        k = 1
        while k * 2 <= len(self.values):
            k *= 2
        while k >= 1:
            i = len(self.values) - k
            while i >= 0:
                yield i, k
                i -= k if k > 1 else 1
                i = min(i, len(self.values) - k)
            k //= 2

    def delete_chunks(self) -> Search:
        improved = False
        for i, k in self._chunks():
            if self.exhausted:
                break
            v = self.values
            improved |= yield from self.attempt(v[:i] + v[i + k :])
        return improved

    def zero_chunks(self) -> Search:
        improved = False
        for i, k in self._chunks():
            if self.exhausted:
                break
            v = self.values
            if any(v[i : i + k]):
                improved |= yield from self.attempt(v[:i] + [0] * k + v[i + k :])
        return improved

    def lower_values(self) -> Search:
        improved = False
        i = 0
        while i < len(self.values) and not self.exhausted:
            x = self.values[i]
            for lower in sorted({0, 1, x // 2, x - 1}):
                if 0 <= lower < x and (yield from self.attempt(self._with(i, lower))):
                    improved = True
                    break
            i += 1
        return improved

    def move_switches(self) -> Search:
        """A switch (non-zero scheduling choice) moved to the previous or next scheduling
        choice: blocks of one actor merge when the switch lands where another already was."""
        improved = False
        i = 0
        while i < len(self.values) and not self.exhausted:
            x = self.values[i]
            if x and self._kind(i) == "sched":
                for j in self._neighbours(i):
                    cand = self._with(i, 0)
                    cand[j] = x
                    if (yield from self.attempt(cand)):
                        improved = True
                        break
            i += 1
        return improved

    def zero_pairs(self) -> Search:
        """Two non-default choices zeroed together: a switch away and the switch back (or a
        delay and the switch it caused) only disappear as a pair."""
        improved = False
        i = 0
        while i < len(self.values) and not self.exhausted:
            j = i + 1
            while self.values[i] and j < len(self.values) and not self.exhausted:
                if self.values[j] and (yield from self.attempt(self._with(j, 0, self._with(i, 0)))):
                    improved = True
                    break
                j += 1
            i += 1
        return improved

    def other_picks(self) -> Search:
        """Any other runnable actor at a scheduling choice: not smaller as a number, but the
        key (switches first) decides whether the run got simpler."""
        improved = False
        i = 0
        # The whole recorded run, not just the trimmed sequence: the default answers past its
        # end are choices too, and a switch may be worth making there.
        while i < len(self.best.choices) and not self.exhausted:
            if self._kind(i) == "sched":
                x = self.values[i] if i < len(self.values) else 0
                for alt in range(self.best.choices[i].n):
                    if alt != x and (yield from self.attempt(self._with(i, alt))):
                        improved = True
                        break
            i += 1
        return improved

    def one_deviation(self) -> Search:
        """Start over from the default run (every choice 0) and make a single choice differ:
        a failure that needs one switch or one delay is found directly, however tangled the
        recorded schedule was (edits of the recording can get stuck in its shape)."""
        default = yield from self._run([])
        if self.target.hit(default):
            # The default run fails by itself (a livelock, a self-deadlock): nothing is simpler
            # than no choices at all; deviating from it one choice at a time would only cost.
            return self._consider(default)
        improved = False
        for i, (_v, n, kind, _w) in enumerate(default.choices):
            if self.exhausted:
                break
            alts = range(1, n) if kind != "delay" else (n - 1,)
            for alt in alts:
                if (yield from self.attempt([0] * i + [alt])):
                    improved = True
        return improved

    def _kind(self, i: int) -> str | None:
        """The kind of the best run's choice ``i`` (None past its end)."""
        choices = self.best.choices
        return choices[i].kind if i < len(choices) else None

    def _neighbours(self, i: int) -> list[int]:
        end = min(len(self.best.choices), len(self.values))
        out = []
        for step in (-1, 1):
            j = i + step
            while 0 <= j < end and self._kind(j) != "sched":
                j += step
            if 0 <= j < end:
                out.append(j)
        return out

    def _with(self, i: int, value: int, base: list[int] | None = None) -> list[int]:
        cand = list(self.values if base is None else base)
        if i >= len(cand):
            cand.extend([0] * (i + 1 - len(cand)))
        cand[i] = value
        return cand

    def run(self) -> RunResult:
        """The search to its end; the best run found. Its candidate runs share trio runs
        (``run_batch``): each is built once the search, given the previous result, asks for
        it, so the search is the one a trio run per candidate makes. A candidate whose model
        step raised is run again alone by ``execute``, which names the error exactly."""
        search = self._search()
        try:
            asked: list[list[int]] = [next(search)]
        except StopIteration:
            return self.best
        ended = [False]
        # The first one is prepared here, outside the trio run: a strategy that needs the
        # program's profile (mix) has it computed (by runs of its own) and cached for the rest.
        _scen, setup, cfg = prepare(self.spec, Replay.lenient(asked[0]))

        def runs() -> Iterator[Job]:
            yield setup.model, setup.actors, cfg
            while not ended[0]:
                _s, later, later_cfg = prepare(self.spec, Replay.lenient(asked[0]))
                yield later.model, later.actors, later_cfg

        def handed(result: RunResult) -> bool:
            try:
                asked[0] = search.send(result)
            except StopIteration:
                ended[0] = True
            return ended[0]

        try:
            run_batch(runs(), handed, keep=False)
        except Exception:
            if ended[0]:
                raise
            execute(self.spec, Replay.lenient(asked[0]))  # raises the error, named
            raise
        return self.best

    def _search(self) -> Search:
        yield from self.one_deviation()
        passes: list[Callable[[], Search]] = [
            self.delete_chunks,
            self.zero_chunks,
            self.lower_values,
            self.zero_pairs,
            self.move_switches,
            self.other_picks,
        ]
        improved = True
        while improved and not self.exhausted:
            improved = False
            for p in passes:
                improved |= yield from p()
        return improved  # of the last round only: what ``run`` reads is ``best``
