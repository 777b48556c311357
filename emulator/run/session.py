"""One run of one scenario: resolve options, build the setup, pick the strategy, execute.

``RunSpec`` holds everything that determines a run; the same spec always yields the same trace
hash. Logs, trace files, hunts and soaks are built on ``execute``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator import __version__
from emulator.engine.choices import Replay
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import STRATEGIES, make_strategy
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
    mem: str | None = None  # memory mode; None = the scenario's default (``Scenario.mem``)

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
            "mem": resolved_mem(scen, self.mem),
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
    resolved_mem(scen, spec.mem)
    return scen


def execute(
    spec: RunSpec,
    replay: Replay | None = None,
    facts: bool = False,
    sites: bool = False,
) -> tuple[Scenario, RunResult]:
    """Run ``spec`` (its seed, or the given recorded choices). ``facts`` and ``sites`` ask the
    run to keep what explaining it needs; they change nothing the run does."""
    scen = validate(spec)
    build_options = resolved_options(scen, spec.options)
    if scen.mems:  # a scenario that declares memory modes gets its mode as options["mem"]
        build_options["mem"] = resolved_mem(scen, spec.mem)
    setup = scen.build(spec.variant, build_options)
    try:
        strategy = make_strategy(spec.strategy, spec.seed, spec.strategy_params)
    except TypeError as exc:
        raise BadInput(f"bad parameters for strategy {spec.strategy}: {exc}") from exc
    cfg = RunConfig(
        strategy=strategy,
        budget=spec.budget or scen.budget,
        windows=setup.windows,
        directed=setup.directed if spec.schedule == "directed" else (),
        replay=replay,
        facts=facts,
        sites=sites,
    )
    return scen, run_sync(setup.model, setup.actors, cfg)


def run_once(
    scenario: str,
    variant: str = "buggy",
    seed: int = 0,
    strategy: str = "chaos",
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
