"""``pcemu explain`` as text: the numbered blocks of the interleaving, each step with its
source line and notes, then the outcome, the model's account of its state and the objects'
generations."""

from __future__ import annotations

from emulator.debug.explain import FIRES, PARKS, Explanation, Step, outcome_line, run_line


def render_text(e: Explanation) -> str:
    sc = e.scenario
    out = [
        f"pcemu explain: {run_line(e)}",
        f"  {sc.title}",
        f"  thread: {sc.thread}",
        f"  commits: {sc.commits}",
        f"  {len(e.steps)} steps, {e.switches} switches; actors: {', '.join(e.actors)}",
        "",
    ]
    width = len(str(len(e.steps)))
    pad = " " * (7 + width)
    for b, block in enumerate(e.blocks(), 1):
        first = block[0]
        before = _held_before(e, first)
        holding = f"   (holds {', '.join(before)})" if before else ""
        out.append(f"{b:>3}. {first.name}{holding}")
        for s in block:
            out.append(f"    {s.n:>{width}}  [{s.label}] {s.text}{_suffix(s)}")
            if s.source is not None:
                out.append(f"{pad}{s.source.where}  {s.source.text}")
            for note in s.notes:
                out.append(f"{pad}! {note}")
    out.append("")
    out.append(f"=> {outcome_line(e)}")
    last = _last_held(e)
    if last:
        out.append("   locks held then: " + "; ".join(last))
    if e.snapshot:
        out.append("")
        out.append("State when it fired (the model's own account):")
        out.extend(f"  {line}" for line in e.snapshot)
    if e.warnings:
        out.append("")
        out.append("Warnings (the kernel would WARN; this run was told to go on):")
        out.extend(f"  {w}" for w in e.warnings)
    if e.lives:
        out.append("")
        out.append("Objects (generation: first step - last step, first seen at):")
        for life in e.lives:
            out.append(
                f"  {life.kind}#{life.oid} gen {life.gen}: steps {life.first}-{life.last}, "
                f"first seen at {life.by}"
            )
    return "\n".join(out) + "\n"


def _suffix(s: Step) -> str:
    parts = []
    if s.status == PARKS:
        parts.append("-> parks" + (f" waiting for {s.waits}" if s.waits else ""))
    if s.status == FIRES:
        parts.append("-> VIOLATION")
    if s.takes:
        parts.append(f"+{s.takes}")
    if s.releases:
        parts.append(f"-{s.releases}")
    return ("   " + "  ".join(parts)) if parts else ""


def _held_before(e: Explanation, s: Step) -> tuple[str, ...]:
    for t in reversed(e.steps[: s.n - 1]):
        if t.actor == s.actor:
            return t.held
    return ()


def _last_held(e: Explanation) -> list[str]:
    last: dict[int, tuple[str, ...]] = {}
    for s in e.steps:
        last[s.actor] = s.held
    return [f"{e.actors[a]}: {', '.join(h)}" for a, h in sorted(last.items()) if h]
