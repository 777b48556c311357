"""Checking one litmus test under one memory model: exhaustive exploration and the verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from actors.litmus.machine import LitmusModel, thread_actors
from actors.litmus.syntax import LitmusTest, Unsupported
from actors.memory.base import make_memory
from emulator.engine.explore import Exploration, explore
from emulator.engine.runtime import ActorSpec, Model, RunResult
from emulator.engine.violations import CLEAN, VIOLATION

MODES = ("sc", "tso", "weak")
BOUND = 200_000
BUDGET = 10_000

SOMETIMES, NEVER, ALWAYS, NO_FINAL = "Sometimes", "Never", "Always", "no final state"


def build(test: LitmusTest, mode: str) -> tuple[Model, Sequence[ActorSpec]]:
    model = LitmusModel(test, make_memory(mode), early_stores=mode.lower() == "weak")
    return model, thread_actors(model)


@dataclass
class Verdict:
    test: LitmusTest
    mode: str
    verdict: str  # Sometimes / Never / Always / "no final state", "... (bounded at N)"
    decided: bool  # the search completed (or found a witness)
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


def check(test: LitmusTest, mode: str, bound: int = BOUND) -> Verdict:
    """Explore ``test`` under ``mode`` (sc, tso, weak). Raises Unsupported for constructs
    found only while running (arithmetic on pointers, ...)."""
    forall = test.quantifier == "forall"
    counts = {"passed": 0, "satisfied": 0}

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
        if m.passed_filter:
            counts["passed"] += 1
            if m.satisfied:
                counts["satisfied"] += 1
                return True  # a witness (for forall: a counterexample)
        return False

    try:
        ex = explore(lambda: build(test, mode), visit, bound=bound, budget=BUDGET)
    except BaseExceptionGroup as eg:
        found = eg.subgroup(lambda e: isinstance(e, Unsupported))
        if found is not None:
            raise _first(found) from None
        raise
    if ex.witness is not None:
        verdict = SOMETIMES
        decided = True
    elif not ex.complete:
        verdict = f"{ALWAYS if forall else NEVER} (bounded at {bound})"
        decided = False
    elif counts["passed"] == 0:
        verdict = NO_FINAL
        decided = True
    else:
        verdict = ALWAYS if forall else NEVER
        decided = True
    return Verdict(test, mode, verdict, decided, ex, ex.witness, counts["passed"])


def _first(eg: BaseExceptionGroup[BaseException]) -> Unsupported:
    for e in eg.exceptions:
        if isinstance(e, Unsupported):
            return e
        if isinstance(e, BaseExceptionGroup):
            return _first(e)
    return Unsupported("?")
