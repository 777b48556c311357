"""What the engine and the reports read about the generic model's state, apart from the
semantics of its ops (``model.py``): each request's footprint, a step's one-line description,
whom a parked thread waits for and why, the state at the end of a run.

The wait functions take the model's ``mutex`` lookup rather than its table because a lookup
creates a mutex on first use, as every op does."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from actors.generic.state import DONE, UNBORN, MutexState, ThreadState
from emulator.engine.footprint import UNKNOWN, Access

Mutexes = Callable[[str], MutexState]


def footprint(op: str, args: tuple[Any, ...]) -> tuple[Access, ...]:
    """What the request touches: variables by name, ("mutex", m), ("cond", cv), the
    thread table. ``check``, ``yield`` and a thread's start read nothing shared."""
    if op in ("load",):
        return ((("var", args[0]), False),)
    if op in ("store", "fetch_add", "cas"):
        return ((("var", args[0]), True),)
    if op in ("lock", "trylock", "unlock"):
        return ((("mutex", args[0]), True),)
    if op == "wait":
        return ((("mutex", args[1]), True), (("cond", args[0]), True))
    if op in ("signal", "broadcast"):
        return ((("cond", args[0]), True),)
    if op == "spawn":
        return ((("threads", ""), True),)
    if op == "join":
        return ((("thread", args[0]), False),)
    if op in ("check", "yield", "start"):
        return ()
    return UNKNOWN  # exit_process: everything


def describe(op: str, args: tuple[Any, ...], result: Any) -> str:
    if op == "spawn":
        return f"spawn {result}"
    if op == "start":
        return "thread starts"
    if op in ("signal", "broadcast"):
        woke = ", ".join(result) if result else "nobody"
        return f"cond_{op}({args[0]}): wakes {woke}"
    if op == "wait":
        return f"cond_wait({args[0]}, {args[1]})"
    if op == "check" and len(args) >= 2:
        return f"check({args[1]!r}) {'holds' if args[0] else 'FAILS'}"
    shown = ", ".join(str(a) for a in args)
    text = f"{op}({shown})"
    if result is not None:
        text += f" = {result}"
    return text


def owner(threads: Sequence[ThreadState], mutex: Mutexes, actor: int) -> int | None:
    """The actor that must act to end this actor's wait (the engine's wait-for edge)."""
    w = threads[actor].wait
    if w is None:
        return None
    kind, obj, _m = w
    if kind == "mutex":
        return mutex(obj).owner
    if kind == "join":
        for i, th in enumerate(threads):
            if th.name == obj:
                return i
    return None


def what(threads: Sequence[ThreadState], mutex: Mutexes, actor: int, seen: set[int]) -> str:
    w = threads[actor].wait
    if w is None:
        return "nothing"
    kind, obj, m = w
    if kind == UNBORN:
        return "its spawn (unborn)"
    if kind == "cond":
        return f"condvar {obj} (mutex {m} released)"
    who_acts = owner(threads, mutex, actor)
    if kind == "mutex":
        mx = mutex(obj)
        if who_acts is None:
            return f"mutex {obj} (free, about to retry)"
        if who_acts == actor:
            return (
                f"mutex {obj}, which it already holds since {mx.label} (relock of a NORMAL mutex)"
            )
        who = threads[who_acts]
        gone = ", which has exited" if who.state == DONE else ""
        return f"mutex {obj} held by {who.name}{gone} (taken at {mx.label}, step {mx.step})"
    # join: say what the joined thread itself waits for, so a report names the root cause.
    text = f"join({obj})"
    if who_acts is None or who_acts in seen:
        return text
    seen.add(actor)
    inner = threads[who_acts]
    if inner.wait is not None:
        text += f", and {inner.name} waits {what(threads, mutex, who_acts, seen)}"
    return text


def snapshot(
    threads: Sequence[ThreadState],
    mutex: Mutexes,
    mutexes: Mapping[str, MutexState],
    shared: Mapping[str, Any],
) -> list[str]:
    """The state at the end of the run, for failure reports."""
    out = ["threads:"]
    for i, th in enumerate(threads):
        if th.state == UNBORN:
            continue
        where = f", waits {what(threads, mutex, i, set())}" if th.wait else ""
        out.append(f"  {th.name}: {th.state}{where}")
    held = [(m, mx) for m, mx in mutexes.items() if mx.owner is not None]
    if held:
        out.append("mutexes held:")
        for m, mx in held:
            assert mx.owner is not None
            out.append(f"  {m}: {threads[mx.owner].name} since {mx.label}")
    out.append("shared:")
    out.extend(f"  {k} = {v!r}" for k, v in shared.items())
    return out
