"""Explaining a run: its interleaving in kernel vocabulary, as a kernel engineer writes it.

From a replayed run this builds, for every step: the actor, label, the primitive in the model's
own words with the values it read and returned, the source line that issued it, the locks the
actor took, released or waits for, the objects it touched with their generations, and the
wake-ups and slab reuses that connect steps of different actors. ``explain_text`` prints the
McKenney-style numbered blocks; ``explain_html`` draws the same analysis as a timeline.

What each step did comes from the facts the model stated for it and the source line captured
where it was issued (``from_facts``), when the run has them. A model that states no facts is
explained from its step descriptions and op names instead (``from_text``).
"""

from __future__ import annotations

from typing import Any

from emulator.debug import explain_analysis, explain_memory, from_facts, from_text
from emulator.debug.steps import (
    FIRES,
    OK,
    PARKS,
    Arrow,
    Explanation,
    Life,
    Step,
    decoded_steps,
    track_held,
    wake_arrows,
)
from emulator.engine.config import RunResult
from emulator.engine.events import switches
from emulator.engine.model import Model
from emulator.run.scenario import Scenario

MODES = ("SC", "TSO", "WEAK")

__all__ = ["FIRES", "OK", "PARKS", "Arrow", "Explanation", "Life", "Step", "explain"]


def explain(header: dict[str, Any], scenario: Scenario, result: RunResult) -> Explanation:
    model = result.model
    steps = decoded_steps(result, model)
    stated = result.has_facts
    if stated:
        from_facts.annotate(steps, result, header, scenario)
    else:
        from_text.annotate(steps, result, header, scenario)
        if any(site is not None for site in result.sites):
            from_facts.sources(steps, result.sites, from_facts.user_script(header, scenario))
    track_held(steps, len(result.actor_names))
    arrows = wake_arrows(steps, result.wakes, result.actor_names)
    lives, reuse = from_facts.lives(steps, result.facts) if stated else from_text.lives(steps)
    mode = memory_mode(header)
    memory = explain_memory.analyse(steps, result.facts, result.actor_names, mode)
    explain_memory.annotate(memory, result.actor_names)
    snap = getattr(model, "snapshot", None)
    o = result.outcome
    keys = explain_analysis.key_facts(steps)
    if o.failed:
        keys += explain_memory.key_steps(memory, keys)
    return Explanation(
        header=header,
        scenario=scenario,
        actors=list(result.actor_names),
        steps=steps,
        arrows=sorted(arrows + reuse + memory.arrows, key=lambda a: (a.dst, a.src, a.kind)),
        lives=lives,
        violation=o.violation,
        status=o.status,
        error=o.error,
        trace_hash=o.trace_hash,
        switches=switches(result.events),
        snapshot=[str(x) for x in snap()] if callable(snap) and o.failed else [],
        warnings=model_warnings(model),
        keys=keys,
        folds=explain_analysis.folds(steps),
        stale=memory.stale,
        mem=mode,
    )


def memory_mode(header: dict[str, Any]) -> str:
    """The run's memory mode: the header's ``mem``; a litmus witness (whose scenario runs in
    every mode) names it as its variant."""
    for given in (header.get("mem"), header.get("variant")):
        m = str(given or "").upper()
        if m in MODES:
            return m
    return "SC"


def model_warnings(model: Model | None) -> list[str]:
    """What the model noted but let pass (a kernel WARN_ON it was told not to fail on)."""
    found = getattr(model, "warnings", None)
    return [str(w) for w in found] if isinstance(found, list | tuple) else []


def outcome_line(e: Explanation) -> str:
    v = e.violation
    if v is not None:
        return f"{v.oracle} at step {v.step}, {v.actor} [{v.label}]: {v.message}"
    if e.status == "clean":
        return "clean: no oracle fired"
    return f"{e.status}: {e.error}"


def run_line(e: Explanation) -> str:
    h = e.header
    opts = " ".join(f"{k}={v}" for k, v in (h.get("options") or {}).items())
    return (
        f"{h.get('scenario')} ({h.get('spec_id', '?')}) variant={h.get('variant')} "
        f"strategy={h.get('strategy')} seed={h.get('seed')} schedule={h.get('schedule', 'seeded')}"
        + (f" mem={memory_mode(h)}" if memory_mode(h) != "SC" else "")
        + (f" {opts}" if opts else "")
    )
