"""What a reader should look at first: the key fact of a race, the objects it touched, and the
loops of a livelock folded to one iteration.

All three are general rules over the explained steps (their actors, labels, primitives and the
objects named by their arguments and results), the same for every model and scenario:

- **key fact**: a step given a reference of an old generation (the object has a newer one by
  then) that returns an object the actor did not have that way: the new generation itself, or a
  value the new generation holds. That is the moment a stale pointer hands the actor someone
  else's object (anon-vma-reuse: ``A5``'s trylock through the recycled anon_vma returns the
  new owner's root).
- **touched objects**: those two or more actors used, plus those the failing step or the
  oracle's message names; the others are left out of the state (``-v`` shows them).
- **folded loops**: a window of steps (same actors, labels and primitives) repeated three times
  or more in a row is shown once, then ``xN iterations of L1-L5`` (a multiplication sign),
  then its last iteration.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from emulator.debug.steps import Step
from emulator.engine.violations import ViolationReport

MAX_PERIOD = 64  # longest loop body looked for, in steps
MIN_TIMES = 3  # a window repeated fewer times is not folded

_NAMED = re.compile(r"\b[A-Za-z_]\w*#(\d+)\b|#(\d+)\b")


@dataclass(frozen=True)
class Fold:
    """``times`` consecutive repetitions of the window of ``period`` steps starting at step
    ``first`` (1-based)."""

    first: int
    period: int
    times: int

    @property
    def last(self) -> int:
        """The last step of the last repetition."""
        return self.first + self.period * self.times - 1

    def hidden(self) -> range:
        """Steps not shown: every repetition but the first and the last."""
        return range(self.first + self.period, self.first + self.period * (self.times - 1))


def _obj(kind: str, oid: int, gen: int) -> str:
    return f"{kind}#{oid} gen {gen}"


def key_facts(steps: Sequence[Step]) -> list[Step]:
    """Mark (``Step.key``) and return the steps that show the key fact of the race."""
    newest: dict[int, tuple[int, Step]] = {}  # oid -> (newest gen, the step that first showed it)
    seen: dict[tuple[int, int], dict[int, Step]] = {}  # (actor, oid) -> gen -> first step
    found = []
    for s in steps:
        stale = [
            (k, o, g)
            for k, o, g in s.arg_objects
            if o in newest and newest[o][0] > g and (s.actor, o) in seen
        ]
        if stale and s.result_objects:
            key = _key(s, stale, newest, seen, steps)
            if key is not None:
                s.key = key
                found.append(s)
        for k, o, g in [*s.arg_objects, *s.result_objects, *s.objects]:
            del k
            if o not in newest or g > newest[o][0]:
                newest[o] = (g, s)
            seen.setdefault((s.actor, o), {}).setdefault(g, s)
    return found


def _key(
    s: Step,
    stale: list[tuple[str, int, int]],
    newest: dict[int, tuple[int, Step]],
    seen: dict[tuple[int, int], dict[int, Step]],
    steps: Sequence[Step],
) -> str | None:
    kind, oid, gen = stale[0]
    new_gen, since = newest[oid]
    loaded = seen[(s.actor, oid)].get(gen)
    load = f" at step {loaded.n} [{loaded.label}]" if loaded is not None else ""
    for rk, ro, rg in s.result_objects:
        if (s.actor, ro) in seen and rg in seen[(s.actor, ro)]:
            continue  # the actor had this one already: nothing new came back
        if ro == oid and rg > gen:
            return (
                f"[{s.label}] returned a reference to {_obj(rk, ro, rg)} while {s.name}'s "
                f"earlier load{load} saw gen {gen}: reused in between by "
                f"{since.name} [{since.label}] at step {since.n}"
            )
        if ro != oid:
            writer = _writer(steps, s.n, s.actor, (kind, oid, new_gen), (rk, ro, rg))
            how = (
                f", written by {writer.name} [{writer.label}] at step {writer.n}"
                if writer is not None
                else ""
            )
            return (
                f"[{s.label}] returned {_obj(rk, ro, rg)}, a value of {kind}#{oid} gen {new_gen}"
                f"{how}, while {s.name}'s earlier load{load} saw gen {gen} "
                f"(reused by {since.name} [{since.label}] at step {since.n})"
            )
    return None


def _writer(
    steps: Sequence[Step],
    before: int,
    actor: int,
    holder: tuple[str, int, int],
    value: tuple[str, int, int],
) -> Step | None:
    """The last step of another actor before ``before`` that named both the new generation
    and the value the stale step got back: where the value came from."""
    for t in reversed(steps[: before - 1]):
        if t.actor == actor:
            continue
        named = [*t.arg_objects, *t.result_objects, *t.objects]
        if holder in named and value in named:
            return t
    return None


def touched(
    steps: Sequence[Step], violation: ViolationReport | None, held: Sequence[str] = ()
) -> set[int]:
    """The objects the race touched: used by two or more actors, or named by the failing step,
    the oracle's message or a lock held when it fired."""
    by: dict[int, set[int]] = {}
    for s in steps:
        for _k, o, _g in [*s.objects, *s.arg_objects, *s.result_objects]:
            by.setdefault(o, set()).add(s.actor)
    alone = len({s.actor for s in steps}) <= 1  # one actor: everything it touched is the story
    keep = {o for o, actors in by.items() if len(actors) > 1 or alone}
    if violation is not None and 1 <= violation.step <= len(steps):
        last = steps[violation.step - 1]
        keep.update(o for _k, o, _g in [*last.objects, *last.arg_objects, *last.result_objects])
    texts = [violation.message] if violation is not None else []
    for text in [*texts, *held]:
        for a, b in _NAMED.findall(text):
            keep.add(int(a or b))
    return keep


def snapshot_objects(lines: Sequence[str], keep: set[int]) -> tuple[list[str], int]:
    """The model's account of its state with only the kept objects: an entry is a line that
    starts with an object's name (``anon_vma#2 ...``) and the more indented lines after it.
    Returns the lines kept and how many objects were left out."""
    out: list[str] = []
    left = 0
    skipping: int | None = None  # indentation of the entry being left out
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if skipping is not None and indent > skipping:
            continue
        skipping = None
        m = re.match(r"\s*[A-Za-z_]\w*#(\d+)\b", line)
        if m is not None and int(m.group(1)) not in keep:
            skipping = indent
            left += 1
            continue
        out.append(line)
    return out, left


def folds(steps: Sequence[Step]) -> list[Fold]:
    """Windows of steps repeated ``MIN_TIMES`` times or more in a row (same actor, label and
    primitive at each position), longest coverage first, found left to right."""
    sig = [(s.actor, s.label, s.op) for s in steps]
    n = len(sig)
    out = []
    i = 0
    while i < n:
        best: tuple[int, int] | None = None  # (period, times)
        for p in range(1, min(MAX_PERIOD, (n - i) // MIN_TIMES) + 1):
            window = sig[i : i + p]
            times = 1
            while sig[i + times * p : i + (times + 1) * p] == window:
                times += 1
            if times >= MIN_TIMES and (best is None or p * times > best[0] * best[1]):
                best = (p, times)
        if best is None:
            i += 1
            continue
        p, times = best
        out.append(Fold(i + 1, p, times))
        i += p * times
    return out


def loop_labels(steps: Sequence[Step], f: Fold) -> str:
    body = steps[f.first - 1 : f.first - 1 + f.period]
    return f"{body[0].label}\u2013{body[-1].label}" if len(body) > 1 else body[0].label
