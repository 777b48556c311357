"""Explaining a run from what the model stated: the facts of every step (objects read and
written with their generations, allocations, frees and reuses, locks taken, released and
awaited, RCU sections) and the source line captured where the step was issued.

Nothing here reads the model's descriptions: they are shown as they are, and every effect
drawn or noted comes from a ``Fact``.
"""

from __future__ import annotations

import inspect
import linecache
import sys
from pathlib import Path
from typing import Any

from emulator.debug.sourcemap import SourceLine, shown_path
from emulator.debug.steps import Arrow, Life, Step
from emulator.engine import facts as fk
from emulator.engine.config import RunResult
from emulator.engine.facts import Fact
from emulator.engine.sites import Site
from emulator.run.scenario import Scenario

_OBJECT_KINDS = (
    fk.READ,
    fk.WRITE,
    fk.ALLOC,
    fk.FREE,
    fk.REUSE,
    fk.LOCK,
    fk.UNLOCK,
    fk.WAIT,
    fk.STALE,
)
RCU = "rcu_read_lock"


def lock_key(f: Fact) -> str:
    """A lock as the explanation names it: the object and the lock's own name."""
    if f.kind in (fk.RCU_LOCK, fk.RCU_UNLOCK):
        return f.name or RCU
    if f.oid:
        obj = f"{f.okind}#{f.oid}"
        return f"{obj}.{f.name}" if f.name else obj
    return f.name or f.kind


def annotate(
    steps: list[Step], result: RunResult, header: dict[str, Any], scenario: Scenario
) -> None:
    """Objects, lock effects and source lines of every step, from its facts and site."""
    sites = result.sites
    script = user_script(header, scenario)
    for s, facts in zip(steps, result.facts, strict=False):
        objs: list[tuple[str, int, int]] = []
        took: list[str] = []
        released: list[str] = []
        for f in facts:
            if f.oid and f.kind in _OBJECT_KINDS and (f.okind, f.oid, f.gen) not in objs:
                objs.append((f.okind, f.oid, f.gen))
            if f.kind in (fk.LOCK, fk.RCU_LOCK):
                took.append(lock_key(f))
            elif f.kind in (fk.UNLOCK, fk.RCU_UNLOCK):
                released.append(lock_key(f))
            elif f.kind == fk.WAIT and s.waits is None:
                names = result.actor_names
                owner = names[f.other] if 0 <= f.other < len(names) else None
                s.waits = lock_key(f) + (f" (held by {owner})" if owner else "")
        s.objects = objs
        s.took, s.released = tuple(took), tuple(released)
        s.takes = ", ".join(took) or None
        s.releases = ", ".join(released) or None
    sources(steps, sites, script)


def sources(steps: list[Step], sites: list[Site | None], script: str | None) -> None:
    """The source line captured where each step was issued."""
    for s, site in zip(steps, sites, strict=False):
        s.source = source_line(site, script) if site is not None else None


def user_script(header: dict[str, Any], scenario: Scenario) -> str | None:
    """A user's scenario script as it was given, to name its source lines."""
    return str(header.get("scenario")) if scenario.source != "builtin" else None


def lives(steps: list[Step], facts: list[tuple[Fact, ...]]) -> tuple[list[Life], list[Arrow]]:
    """Generations of every object, reuse arrows (from the step that freed the old generation
    to the one that reused the slot) and notes on frees, reuses and stale accesses."""
    found: dict[tuple[int, int], Life] = {}
    current: dict[int, int] = {}
    freed_at: dict[tuple[int, int], Step] = {}
    arrows: list[Arrow] = []
    for s, fs in zip(steps, facts, strict=False):
        for f in fs:
            if not f.oid or f.kind not in _OBJECT_KINDS:
                continue
            key = (f.oid, f.gen)
            life = found.get(key)
            if life is None:
                life = found[key] = Life(f.okind, f.oid, f.gen, s.n, s.n, f"{s.name} [{s.label}]")
            life.last = s.n
            obj = f"{f.okind}#{f.oid}"
            if f.kind == fk.FREE:
                freed_at[key] = s
            elif f.kind == fk.REUSE:
                old = current.get(f.oid)
                if old is not None and old != f.gen:
                    src = freed_at.get((f.oid, old))
                    start = src.n if src is not None else found[(f.oid, old)].last
                    arrows.append(
                        Arrow("reuse", start, s.n, f"{obj} reused: gen {old} -> gen {f.gen}")
                    )
                    how = (
                        f"freed at step {src.n} by {src.name} [{src.label}]"
                        if src is not None
                        else f"last seen at step {start}"
                    )
                    s.notes.append(f"reuses {obj}: gen {old} -> gen {f.gen} (gen {old} {how})")
            elif f.kind == fk.STALE:
                cur = current.get(f.oid)
                since = found[(f.oid, cur)].first if cur is not None else None
                note = (
                    f"stale: {obj} gen {f.gen} is gen {cur} since step {since}"
                    if cur is not None and cur != f.gen
                    else f"stale: {obj} gen {f.gen} used after it was freed"
                )
                if note not in s.notes:
                    s.notes.append(note)
                continue
            if f.gen >= current.get(f.oid, f.gen):
                current[f.oid] = f.gen
    order = sorted(found.values(), key=lambda x: (x.oid, x.gen))
    return order, arrows


def source_line(site: Site, script: str | None) -> SourceLine:
    """A captured site as the explanation shows it: a path stable across checkouts (the
    module's dotted name, or a user script as it was given) and the stripped line."""
    text = linecache.getline(site.filename, site.line).strip()
    return SourceLine(f"{_shown(site.filename, script)}:{site.line}", text)


def _shown(filename: str, script: str | None) -> str:
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if f is not None and f == filename:
            if script is not None and mod.__name__.startswith("pcemu_user_"):
                return script
            try:
                path = Path(inspect.getsourcefile(mod) or f)
            except TypeError:
                return filename
            return shown_path(mod, path, None)
    return filename
