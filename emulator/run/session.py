"""One run of one scenario: resolve options, build the setup, pick the strategy, execute.

``RunSpec`` holds everything that determines a run; the same spec always yields the same trace
hash. Logs, trace files, hunts and soaks are built on ``execute``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from emulator import __version__
from emulator.engine.choices import Replay
from emulator.engine.profile import Profile, profile
from emulator.engine.runtime import Job, RunConfig, RunResult, run_batch, run_sync
from emulator.engine.strategies import STRATEGIES, make_strategy, needs_profile, new_campaign
from emulator.errors import BadInput
from emulator.run.catalog import load
from emulator.run.scenario import Scenario


@dataclass(frozen=True)
class RunSpec:
    scenario: str
    variant: str = "buggy"
    seed: int = 0
    strategy: str = "chaos"
    strategy_params: dict[str, Any] = field(default_factory=dict)
    schedule: str = "seeded"  # or "directed"
    options: dict[str, str] = field(default_factory=dict)
    budget: int | None = None

    def header(self, scen: Scenario) -> dict[str, Any]:
        """Everything needed to reproduce the run (the first log event)."""
        return {
            "pcemu": __version__,
            "scenario": self.scenario,
            "spec_id": scen.spec_id,
            "variant": self.variant,
            "seed": self.seed,
            "strategy": self.strategy,
            "strategy_params": dict(sorted(self.strategy_params.items())),
            "schedule": self.schedule,
            "options": resolved_options(scen, self.options),
            "mem": scen.mem,
            "budget": self.budget or scen.budget,
        }


def resolved_options(scen: Scenario, given: dict[str, str]) -> dict[str, str]:
    opts = scen.default_options()
    for k, v in given.items():
        if k not in scen.options:
            known = ", ".join(scen.options) or "none"
            raise BadInput(f"scenario {scen.name} has no option {k!r}; its options: {known}")
        if v not in scen.options[k]:
            allowed = ", ".join(scen.options[k])
            raise BadInput(f"option {k}={v!r} is not one of: {allowed}")
        opts[k] = v
    return dict(sorted(opts.items()))


def validate(spec: RunSpec) -> Scenario:
    scen = load(spec.scenario)
    if spec.variant not in scen.variants:
        raise BadInput(
            f"unknown variant {spec.variant!r} for {scen.name}; use one of: "
            + ", ".join(scen.variants)
        )
    if spec.seed < 0:
        raise BadInput(f"seed {spec.seed} is negative; seeds are integers >= 0")
    if spec.strategy not in STRATEGIES:
        raise BadInput(f"unknown strategy {spec.strategy!r}; use one of: {', '.join(STRATEGIES)}")
    if spec.schedule not in ("seeded", "directed"):
        raise BadInput(f"unknown schedule {spec.schedule!r}; use seeded or directed")
    resolved_options(scen, spec.options)
    return scen


_PROFILES: dict[tuple[str, str, tuple[tuple[str, str], ...], int], Profile] = {}


def profile_of(scen: Scenario, variant: str, opts: dict[str, str], budget: int) -> Profile:
    """The profile of one program (a pure function of it), computed once per process."""
    key = (scen.name, variant, tuple(sorted(opts.items())), budget)
    p = _PROFILES.get(key)
    if p is None:

        def build() -> Any:
            setup = scen.build(variant, opts)
            return setup.model, setup.actors

        p = _PROFILES[key] = profile(build, budget)
    return p


def execute(
    spec: RunSpec,
    replay: Replay | None = None,
    facts: bool = False,
    sites: bool = False,
) -> tuple[Scenario, RunResult]:
    """Run ``spec`` (its seed, or the given recorded choices). ``facts`` and ``sites`` ask the
    run to keep what explaining it needs; they change nothing the run does."""
    scen = validate(spec)
    opts = resolved_options(scen, spec.options)
    budget = spec.budget or scen.budget
    prof = profile_of(scen, spec.variant, opts, budget) if needs_profile(spec.strategy) else None
    setup = scen.build(spec.variant, opts)
    try:
        strategy = make_strategy(spec.strategy, spec.seed, spec.strategy_params, prof)
    except TypeError as exc:
        raise BadInput(f"bad parameters for strategy {spec.strategy}: {exc}") from exc
    cfg = RunConfig(
        strategy=strategy,
        budget=budget,
        windows=setup.windows,
        directed=setup.directed if spec.schedule == "directed" else (),
        replay=replay,
        facts=facts,
        sites=sites,
    )
    return scen, run_sync(setup.model, setup.actors, cfg)


def run_many(
    scenario: str,
    variant: str = "buggy",
    seeds: Iterable[int] = (0,),
    strategy: str = "chaos",
    *,
    strategy_params: dict[str, Any] | None = None,
    schedule: str = "seeded",
    options: dict[str, str] | None = None,
    budget: int | None = None,
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
    which is yielded last: ``until=lambda r: r.outcome.failed`` for a hunt."""
    spec = RunSpec(
        scenario=scenario,
        variant=variant,
        strategy=strategy,
        strategy_params=dict(strategy_params or {}),
        schedule=schedule,
        options=dict(options or {}),
        budget=budget,
    )
    scen = validate(spec)
    opts = resolved_options(scen, spec.options)
    params = spec.strategy_params
    try:
        make_strategy(strategy, 0, params)
    except TypeError as exc:
        raise BadInput(f"bad parameters for strategy {strategy}: {exc}") from exc
    steps = budget or scen.budget
    directed = schedule == "directed"
    prof = profile_of(scen, variant, opts, steps) if needs_profile(strategy) else None
    campaign = new_campaign(strategy)  # cross-run state: a function of the seeds run so far

    def job(seed: int) -> Job:
        setup = scen.build(variant, opts)
        cfg = RunConfig(
            strategy=make_strategy(strategy, seed, params, prof, campaign),
            budget=steps,
            windows=setup.windows,
            directed=setup.directed if directed else (),
        )
        return setup.model, setup.actors, cfg

    it = iter(seeds)
    size = min(8, batch)
    while True:
        chunk = list(islice(it, size))
        if not chunk:
            return
        for seed in chunk:
            if seed < 0:
                raise BadInput(f"seed {seed} is negative; seeds are integers >= 0")
        results = run_batch(map(job, chunk), until)
        yield from results
        if until is not None and results and until(results[-1]):
            return
        size = min(size * 2, batch)


def run_once(
    scenario: str,
    variant: str = "buggy",
    seed: int = 0,
    strategy: str = "chaos",
    directed: bool = False,
    options: dict[str, str] | None = None,
) -> RunResult:
    """Convenience for tests and scripts."""
    spec = RunSpec(
        scenario=scenario,
        variant=variant,
        seed=seed,
        strategy=strategy,
        schedule="directed" if directed else "seeded",
        options=dict(options or {}),
    )
    return execute(spec)[1]
