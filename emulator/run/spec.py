"""What determines a run (``RunSpec``) and the checks of its values: the scenario's options
and memory mode resolved, strategy parameters within their ranges, seeds. The same spec always
yields the same trace hash."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator import __version__
from emulator.errors import BadInput, cut
from emulator.run.catalog import did_you_mean
from emulator.run.scenario import MAX_BUDGET as MAX_BUDGET
from emulator.run.scenario import Scenario

# The limits of a run's values live here (MAX_BUDGET with the scenario contract, which bounds a
# scenario's budget too), with the rest of what determines a run, rather than with the
# recording's schemas (which check them in files): a run or a hunt needs these two numbers, not
# the schemas.
SEED_LIMIT = 1 << 64  # seeds are 0 <= seed < 2**64 everywhere (the PRNG takes 64 bits)

SCHEDULES = ("seeded", "directed")

CHAOS_PARAMS: dict[str, tuple[int, int, int]] = {
    "switch": (8, 1, 1_000_000),
    # 1 in N steps is delayed: N=1 would delay a step again every time it comes due, and
    # the run would never take another step
    "delay_out": (100, 2, 1_000_000),
    "delay_in": (3, 2, 1_000_000),
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
            raise BadInput(
                f"scenario {scen.name} has no option {cut(k)!r}{hint}; its options: {known}"
            )
        if v not in scen.options[k]:
            allowed = ", ".join(scen.options[k])
            hint = did_you_mean(v, scen.options[k])
            raise BadInput(f"option {cut(k)}={cut(v)!r} is not one of: {allowed}{hint}")
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
