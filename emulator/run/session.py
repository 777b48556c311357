"""One run of one scenario: resolve options, build the setup, pick the strategy, execute.

``RunSpec`` holds everything that determines a run; the same spec always yields the same trace
hash. Logs, trace files, hunts and soaks are built on ``execute``. ``validate`` is the one place
a spec's values are checked, whether they came from the command line or from a file.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import trio

from emulator import __version__
from emulator.engine.choices import Replay
from emulator.engine.coverage import Coverage
from emulator.engine.profile import Profile, profile
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import STRATEGIES, Strategy, make_strategy, needs_profile
from emulator.engine.violations import ERROR, VIOLATION
from emulator.errors import BadInput, ScenarioError
from emulator.run.catalog import did_you_mean, load
from emulator.run.failures import _loop_slot, build, leaf
from emulator.run.recording import MAX_BUDGET, SEED_LIMIT
from emulator.run.scenario import Scenario, Setup

SCHEDULES = ("seeded", "directed")

CHAOS_PARAMS: dict[str, tuple[int, int, int]] = {
    "switch": (8, 1, 1_000_000),
    "delay_out": (40, 1, 1_000_000),
    "delay_in": (3, 1, 1_000_000),
    # percent of memory choices (TSO/WEAK runs) that take a non-SC answer, outside and
    # inside a chaos window
    "mem": (25, 0, 100),
    "mem_in": (80, 0, 100),
}

# Every strategy parameter: (default, lowest, highest). The defaults are the strategies' own;
# the ranges keep a run finite and its arithmetic defined (switch=0 would divide by zero,
# depth=10**9 would plan a billion priority changes).
PARAMS: dict[str, dict[str, tuple[int, int, int]]] = {
    # mix passes chaos's parameters to the seeds it runs under chaos
    "mix": CHAOS_PARAMS,
    "chaos": CHAOS_PARAMS,
    # k's default (shown as 0) is the number of decisions the profiling runs made
    "pct": {"depth": (3, 1, 64), "k": (0, 1, 1_000_000)},
    "random": {},
    "pos": {},
    "urw": {},
    "surw": {},
    "rff": {},
}


@dataclass(frozen=True)
class RunSpec:
    scenario: str
    variant: str = "buggy"
    seed: int = 0
    strategy: str = "mix"
    strategy_params: dict[str, Any] = field(default_factory=dict)
    schedule: str = "seeded"  # or "directed"
    options: dict[str, str] = field(default_factory=dict)
    budget: int | None = None
    mem: str | None = None  # memory mode; None = the scenario's default (``Scenario.mem``)

    def header(self, scen: Scenario) -> dict[str, Any]:
        """Everything needed to reproduce the run (the first log event). A user script is
        named by its SCENARIO.name, its path and the sha256 of its bytes: replaying it needs
        the user to name the script again (``--script``), and the same bytes."""
        h: dict[str, Any] = {
            "pcemu": __version__,
            "scenario": scen.name if scen.is_script else self.scenario,
            "spec_id": scen.spec_id,
            "variant": self.variant,
            "seed": self.seed,
            "strategy": self.strategy,
            "strategy_params": dict(sorted(self.strategy_params.items())),
            "schedule": self.schedule,
            "options": resolved_options(scen, self.options),
            "mem": resolved_mem(scen, self.mem),
            "budget": self.budget or scen.budget,
        }
        if scen.is_script:
            h["script"] = scen.source
            h["script_sha256"] = scen.script_sha256
        return h


def resolved_options(scen: Scenario, given: Mapping[str, str]) -> dict[str, str]:
    opts = scen.default_options()
    for k, v in given.items():
        if k not in scen.options:
            known = ", ".join(scen.options) or "none"
            hint = did_you_mean(k, scen.options)
            raise BadInput(f"scenario {scen.name} has no option {k!r}{hint}; its options: {known}")
        if v not in scen.options[k]:
            allowed = ", ".join(scen.options[k])
            hint = did_you_mean(v, scen.options[k])
            raise BadInput(f"option {k}={v!r} is not one of: {allowed}{hint}")
        opts[k] = v
    return dict(sorted(opts.items()))


def param_help(strategy: str) -> str:
    p = PARAMS.get(strategy, {})
    if not p:
        return f"strategy {strategy} takes no parameters"
    keys = ", ".join(f"{k}={_default(d)} ({lo}..{hi:,})" for k, (d, lo, hi) in p.items())
    return f"strategy {strategy} takes {keys}"


def _default(d: int) -> str:
    return "profiled" if d == 0 else str(d)


def check_params(strategy: str, params: Mapping[str, Any]) -> None:
    known = PARAMS[strategy]
    for k, v in params.items():
        if k not in known:
            hint = did_you_mean(str(k), known)
            raise BadInput(f"unknown parameter -p {k}=...{hint}; {param_help(strategy)}")
        _d, lo, hi = known[k]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            shown = v if isinstance(v, int) and abs(v) < 10**30 else type(v).__name__
            raise BadInput(
                f"strategy parameter {k}={shown} is out of range; give {lo} <= {k} <= {hi:,} "
                f"(default {_default(_d)})"
            )


def check_seed(seed: Any, what: str = "seed") -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise BadInput(f"{what} {seed!r} is not an integer; seeds are integers 0 <= seed < 2**64")
    if seed < 0:
        raise BadInput(f"{what} {seed} is negative; seeds are integers >= 0")
    if seed >= SEED_LIMIT:
        shown = seed if seed < 10**30 else f"of {len(str(seed))} digits"
        raise BadInput(f"{what} {shown} is too large; seeds are integers 0 <= seed < 2**64")


def resolved_mem(scen: Scenario, mem: str | None) -> str:
    """The memory mode of a run: the scenario's default, or one of the modes it declares."""
    if mem is None:
        return scen.mem
    m = mem.upper()
    if m not in scen.modes():
        raise BadInput(
            f"scenario {scen.name} does not run in memory mode {mem!r}; use one of: "
            + ", ".join(scen.modes())
        )
    return m


