"""Checks of a scenario's directed schedule (``--schedule directed``): every entry names an
actor of the scenario, and every entry is reached by the directed run of some variant."""

from __future__ import annotations

from itertools import product

from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy
from emulator.engine.violations import ERROR, VIOLATION
from emulator.errors import BadInput
from emulator.run.catalog import did_you_mean
from emulator.run.failures import build
from emulator.run.scenario import Scenario, Setup
from emulator.run.spec import RunSpec, resolved_mem, resolved_options


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
