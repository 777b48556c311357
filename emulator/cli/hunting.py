"""``pcemu hunt``'s loop: seeds in order, on one process or several (``-j N``).

With several processes the seeds are cut into chunks that run in order of seed; a chunk stops at
its first failing seed. The answer is taken only from the contiguous run of finished chunks from
the first seed, so the failing seed reported is the smallest one, and the step count the same,
as with ``-j 1``. The failing run itself is run again in this process (runs are deterministic)
to report and save it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from emulator.engine.choices import ChoiceRecord
from emulator.engine.config import RunResult
from emulator.engine.strategies import has_campaign
from emulator.engine.violations import CLEAN, ERROR
from emulator.errors import BadInput
from emulator.run import interrupts
from emulator.run.failures import build
from emulator.run.many import run_many
from emulator.run.session import RunSpec, build_options, execute, validate

if TYPE_CHECKING:
    from concurrent.futures import Future


@dataclass(frozen=True)
class Seen:
    """One seed's outcome, small enough to send between processes."""

    seed: int
    steps: int
    status: str
    oracle: str | None
    # The run's choices, kept when only they reproduce it (a strategy with cross-run state).
    choices: tuple[ChoiceRecord, ...] | None = None

    @property
    def failed(self) -> bool:
        return self.status != CLEAN

    @property
    def key(self) -> str:
        """What ``--count`` counts it under: the oracle, or the outcome (hang, error)."""
        return self.oracle or self.status


def run_seed(spec: RunSpec, seed: int) -> Seen:
    _scen, result = execute(replace(spec, seed=seed))
    o = result.outcome
    return Seen(seed, o.steps, o.status, o.violation.oracle if o.violation else None)


def run_chunk(spec: RunSpec, lo: int, hi: int, stop_at_failure: bool) -> list[Seen]:
    out = []
    for seed in range(lo, hi):
        s = run_seed(spec, seed)
        out.append(s)
        if (stop_at_failure and s.failed) or s.status == ERROR:
            break
    return out


def sequential(spec: RunSpec, start: int, n: int, stop_at_failure: bool) -> Iterator[Seen]:
    """The seeds in order, many to one trio run (``run_many``): the same results as one
    ``execute`` per seed. A signal is seen between runs (a batch in flight finishes first)."""

    def stop(r: RunResult) -> bool:
        return (stop_at_failure and r.outcome.failed) or r.outcome.status == ERROR

    seeds = range(start, start + n)
    keep_choices = has_campaign(spec.strategy)
    # Build the scenario once first: a build that fails (or exits) is one line naming the
    # scenario, before the strategy's profiling runs call it.
    scen = validate(spec)
    build(scen, spec.variant, build_options(scen, spec))
    runs = run_many(
        spec.scenario,
        spec.variant,
        seeds,
        spec.strategy,
        strategy_params=spec.strategy_params,
        schedule=spec.schedule,
        options=spec.options,
        budget=spec.budget,
        mem=spec.mem,
        until=stop,
    )
    for seed, result in zip(seeds, runs, strict=False):
        if interrupts.received() is not None:
            return
        o = result.outcome
        kept = tuple(result.choices) if keep_choices and o.failed else None
        s = Seen(seed, o.steps, o.status, o.violation.oracle if o.violation else None, kept)
        yield s
        if stop(result):
            return


def _worker_init(parent: int) -> None:
    # The parent decides what a signal means; a Ctrl-C on the terminal reaches every process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    interrupts.die_with_parent(parent)


def parallel(spec: RunSpec, start: int, n: int, stop_at_failure: bool, jobs: int) -> Iterator[Seen]:
    """The same seeds as ``sequential``, in the same order, computed by ``jobs`` processes."""
    # Imported here: a process pool is most of what -j 1 (the usual hunt) would import for
    # nothing before its first run.
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    size = max(1, min(64, n // (jobs * 8) or 1))
    chunks = [(lo, min(lo + size, start + n)) for lo in range(start, start + n, size)]
    pending: dict[int, Future[list[Seen]]] = {}
    done: dict[int, list[Seen]] = {}
    nxt = 0  # next chunk to submit
    emit = 0  # next chunk to hand out, in order
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_worker_init, initargs=(os.getpid(),)
    ) as pool:
        try:
            while emit < len(chunks):
                while nxt < len(chunks) and len(pending) < 2 * jobs:
                    lo, hi = chunks[nxt]
                    pending[nxt] = pool.submit(run_chunk, spec, lo, hi, stop_at_failure)
                    nxt += 1
                wait(pending.values(), timeout=0.2, return_when=FIRST_COMPLETED)
                for i in [i for i, f in pending.items() if f.done()]:
                    done[i] = pending.pop(i).result()
                while emit in done:
                    seen = done.pop(emit)
                    emit += 1
                    for s in seen:
                        yield s
                        if (stop_at_failure and s.failed) or s.status == ERROR:
                            return
                if interrupts.received() is not None:
                    return
        except BrokenProcessPool:
            if interrupts.received() is not None:
                return
            raise BadInput("a hunt worker process died; run again with -j 1 to see why") from None
        finally:
            for f in pending.values():
                f.cancel()
