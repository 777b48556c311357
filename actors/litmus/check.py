"""Checking one litmus test under one memory model: exhaustive exploration and the verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from actors.litmus.machine import LitmusModel, thread_actors
from actors.litmus.syntax import (
    LitmusSyntaxError,
    LitmusTest,
    Op,
    Stop,
    Stopped,
    Thread,
    Unsupported,
)
from actors.memory.base import make_memory
from emulator.engine.explore import Exploration, explore
from emulator.engine.runtime import ActorSpec, Model, RunResult
from emulator.engine.violations import CLEAN, VIOLATION

MODES = ("sc", "tso", "weak")
BOUND = 200_000
# --bound at most: a test explored 10**8 times runs for hours; past that the number is a typo.
MAX_BOUND = 100_000_000
BUDGET = 10_000

SOMETIMES, NEVER, ALWAYS, NO_FINAL = "Sometimes", "Never", "Always", "no final state"


def build(
    test: LitmusTest, mode: str, stop: Stop | None = None
) -> tuple[Model, Sequence[ActorSpec]]:
    model = LitmusModel(test, make_memory(mode), early_stores=mode.lower() == "weak", stop=stop)
    return model, thread_actors(model)


def accesses(th: Thread) -> int:
    """The most steps one run of ``th`` takes: its accesses and fences (the longer
    branch of every ``if``)."""

    def longest(ids: tuple[int, ...]) -> int:
        n = 0
        for oid in ids:
            op: Op = th.ops[oid]
            if op.kind == "if":
                n += max(longest(op.then), longest(op.orelse))
            elif op.access:
                n += 1
        return n

    return longest(th.body)


def fits(test: LitmusTest) -> None:
    """Refuse a test whose runs may need more steps than a run may take (``BUDGET``): such a
    run never reaches its final state, so the verdict could be wrong. A clear limit, and the
    one that bounds the work of a run (each step is one access or fence)."""
    total = sum(accesses(th) for th in test.threads)
    if total > BUDGET:
        raise LitmusSyntaxError(
            f"{len(test.threads)} threads make up to {total:,} memory accesses in a run, over the "
            f"{BUDGET:,} steps a run may take; split the test into smaller ones"
        )


@dataclass
class Verdict:
    test: LitmusTest
    mode: str
    verdict: str  # Sometimes / Never / Always / "no final state", "... (bounded at N)"
    decided: bool  # the search completed, or found final states of both kinds (Sometimes)
    exploration: Exploration
    witness: RunResult | None
    final_states: int  # runs whose final state passed the filter

    @property
    def expected(self) -> str | None:
        return self.test.result

    @property
    def agrees(self) -> bool | None:
        """None when undecided or the file has no Result: line."""
        exp = self.test.result
        if not self.decided or exp is None:
            return None
        if exp.upper() == "DEADLOCK":
            return self.verdict == NO_FINAL
        return self.verdict.lower() == exp.lower()


def check(test: LitmusTest, mode: str, bound: int = BOUND, stop: Stop | None = None) -> Verdict:
    """Explore ``test`` under ``mode`` (sc, tso, weak). Raises Unsupported for constructs
    found only while running (arithmetic on pointers, ...), LitmusSyntaxError for a test over
    the limits or undefined behaviour met while running, and Stopped as soon as ``stop()`` says
    so (it is asked before every run and every step)."""
    fits(test)
    # herd7's Observation: Always when every final state (that passes the filter) satisfies the
    # proposition inside exists / ~exists / forall, Never when none does, Sometimes otherwise.
    # So the search goes on past the first witness until a final state of the other kind shows
    # up; only then is Sometimes decided. The witness is the first run whose oracle fired (for
    # exists and ~exists a state satisfying the proposition, for forall a counterexample).
    seen = {"passed": 0, "pos": 0, "neg": 0}
    first: list[RunResult] = []

    def visit(result: RunResult) -> bool:
        m = result.model
        if not isinstance(m, LitmusModel):
            return False
        o = result.outcome
        if o.status not in (CLEAN, VIOLATION) or m.final_state is None:
            return False  # deadlocked or stopped before the end: no final state
        v = o.violation
        if v is not None and v.oracle not in ("LITMUS-EXISTS", "LITMUS-FORALL"):
            return False  # another oracle stopped the run before its final state
        if not m.passed_filter:
            return False
        seen["passed"] += 1
        seen["pos" if m.observed else "neg"] += 1
        if m.satisfied and not first:
            first.append(result)
        return bool(seen["pos"] and seen["neg"])

    def program() -> tuple[Model, Sequence[ActorSpec]]:
        if stop is not None and stop():
            raise Stopped()
        return build(test, mode, stop)

    try:
        ex = explore(program, visit, bound=bound, budget=BUDGET)
    except RecursionError:
        raise _too_deep() from None
    except BaseExceptionGroup as eg:
        # Raised inside a run: the run's task group wraps it. The most telling one wins.
        for kind in (Stopped, LitmusSyntaxError, RecursionError, Unsupported):
            found = _first(eg, kind)
            if isinstance(found, RecursionError):
                raise _too_deep() from None
            if found is not None:
                raise found from None
        raise
    witness = first[0] if first else None
    if seen["pos"] and seen["neg"]:
        verdict, decided = SOMETIMES, True
    elif not ex.complete:
        # Undecided: a state of the kind not seen yet may lie beyond the bound.
        verdict, decided = f"{ALWAYS if seen['pos'] else NEVER} (bounded at {bound})", False
    elif seen["pos"]:
        verdict, decided = ALWAYS, True
    elif seen["neg"]:
        verdict, decided = NEVER, True
    else:
        verdict, decided = NO_FINAL, True
    return Verdict(test, mode, verdict, decided, ex, witness, seen["passed"])


def _first(eg: BaseExceptionGroup[BaseException], kind: type[Exception]) -> Exception | None:
    """The first exception of ``kind`` in ``eg`` (groups nest only a few levels deep)."""
    for e in eg.exceptions:
        if isinstance(e, kind):
            return e
        if isinstance(e, BaseExceptionGroup):
            found = _first(e, kind)
            if found is not None:
                return found
    return None


def _too_deep() -> LitmusSyntaxError:
    return LitmusSyntaxError("nesting too deep to evaluate; simplify the expressions")
