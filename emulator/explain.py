"""Explaining a run: its interleaving in kernel vocabulary, as a kernel engineer writes it.

From a replayed run this builds, for every step: the actor, label, the primitive in the model's
own words with the values it read and returned, the scenario source line that issued it, the
locks the actor took, released or waits for, the objects it touched with their generations, and
the wake-ups and slab reuses that connect steps of different actors. ``render_text`` prints the
McKenney-style numbered blocks; ``explain_html`` draws the same analysis as a timeline.

The engine knows no kernel objects, so everything here is derived from the step envelopes and
``Model.describe``: object references are read back from the description (``anon_vma#3 gen 2``),
lock effects from the primitive's name (``*lock*``, ``*unlock*``, ``*trylock*``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack

from emulator.report import switches
from emulator.runtime import Model, RunResult
from emulator.scenario import Scenario
from emulator.sourcemap import SourceIndex, SourceLine
from emulator.violations import ViolationReport

OBJ_RE = re.compile(r"\b([A-Za-z_]\w*)#(\d+) gen (\d+)")

OK, PARKS, FIRES = "ok", "parks", "violation"


@dataclass
class Step:
    n: int  # 1-based, as in the violation report
    actor: int
    name: str
    vtime: int
    label: str
    op: str
    args: tuple[Any, ...]
    result: Any
    status: str  # OK, PARKS or FIRES
    text: str  # the model's description, with the values read and returned
    source: SourceLine | None = None
    objects: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, oid, gen)
    takes: str | None = None
    releases: str | None = None
    waits: str | None = None
    held: tuple[str, ...] = ()  # this actor's locks after the step
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Arrow:
    kind: str  # "wake" or "reuse"
    src: int  # step numbers
    dst: int
    text: str


@dataclass
class Life:
    """One generation of one object: where it was first and last seen."""

    kind: str
    oid: int
    gen: int
    first: int
    last: int
    by: str  # "CPU2 [F1]": the step that first showed this generation


@dataclass
class Explanation:
    header: dict[str, Any]
    scenario: Scenario
    actors: list[str]
    steps: list[Step]
    arrows: list[Arrow]
    lives: list[Life]
    violation: ViolationReport | None
    status: str
    error: str | None
    trace_hash: str
    switches: int
    snapshot: list[str]

    def blocks(self) -> list[list[Step]]:
        """Consecutive steps of one actor: the numbered blocks of the interleaving."""
        out: list[list[Step]] = []
        for s in self.steps:
            if out and out[-1][0].actor == s.actor:
                out[-1].append(s)
            else:
                out.append([s])
        return out


# -- decoding -----------------------------------------------------------------------------------


def _steps(result: RunResult, model: Model | None) -> list[Step]:
    steps = []
    for n, (actor, vtime, req, rep) in enumerate(result.events, 1):
        _seq, _src, _dst, op, label, args = msgpack.unpackb(req, use_list=False)
        if rep == b"":
            status, res = PARKS, None
        elif rep == b"!":
            status, res = FIRES, None
        else:
            status, res = OK, msgpack.unpackb(rep, use_list=False)[1]
        text = model.describe(op, args, res) if model is not None else f"{op}{args!r} = {res!r}"
        objs = [(k, int(o), int(g)) for k, o, g in OBJ_RE.findall(text)]
        name = result.actor_names[actor]
        steps.append(Step(n, actor, name, vtime, label, op, args, res, status, text, None, objs))
    return steps


# -- locks --------------------------------------------------------------------------------------


def _objects_of(model: Model | None, args: tuple[Any, ...], result: Any, op: str) -> list[str]:
    text = model.describe(op, args, result) if model is not None else ""
    return [f"{k}#{o}" for k, o, _g in OBJ_RE.findall(text)]


def _lock_key(step: Step, model: Model | None) -> str | None:
    """Which lock a lock-family primitive acts on. Locks are named like the model names them:
    a page by the page, a mutex as ``obj.lock``, a spinlock as ``obj.<field>``; a lock taken
    through a pointer (``*_via``) is the one the pointer led to, which the step returns."""
    op = step.op
    if op.startswith("rcu_read_"):
        return "rcu_read_lock"
    strs = [a for a in step.args if isinstance(a, str)]
    if op.endswith("_via"):
        res = step.result
        # trylock_via answers (ok, target); lock_via and unlock_via answer the target itself
        pair = isinstance(res, tuple) and len(res) == 2 and isinstance(res[0], bool)
        target = res[1] if pair else res
        objs = _objects_of(model, (), target, op) if target is not None else []
        if objs:
            return f"{objs[-1]}.lock"
        arg_objs = _objects_of(model, step.args, None, op)
        base = arg_objs[0] if arg_objs else "?"
        return f"{base}->{strs[0]}.lock" if strs else f"{base}.lock"
    arg_objs = _objects_of(model, step.args, None, op)
    base = arg_objs[0] if arg_objs else (strs[0] if strs else op)
    if "page" in op:
        return base
    if "spin" in op and strs:
        return f"{base}.{strs[0]}"
    return f"{base}.lock"


def _truthy_take(result: Any) -> bool:
    if isinstance(result, tuple) and result:
        return bool(result[0])
    return bool(result)


def _lock_effect(step: Step) -> str | None:
    """ "take", "release", "wait" or None, from the words of the primitive's name (``lock``,
    ``trylock``, ``unlock``: ``mutex_is_locked`` or ``fault_lookup`` are not lock steps) and
    its outcome."""
    if step.status == FIRES:
        return None  # the oracle stopped the step before it had any effect
    words = step.op.split("_")
    if "unlock" in words:
        return "release"
    if "trylock" in words:
        if step.status == PARKS:
            return "wait"
        return "take" if _truthy_take(step.result) else None
    if "lock" in words:
        return "wait" if step.status == PARKS else "take"
    return None


def _track_locks(steps: list[Step], n_actors: int, model: Model | None) -> None:
    held: list[list[str]] = [[] for _ in range(n_actors)]
    for s in steps:
        effect = _lock_effect(s)
        if effect is not None:
            key = _lock_key(s, model)
            mine = held[s.actor]
            if effect == "take" and key is not None:
                s.takes = key
                mine.append(key)
            elif effect == "release" and key is not None:
                s.releases = key
                if key in mine:
                    mine.reverse()
                    mine.remove(key)  # the innermost hold of a nested lock (RCU nesting)
                    mine.reverse()
                else:
                    s.notes.append(f"releases {key}, which {s.name} does not hold")
            elif effect == "wait":
                s.waits = key
        s.held = tuple(held[s.actor])


# -- wake-ups and reuse -------------------------------------------------------------------------


def _wakes(
    steps: list[Step], wakes: Sequence[tuple[int, int]], names: Sequence[str]
) -> list[Arrow]:
    """Arrows from the step that woke a parked actor (recorded by the runtime) to that actor's
    resumed step, its next one."""
    arrows = []
    for waker_n, woken in wakes:
        if not 1 <= waker_n <= len(steps):
            continue
        waker = steps[waker_n - 1]
        resumed = next((t for t in steps[waker_n:] if t.actor == woken), None)
        what = f" ({waker.releases})" if waker.releases else ""
        if resumed is None:
            waker.notes.append(f"wakes {names[woken]}{what}; the run ended before it resumed")
            continue
        parked = next(
            (t for t in reversed(steps[: waker_n - 1]) if t.actor == woken and t.status == PARKS),
            None,
        )
        arrows.append(Arrow("wake", waker.n, resumed.n, f"wakes {resumed.name}{what}"))
        waker.notes.append(f"wakes {resumed.name}{what}: it resumes at step {resumed.n}")
        since = f", parked at step {parked.n}" if parked is not None else ""
        resumed.notes.append(f"resumes{since}: woken by {waker.name} at step {waker.n}")
    return arrows


def _lives(steps: list[Step]) -> tuple[list[Life], list[Arrow]]:
    """Generations of every object seen, reuse arrows (the last step that showed the old
    generation, preferably the one that freed it, to the first that shows the new one), and
    notes on steps that still use an old generation."""
    lives: dict[tuple[int, int], Life] = {}
    current: dict[int, int] = {}
    arrows = []
    for s in steps:
        for kind, oid, gen in s.objects:
            life = lives.get((oid, gen))
            if life is None:
                life = lives[(oid, gen)] = Life(kind, oid, gen, s.n, s.n, f"{s.name} [{s.label}]")
            life.last = s.n
            cur = current.get(oid)
            if cur is None or gen > cur:
                current[oid] = gen
                if cur is not None:
                    freed = _freeing_step(steps, oid, cur, s.n)
                    src = freed.n if freed else lives[(oid, cur)].last
                    arrows.append(
                        Arrow("reuse", src, s.n, f"{kind}#{oid} reused: gen {cur} -> gen {gen}")
                    )
                    how = (
                        f"freed at step {src} by {freed.name} [{freed.label}]"
                        if freed
                        else f"last seen at step {src}"
                    )
                    s.notes.append(f"reuses {kind}#{oid}: gen {cur} -> gen {gen} (gen {cur} {how})")
            elif gen < cur:
                since = lives[(oid, cur)].first
                note = f"stale: {kind}#{oid} gen {gen} is gen {cur} since step {since}"
                if note not in s.notes:
                    s.notes.append(note)
    order = sorted(lives.values(), key=lambda x: (x.oid, x.gen))
    return order, arrows


def _freeing_step(steps: list[Step], oid: int, gen: int, before: int) -> Step | None:
    """The last step before ``before`` whose primitive frees this generation of the object."""
    for t in reversed(steps[: before - 1]):
        if "free" in t.op and t.objects and (t.objects[0][1], t.objects[0][2]) == (oid, gen):
            return t
    return None


# -- putting it together ------------------------------------------------------------------------


def explain(header: dict[str, Any], scenario: Scenario, result: RunResult) -> Explanation:
    model = result.model
    steps = _steps(result, model)
    index = SourceIndex.of(scenario, header)
    variant = str(header.get("variant", ""))
    for s in steps:
        s.source = index.find(s.label, s.op, s.args, variant, scenario.variants)
    _track_locks(steps, len(result.actor_names), model)
    arrows = _wakes(steps, result.wakes, result.actor_names)
    lives, reuse = _lives(steps)
    snap = getattr(model, "snapshot", None)
    o = result.outcome
    return Explanation(
        header=header,
        scenario=scenario,
        actors=list(result.actor_names),
        steps=steps,
        arrows=sorted(arrows + reuse, key=lambda a: (a.dst, a.src, a.kind)),
        lives=lives,
        violation=o.violation,
        status=o.status,
        error=o.error,
        trace_hash=o.trace_hash,
        switches=switches(result.events),
        snapshot=[str(x) for x in snap()] if callable(snap) and o.failed else [],
    )


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
        + (f" {opts}" if opts else "")
    )


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
