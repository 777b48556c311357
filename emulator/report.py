"""Failure reports: the run as a numbered interleaving, McKenney style.

Consecutive steps of one actor form one numbered block; each step shows its label and the
primitive in kernel vocabulary (the model's own wording), with the values it read or returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack

from emulator.runtime import Model, RunResult

MAX_STEPS = 120


def _decode(model: Model | None, req: bytes, rep: bytes) -> tuple[str, str]:
    _seq, _src, _dst, op, label, args = msgpack.unpackb(req, use_list=False)
    if rep == b"":
        result: Any = None
        suffix = "  -> parks"
    elif rep == b"!":
        result = None
        suffix = "  -> VIOLATION"
    else:
        result = msgpack.unpackb(rep, use_list=False)[1]
        suffix = ""
    text = model.describe(op, args, result) if model is not None else f"{op}{args!r} = {result!r}"
    return label, text + suffix


def interleaving(
    events: Sequence[tuple[int, int, bytes, bytes]],
    actors: Sequence[str],
    model: Model | None,
    limit: int = MAX_STEPS,
) -> list[str]:
    lines: list[str] = []
    start = max(0, len(events) - limit)
    if start:
        lines.append(f"   ... {start} earlier steps not shown (pcemu explain shows all)")
    width = max((len(a) for a in actors), default=4)
    block = 0
    prev = -1
    for i in range(start, len(events)):
        actor, _vt, req, rep = events[i]
        label, text = _decode(model, req, rep)
        if actor != prev:
            block += 1
            head = f"{block:>4}. {actors[actor]:<{width}}"
            prev = actor
        else:
            head = " " * (6 + width)
        lines.append(f"{head}  [{label}] {text}")
    return lines


def switches(events: Sequence[tuple[int, int, bytes, bytes]]) -> int:
    n = 0
    for i in range(1, len(events)):
        if events[i][0] != events[i - 1][0]:
            n += 1
    return n


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
        out.extend(interleaving(result.events, result.actor_names, result.model))
        if v is not None:
            out.append(f"      => {v.oracle} at step {v.step}: {v.message}")
        snapshot = getattr(result.model, "snapshot", None)
        if callable(snapshot):
            out.append("")
            out.append("State when it fired:")
            out.extend(str(line) for line in snapshot())
    if repro:
        out.append("")
        out.append("Reproduce:")
        out.extend(f"  {c}" for c in repro)
    return "\n".join(out)
