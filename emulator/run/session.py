"""One run of one scenario: resolve options, build the setup, pick the strategy, execute.

``RunSpec`` (spec.py) holds everything that determines a run; the same spec always yields the
same trace hash. Logs, trace files, hunts and soaks are built on ``execute``. ``validate`` is
the one place a spec's values are checked, whether they came from the command line or from a
file; directed.py checks a directed schedule.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import trio

from emulator.engine.choices import Replay
from emulator.engine.coverage import Coverage
from emulator.engine.profile import Profile, profile
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import (
    STRATEGIES,
    Strategy,
    make_strategy,
    needs_horizon,
    needs_profile,
    picks_by_profile,
)
from emulator.errors import BadInput, ScenarioError, cut
from emulator.run.catalog import did_you_mean, load
from emulator.run.directed import check_directed_actors, check_directed_reached
from emulator.run.failures import _loop_slot, build, leaf
from emulator.run.scenario import Scenario, Setup

# What determines a run and the checks of its values live in spec.py; they are named here too,
# where most callers have always found them.
from emulator.run.spec import MAX_BUDGET
from emulator.run.spec import PARAMS as PARAMS
from emulator.run.spec import SCHEDULES as SCHEDULES
from emulator.run.spec import RunSpec as RunSpec
from emulator.run.spec import build_options as build_options
from emulator.run.spec import check_params as check_params
from emulator.run.spec import check_seed as check_seed
from emulator.run.spec import param_help as param_help
from emulator.run.spec import resolved_mem as resolved_mem
from emulator.run.spec import resolved_options as resolved_options


def validate(spec: RunSpec) -> Scenario:
    scen = load(spec.scenario)
    if spec.variant not in scen.variants:
        raise BadInput(
            f"unknown variant {cut(spec.variant)!r} for {scen.name}"
            f"{did_you_mean(spec.variant, scen.variants)}; use one of: " + ", ".join(scen.variants)
        )
    check_seed(spec.seed)
    if spec.strategy not in STRATEGIES:
        raise BadInput(
            f"unknown strategy {cut(spec.strategy)!r}{did_you_mean(spec.strategy, STRATEGIES)}; "
            f"use one of: {', '.join(STRATEGIES)}"
        )
    check_params(spec.strategy, spec.strategy_params)
    if spec.schedule not in SCHEDULES:
        raise BadInput(
            f"unknown schedule {cut(spec.schedule)!r}{did_you_mean(spec.schedule, SCHEDULES)}; "
            "use seeded or directed"
        )
    resolved_options(scen, spec.options)
    b = spec.budget
    if b is not None and (isinstance(b, bool) or not isinstance(b, int) or not 0 < b <= MAX_BUDGET):
        raise BadInput(f"--budget {b} must be a number of steps, 1 to {MAX_BUDGET:,}")
    resolved_mem(scen, spec.mem)
    return scen


_PROFILES: dict[tuple[str, str, str, tuple[tuple[str, str], ...], int, bool], Profile | None] = {}


def profile_of(
    scen: Scenario, variant: str, opts: Mapping[str, str], budget: int, horizon: bool = False
) -> Profile | None:
    """The profile of one program (a pure function of it), computed once per process. None
    when the program raises while profiled: the run itself then reports the error.
    ``horizon``: with the extra walks that PCT's k is taken from (``needs_horizon``)."""
    key = (scen.name, str(scen.source), variant, tuple(sorted(opts.items())), budget, horizon)
    if key in _PROFILES:
        return _PROFILES[key]

    if _in_trio_run():
        # The profiling runs need a trio run of their own; the except below would hide that.
        raise RuntimeError("profile_of called inside a trio run; compute the profile before it")

    def setup() -> Any:
        built = scen.build(variant, dict(opts))
        return built.model, built.actors

    try:
        p: Profile | None = profile(setup, budget, horizon=horizon)
    except ScenarioError:
        raise
    except Exception:
        # Scenario code that raises: the run itself reports it, with its actor and line.
        p = None
    _PROFILES[key] = p
    return p


def _in_trio_run() -> bool:
    try:
        trio.lowlevel.current_trio_token()
    except RuntimeError:
        return False
    return True


def strategy_for(
    scen: Scenario,
    spec: RunSpec,
    opts: Mapping[str, str],
    seed: int | None = None,
    campaign: Any = None,
    replaying: bool = False,
    windows: bool = False,
) -> Strategy:
    """The strategy of ``spec`` (for ``seed``, default the spec's), measured against the
    profile of the program when it uses one. A replay answers from its recording, so it needs
    no profile, unless the profile decides which strategy ran (``mix``)."""
    budget = spec.budget or scen.budget
    prof = None
    if needs_profile(spec.strategy) and (not replaying or picks_by_profile(spec.strategy)):
        horizon = needs_horizon(spec.strategy, windows)
        prof = profile_of(scen, spec.variant, opts, budget, horizon)
    return make_strategy(
        spec.strategy,
        spec.seed if seed is None else seed,
        spec.strategy_params,
        prof,
        campaign,
        windows,
    )


