"""Many runs to one trio run: many seeds of one scenario (``run_many``, used by ``hunt`` and the
benchmarks) or any list of specs (``execute_all``, used by the soak worker), with the results
``execute`` gives run by run, at less cost per run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from emulator.engine.choices import Replay
from emulator.engine.coverage import Coverage
from emulator.engine.runtime import Job, RunConfig, RunResult, run_batch
from emulator.engine.strategies import needs_horizon, needs_profile, new_campaign
from emulator.errors import ScenarioError
from emulator.run.failures import build
from emulator.run.scenario import Scenario, Setup
from emulator.run.session import (
    RunSpec,
    build_options,
    check_seed,
    execute,
    prepare,
    profile_of,
    strategy_for,
    validate,
)


def run_many(
    scenario: str,
    variant: str = "buggy",
    seeds: Iterable[int] = (0,),
    strategy: str = "mix",
    *,
    strategy_params: dict[str, Any] | None = None,
    schedule: str = "seeded",
    options: dict[str, str] | None = None,
    budget: int | None = None,
    mem: str | None = None,
    until: Callable[[RunResult], bool] | None = None,
    batch: int = 256,
) -> Iterator[RunResult]:
    """The results of ``execute`` for each seed, in order, made many to one trio run: each run
    still builds its own model, strategy and choices, so every result (and trace hash) is the
    one ``execute`` gives for that seed. What is the same for every seed (the scenario, its
    options, the checks) is done once.

    Seeds are run in batches (8, 16, ... up to ``batch`` per trio run) and yielded batch by
    batch: a consumer that stops early may have paid for runs of the batch it did not read.
    ``until`` (a pure predicate) stops the runs right after the first result it accepts,
    which is yielded last: ``until=lambda r: r.outcome.failed`` for a hunt. A batch in which
    scenario or model code raised is run again seed by seed through ``execute``, so the error
    names its seed, actor and line exactly as a single run would."""
    first = RunSpec(
        scenario=scenario,
        variant=variant,
        strategy=strategy,
        strategy_params=dict(strategy_params or {}),
        schedule=schedule,
        options=dict(options or {}),
        budget=budget,
        mem=mem,
    )
    scen = validate(first)
    opts = build_options(scen, first)
    steps = budget or scen.budget
    campaign = new_campaign(strategy)  # cross-run state (rff): a function of the seeds so far
    if needs_profile(strategy):
        # Now, not inside the batch's trio run, where the profiling runs could not start.
        try:
            windows = bool(build(scen, variant, opts).windows)
        except Exception:  # the runs report it, seed by seed (below)
            windows = True
        profile_of(scen, variant, opts, steps, needs_horizon(strategy, windows))

    def job(seed: int) -> Job:
        setup = build(scen, variant, opts)
        cfg = RunConfig(
            strategy=strategy_for(scen, first, opts, seed, campaign, windows=bool(setup.windows)),
            budget=steps,
            windows=setup.windows,
        )
        return setup.model, setup.actors, cfg

    it = iter(seeds)
    size = min(8, batch)
    while True:
        chunk = list(islice(it, size))
        if not chunk:
            return
        for seed in chunk:
            check_seed(seed)
        try:
            # Directed schedules are checked for unreached entries by ``execute`` itself.
            if schedule == "directed":
                raise _OneByOne
            results = run_batch(map(job, chunk), until)
        except (_OneByOne, ScenarioError, Exception):
            results = []
            for seed in chunk:
                result = execute(RunSpec(**{**first.__dict__, "seed": seed}))[1]
                results.append(result)
                if until is not None and until(result):
                    break
        yield from results
        if until is not None and results and until(results[-1]):
            return
        size = min(size * 2, batch)


class _OneByOne(Exception):
    """Run this batch seed by seed (see ``run_many``)."""


Call = tuple[RunSpec, Replay | None, Coverage | None]
"""One run for ``execute_all``: its spec, the choices it replays (or None), the coverage its
reads-from pairs and conflict orders join (or None)."""


def execute_all(calls: Sequence[Call], each: Callable[[int, Scenario, RunResult], None]) -> int:
    """``execute(spec, replay=..., coverage=...)`` of the calls, in order, in one trio run:
    each run builds its own model, strategy and choices exactly as ``execute`` does, so each
    result is the one ``execute`` gives. ``each(i, scenario, result)`` is called as soon as
    run ``i`` has ended (inside the trio run: it must not start one). Returns how many calls
    were run and handed to ``each``: it stops before a directed schedule (its checks need trio
    runs of their own) and at the first run or ``each`` that raised; the caller runs the rest
    through ``execute``, which names the error and its run exactly. Strategies with cross-run
    state (a campaign) are not for it: a run made again would teach its campaign twice."""
    prepared: list[tuple[Scenario, Setup, RunConfig]] = []
    try:
        for spec, replay, cov in calls:
            if spec.schedule == "directed":
                break
            prepared.append(prepare(spec, replay, coverage=cov))
    except KeyboardInterrupt:
        raise
    except BaseException:  # run the rest one by one: execute reports it exactly
        pass
    done = 0

    def handed(result: RunResult) -> bool:
        nonlocal done
        each(done, prepared[done][0], result)
        done += 1
        return False

    try:
        run_batch([(setup.model, setup.actors, cfg) for _s, setup, cfg in prepared], handed)
    except KeyboardInterrupt:
        raise
    except BaseException:  # the same: the rest one by one
        pass
    return done
