"""The baton runtime: actors as trio tasks, one hub, exactly one task running at any moment.

Every actor is a trio task with a one-slot mailbox. An actor runs local code until it calls
``Port.call`` (one step = one msgpack request to the hub), which hands the baton back to the hub
and parks the actor's task. The hub (``hub.Runtime``) applies one request at a time and hands
the baton, with the reply, to one actor only. At most one trio task is ever runnable, so trio's
run-queue order (which trio deliberately randomises) can never influence a run.

One run: ``run_sync`` (its own trio run) or ``run_actors`` (inside the caller's). Many runs:
``run_batch``, one trio run, one hub task and one pool of actor tasks for all of them; every run
still has its own model, strategy and choices, so its result is the one ``run_sync`` gives.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence

import trio

from emulator.engine import trio_run
from emulator.engine.config import RunConfig, RunResult
from emulator.engine.events import trace_hash
from emulator.engine.hub import Runtime
from emulator.engine.lighten import lighten
from emulator.engine.model import PARKED, Control, Model, WaitInfo
from emulator.engine.pool import Pool
from emulator.engine.port import ActorProgram, ActorSpec, Port

__all__ = [
    "PARKED",
    "ActorProgram",
    "ActorSpec",
    "Control",
    "Job",
    "Model",
    "Port",
    "RunConfig",
    "RunResult",
    "Runtime",
    "WaitInfo",
    "run_actors",
    "run_batch",
    "run_sync",
    "trace_hash",
]

Job = tuple[Model, Sequence[ActorSpec], RunConfig]
"""What one run is given: a fresh model, its actors, and its configuration."""


async def run_actors(model: Model, actors: Sequence[ActorSpec], cfg: RunConfig) -> RunResult:
    """One run inside a trio run the caller already has (the calling task is the hub)."""
    async with trio.open_nursery() as nursery:
        pool = Pool(nursery)
        result = await Runtime(model, actors, cfg).run(pool)
        pool.close()
    return result


# Runs between two collections of the young generations when a batch keeps no results.
_SWEEP = 512


def run_batch(
    jobs: Iterable[Job], until: Callable[[RunResult], bool] | None = None, keep: bool = True
) -> list[RunResult]:
    """Run ``jobs`` one after another in one trio run; each job is taken from ``jobs`` only
    when the previous run has ended. Stops after the first result ``until`` accepts (the last
    one returned). An exception raised while taking a job is raised as is. With ``keep=False``
    only the last result is returned (a search of a million runs reads each in ``until``)."""
    results: list[RunResult] = []
    failed: list[Exception] = []
    count = [0]

    async def main() -> None:
        lighten()  # this trio run is the batch's own: it does no I/O
        async with trio.open_nursery() as nursery:
            pool = Pool(nursery)
            it = iter(jobs)
            while True:
                try:
                    job = next(it, None)
                except Exception as exc:  # building the run failed: not a run's outcome
                    failed.append(exc)
                    break
                if job is None:
                    break
                result = await Runtime(*job).run(pool)
                if keep:
                    results.append(result)
                else:
                    results[:] = [result]
                    count[0] += 1
                    if count[0] % _SWEEP == 0:
                        # No result is kept, so what is young is what the last runs left
                        # in cycles (trio's own few objects): a long search stays flat.
                        gc.collect(1)
                if until is not None and until(result):
                    break
            pool.close()

    # The cyclic collector is suspended while the runs go on: the results of the batch stay
    # alive until it ends, so generation-2 collections kept walking every live result again
    # (18-35 % of a batch's CPU time). A run leaves no reference cycle (test_baton.py), so a
    # batch grows by nothing the collector would have freed but trio's own few dozen objects.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        trio_run.run(main)
    finally:
        if was_enabled:
            _settle(len(results))
            gc.enable()
    if failed:
        raise failed[0]
    return results


# Batches whose survivors went straight to the oldest generation since the last full
# collection (``_settle``), and how many may before the next one.
_settled = 0
_FULL_EVERY = 64


def _settle(runs: int) -> None:
    """Put what a batch of runs left alive where the collector will not walk it at once.

    Everything allocated during the batch is young, and the first allocation after it sets off
    a young collection that walks every result the caller has not read yet (7 % of a run's
    CPU time) only to find them all alive. gc.freeze() then gc.unfreeze() moves every tracked
    object to the oldest generation without walking any; the results are freed by reference
    counting as the caller drops them. The garbage of the batch (trio's, a few dozen objects
    per trio run) waits for the next full collection, which comes every ``_FULL_EVERY``
    batches at the latest. Not for small batches (run_sync), whose young collections cost
    little. What the process froze before (the CLI freezes what importing its commands built)
    is released to the oldest generation too, where young collections do not walk it either;
    skipping the batch's move for it cost a hunt's runs 7 %."""
    global _settled
    if runs < 8:
        return
    _settled += 1
    if _settled >= _FULL_EVERY:
        _settled = 0
        gc.collect()
    else:
        gc.freeze()
        gc.unfreeze()


def run_sync(model: Model, actors: Sequence[ActorSpec], cfg: RunConfig) -> RunResult:
    return run_batch([(model, actors, cfg)])[0]