def build_options(scen: Scenario, spec: RunSpec) -> dict[str, str]:
    """The options ``build`` gets: the resolved scenario options, and for a scenario that
    declares memory modes, its mode as ``options["mem"]``."""
    opts = resolved_options(scen, spec.options)
    if scen.mems:
        opts["mem"] = resolved_mem(scen, spec.mem)
    return opts


def validate(spec: RunSpec) -> Scenario:
    scen = load(spec.scenario)
    if spec.variant not in scen.variants:
        raise BadInput(
            f"unknown variant {spec.variant!r} for {scen.name}"
            f"{did_you_mean(spec.variant, scen.variants)}; use one of: " + ", ".join(scen.variants)
        )
    check_seed(spec.seed)
    if spec.strategy not in STRATEGIES:
        raise BadInput(
            f"unknown strategy {spec.strategy!r}{did_you_mean(spec.strategy, STRATEGIES)}; "
            f"use one of: {', '.join(STRATEGIES)}"
        )
    check_params(spec.strategy, spec.strategy_params)
    if spec.schedule not in SCHEDULES:
        raise BadInput(
            f"unknown schedule {spec.schedule!r}{did_you_mean(spec.schedule, SCHEDULES)}; "
            "use seeded or directed"
        )
    resolved_options(scen, spec.options)
    b = spec.budget
    if b is not None and (isinstance(b, bool) or not isinstance(b, int) or not 0 < b <= MAX_BUDGET):
        raise BadInput(f"--budget {b} must be a number of steps, 1 to {MAX_BUDGET:,}")
    resolved_mem(scen, spec.mem)
    return scen


_PROFILES: dict[tuple[str, str, str, tuple[tuple[str, str], ...], int], Profile | None] = {}


