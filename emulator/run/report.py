"""Failure reports: the run as a numbered interleaving, McKenney style.

Consecutive steps of one actor form one numbered block; each step shows its label and the
primitive in kernel vocabulary (the model's own wording), with the values it read or returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.engine import facts as fk
from emulator.engine.config import RunResult
from emulator.engine.events import FIRES, PARKS, StepEvent, switches
from emulator.engine.facts import Fact
from emulator.engine.model import Model

MAX_STEPS = 120

__all__ = ["MAX_STEPS", "interleaving", "render", "switches"]


def _text(model: Model | None, ev: StepEvent) -> tuple[str, str]:
    d = ev.decode()
    res = d.result
    text = model.describe(d.op, d.args, res) if model is not None else f"{d.op}{d.args!r} = {res!r}"
    suffix = "  -> parks" if d.status == PARKS else "  -> VIOLATION" if d.status == FIRES else ""
    return d.label, text + suffix


def _stated(facts: Sequence[Fact]) -> str:
    """The lock effects a step's facts state, as ``explain`` writes them (+taken, -released,
    waits for)."""
    parts = []
    for f in facts:
        obj = f"{f.okind}#{f.oid}" if f.oid else ""
        key = f"{obj}.{f.name}" if obj and f.name else obj or f.name or f.kind
        if f.kind in (fk.LOCK, fk.RCU_LOCK):
            parts.append(f"+{key}")
        elif f.kind in (fk.UNLOCK, fk.RCU_UNLOCK):
            parts.append(f"-{key}")
        elif f.kind == fk.WAIT:
            parts.append(f"waits {key}")
        elif f.kind in (fk.FREE, fk.REUSE, fk.STALE):
            parts.append(f"{f.kind} {obj} gen {f.gen}")
    return ("   " + "  ".join(parts)) if parts else ""


def interleaving(
    events: Sequence[StepEvent],
    actors: Sequence[str],
    model: Model | None,
    limit: int = MAX_STEPS,
    facts: Sequence[tuple[Fact, ...]] = (),
) -> list[str]:
    """Numbered blocks, one per run of consecutive steps of one actor. With the run's facts,
    each step also shows the effects the model stated for it."""
    lines: list[str] = []
    start = max(0, len(events) - limit)
    if start:
        lines.append(f"   ... {start} earlier steps not shown (pcemu explain shows all)")
    width = max((len(a) for a in actors), default=4)
    block = 0
    prev = -1
    stated = any(facts)
    for i in range(start, len(events)):
        ev = events[i]
        label, text = _text(model, ev)
        if ev.actor != prev:
            block += 1
            head = f"{block:>4}. {actors[ev.actor]:<{width}}"
            prev = ev.actor
        else:
            head = " " * (6 + width)
        more = _stated(facts[i]) if stated and i < len(facts) else ""
        lines.append(f"{head}  [{label}] {text}{more}")
    return lines


def render(header: dict[str, Any], result: RunResult, repro: Sequence[str]) -> str:
    o = result.outcome
    out: list[str] = []
    v = o.violation
    if v is not None:
        out.append(f"INVARIANT {v.oracle} violated: {v.message}")
    elif o.status == "clean":
        out.append("clean: no oracle fired")
    else:
        out.append(f"{o.status.upper()}: {o.error}")
    opts = " ".join(f"{k}={val}" for k, val in header.get("options", {}).items())
    out.append(
        f"scenario={header['scenario']} ({header.get('spec_id', '?')}) variant={header['variant']} "
        f"mem={header.get('mem', 'SC')} strategy={header['strategy']} seed={header['seed']} "
        f"schedule={header.get('schedule', 'seeded')}" + (f" {opts}" if opts else "")
    )
    where = f" at {v.actor} [{v.label}]" if v else ""
    out.append(
        f"steps={o.steps} vtime={o.vtime}ns switches={switches(result.events)} "
        f"trace={o.trace_hash}{where}"
    )
    if o.failed:
        out.append("")
        out.append("Interleaving:")
        out.extend(
            interleaving(result.events, result.actor_names, result.model, facts=result.facts)
        )
        if v is not None:
            out.append(f"      => {v.oracle} at step {v.step}: {v.message}")
        snapshot = getattr(result.model, "snapshot", None)
        if callable(snapshot):
            out.append("")
            out.append("State when it fired:")
            out.extend(str(line) for line in snapshot())
    warnings = getattr(result.model, "warnings", None)
    if isinstance(warnings, list | tuple) and warnings:
        out.append("")
        out.append("Warnings (the kernel would WARN; this run was told to go on):")
        out.extend(f"  {w}" for w in warnings)
    if repro:
        out.append("")
        out.append("Reproduce:")
        out.extend(f"  {c}" for c in repro)
    return "\n".join(out)
