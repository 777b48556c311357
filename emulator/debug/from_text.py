"""Explaining a run whose model states no facts: what each step did, read back from the
model's descriptions (``anon_vma#3 gen 2``) and the primitives' names (``*lock*``,
``*unlock*``, ``*trylock*``), and its source line guessed from the scenario's source by label
(``sourcemap``). Kept for models that do not state facts; ``from_facts`` replaces all of it
when they do."""

from __future__ import annotations

from typing import Any

from emulator.debug.sourcemap import SourceIndex
from emulator.debug.steps import FIRES, OBJ_RE, PARKS, Arrow, Life, Step
from emulator.engine.config import RunResult
from emulator.engine.model import Model
from emulator.run.scenario import Scenario


def annotate(
    steps: list[Step], result: RunResult, header: dict[str, Any], scenario: Scenario
) -> None:
    """Objects, lock effects and source lines of every step."""
    model = result.model
    index = SourceIndex.of(scenario, header)
    variant = str(header.get("variant", ""))
    sites = result.sites if any(x is not None for x in result.sites) else []
    for s in steps:
        s.objects = [(k, int(o), int(g)) for k, o, g in OBJ_RE.findall(s.text)]
        if not sites:
            s.source = index.find(s.label, s.op, s.args, variant, scenario.variants)
    _track_locks(steps, model)


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


def _track_locks(steps: list[Step], model: Model | None) -> None:
    for s in steps:
        effect = _lock_effect(s)
        if effect is None:
            continue
        key = _lock_key(s, model)
        if key is None:
            continue
        if effect == "take":
            s.takes = key
            s.took = (key,)
        elif effect == "release":
            s.releases = key
            s.released = (key,)
        elif effect == "wait":
            s.waits = key


def lives(steps: list[Step]) -> tuple[list[Life], list[Arrow]]:
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