def prepare(
    spec: RunSpec,
    replay: Replay | None = None,
    facts: bool = False,
    sites: bool = False,
    coverage: Coverage | None = None,
    campaign: Any = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[Scenario, Setup, RunConfig]:
    """What ``execute`` runs: the checked scenario, its fresh setup and the run's
    configuration (building the setup may raise ``ScenarioError``)."""
    scen = validate(spec)
    opts = build_options(scen, spec)
    setup = build(scen, spec.variant, opts)
    if spec.schedule == "directed":
        check_directed_actors(scen, setup)
    strategy = strategy_for(
        scen,
        spec,
        opts,
        campaign=campaign,
        replaying=replay is not None,
        windows=bool(setup.windows),
    )
    cfg = RunConfig(
        strategy=strategy,
        budget=spec.budget or scen.budget,
        windows=setup.windows,
        directed=setup.directed if spec.schedule == "directed" else (),
        replay=replay,
        facts=facts,
        sites=sites,
        coverage=coverage,
        stop=stop,
    )
    return scen, setup, cfg


def execute(
    spec: RunSpec,
    replay: Replay | None = None,
    facts: bool = False,
    sites: bool = False,
    coverage: Coverage | None = None,
    campaign: Any = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[Scenario, RunResult]:
    """Run ``spec`` (its seed, or the given recorded choices). ``facts`` and ``sites`` ask the
    run to keep what explaining it needs, ``coverage`` to join its reads-from pairs and conflict
    orders; they change nothing the run does. ``campaign``: the cross-run state of a strategy
    that has one (rff), shared with the earlier runs of the same hunt or soak worker. ``stop``
    (``RunConfig.stop``) may end the run early, for a command that will then report nothing
    of it.

    Python exceptions out of scenario or model code become ``ScenarioError`` (building the
    scenario, or a model step); an actor whose own code raises ends the run with outcome
    ``error`` (see ``crash_error``)."""
    scen, setup, cfg = prepare(spec, replay, facts, sites, coverage, campaign, stop)
    try:
        result = run_sync(setup.model, setup.actors, cfg)
    except Exception as exc:
        raise step_error(scen, spec, replay, leaf(exc)) from None
    if spec.schedule == "directed" and replay is None:
        check_directed_reached(scen, spec, setup, result)
    return scen, result


def step_error(
    scen: Scenario, spec: RunSpec, replay: Replay | None, exc: BaseException
) -> ScenarioError:
    """A model step raised out of the runtime: name the actor, the label and the scenario line
    that issued it. The line comes from running the same choices again with sites on (the run is
    deterministic, and this is the error path only)."""
    slot = _loop_slot(exc.__traceback__)
    actor = getattr(slot, "name", "?")
    label = getattr(slot, "label", "?")
    tb = "".join(traceback.format_exception(exc)).strip()
    exc_line = tb.splitlines()[-1] if tb else type(exc).__name__
    where = "?"
    try:
        opts = build_options(scen, spec)
        setup = scen.build(spec.variant, opts)
        cfg = RunConfig(
            strategy=strategy_for(
                scen, spec, opts, replaying=replay is not None, windows=bool(setup.windows)
            ),
            budget=spec.budget or scen.budget,
            windows=setup.windows,
            directed=setup.directed if spec.schedule == "directed" else (),
            replay=replay,
            sites=True,
        )
        run_sync(setup.model, setup.actors, cfg)
    except Exception as again:
        site = getattr(_loop_slot(leaf(again).__traceback__), "site", None)
        if site is not None:
            where = f"{Path(site.filename).name}:{site.line} in {site.function}"
    return ScenarioError(
        f"scenario {scen.name}: the model raised {exc_line} in step [{label}] of actor {actor} "
        f"(issued at {where}); a bug in the scenario or in pcemu, not a race "
        "(-v shows the traceback)",
        tb,
    )


def run_once(
    scenario: str,
    variant: str = "buggy",
    seed: int = 0,
    strategy: str = "mix",
    directed: bool = False,
    options: dict[str, str] | None = None,
    mem: str | None = None,
) -> RunResult:
    """Convenience for tests and scripts."""
    spec = RunSpec(
        scenario=scenario,
        variant=variant,
        seed=seed,
        strategy=strategy,
        schedule="directed" if directed else "seeded",
        options=dict(options or {}),
        mem=mem,
    )
    return execute(spec)[1]