def profile_of(
    scen: Scenario, variant: str, opts: Mapping[str, str], budget: int
) -> Profile | None:
    """The profile of one program (a pure function of it), computed once per process. None
    when the program raises while profiled: the run itself then reports the error."""
    key = (scen.name, str(scen.source), variant, tuple(sorted(opts.items())), budget)
    if key in _PROFILES:
        return _PROFILES[key]

    if _in_trio_run():
        # The profiling runs need a trio run of their own; the except below would hide that.
        raise RuntimeError("profile_of called inside a trio run; compute the profile before it")

    def setup() -> Any:
        built = scen.build(variant, dict(opts))
        return built.model, built.actors

    try:
        p: Profile | None = profile(setup, budget)
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
    no profile."""
    budget = spec.budget or scen.budget
    prof = None
    if needs_profile(spec.strategy) and not replaying:
        prof = profile_of(scen, spec.variant, opts, budget)
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
    )
    return scen, setup, cfg


def execute(
    spec: RunSpec,
    replay: Replay | None = None,
    facts: bool = False,
    sites: bool = False,
    coverage: Coverage | None = None,
    campaign: Any = None,
) -> tuple[Scenario, RunResult]:
    """Run ``spec`` (its seed, or the given recorded choices). ``facts`` and ``sites`` ask the
    run to keep what explaining it needs, ``coverage`` to join its reads-from pairs and conflict
    orders; they change nothing the run does. ``campaign``: the cross-run state of a strategy
    that has one (rff), shared with the earlier runs of the same hunt or soak worker.

    Python exceptions out of scenario or model code become ``ScenarioError`` (building the
    scenario, or a model step); an actor whose own code raises ends the run with outcome
    ``error`` (see ``crash_error``)."""
    scen, setup, cfg = prepare(spec, replay, facts, sites, coverage, campaign)
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


def check_directed_actors(scen: Scenario, setup: Setup) -> None:
    names = [a.name for a in setup.actors]
    for i, entry in enumerate(setup.directed, 1):
        # (actor, label), or (actor, label, "weak"): stale memory until that step
        ok = isinstance(entry, tuple | list) and (
            len(entry) == 2 or (len(entry) == 3 and entry[2] == "weak")
        )
        if not ok or not all(isinstance(x, str) for x in entry):
            raise BadInput(
                f"scenario {scen.name}: directed schedule entry {i} is {entry!r}; "
                'write (actor, label) pairs, or (actor, label, "weak")'
            )
        actor, label = entry[0], entry[1]
        if actor not in names:
            raise BadInput(
                f"scenario {scen.name}: directed schedule entry {i} ({actor}, {label}) names "
                f"no actor{did_you_mean(actor, names)}; its actors: {', '.join(names)}"
            )


def _stepped(result: RunResult) -> set[tuple[str, str]]:
    return {(result.actor_names[e.actor], e.decode().label) for e in result.events}


def check_directed_reached(scen: Scenario, spec: RunSpec, setup: Setup, result: RunResult) -> None:
    """A directed schedule entry that no variant ever reaches is a mistake in the scenario (a
    misspelled label would otherwise be skipped and the run called clean). A FIXED variant may
    legitimately skip a step, so an entry counts as reached if the directed run of any variant
    takes it. Only runs that end without a violation are checked."""
    if result.outcome.status in (VIOLATION, ERROR) or not setup.directed:
        return
    seen = _stepped(result)
    # An entry is (actor, label), or (actor, label, "weak") in a memory-mode scenario.
    missing = [
        (i, tuple(d)[:2]) for i, d in enumerate(setup.directed, 1) if tuple(d)[:2] not in seen
    ]
    if not missing:
        return
    # Every variant under every combination of options (an option, like a variant, may
    # legitimately take another path): only what no run reaches is a mistake. Bounded; this
    # runs only after a directed run that left entries unreached.
    opts = resolved_options(scen, spec.options)
    keys = sorted(scen.options)
    combos = [
        dict(zip(keys, vals, strict=True)) for vals in product(*(scen.options[k] for k in keys))
    ]
    if scen.mems:  # a memory mode, like an option, may take another path
        opts["mem"] = resolved_mem(scen, spec.mem)
        combos = [{**c, "mem": m} for c in combos for m in scen.modes()]
    tried = 0
    for variant in scen.variants:
        for combo in combos:
            if not missing or tried >= 256:
                break
            if variant == spec.variant and combo == opts:
                continue
            tried += 1
            other = build(scen, variant, combo)
            cfg = RunConfig(
                strategy=make_strategy(
                    spec.strategy, spec.seed, spec.strategy_params, windows=bool(other.windows)
                ),
                budget=spec.budget or scen.budget,
                windows=other.windows,
                directed=other.directed,
            )
            try:
                seen |= _stepped(run_sync(other.model, other.actors, cfg))
            except Exception:
                continue
            missing = [(i, d) for i, d in missing if d not in seen]
    if missing:
        i, (actor, label) = missing[0]
        labels = sorted({lab for a, lab in seen if a == actor})
        raise BadInput(
            f"scenario {scen.name}: directed schedule entry {i} ({actor}, {label!r}) is never "
            f"reached: {actor} takes no step labelled {label!r} in any variant"
            f"{did_you_mean(label, labels)}; fix the entry in the scenario's directed schedule"
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
