"""003a anon-vma-reuse: 88c22088bf23's trylock on a recycled anon_vma is harmful only when the
recycled object's root switches after the walker loaded it (A5a): page_unlock_anon_vma then
unlocks the new root's lock, which the walker does not hold (INV-LOCK-1), and the lock it took
leaks. A switch before A5a is harmless; the reuse itself is a diagnosis."""

from __future__ import annotations

from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy
from emulator.run.session import run_once
from scenarios.anon_vma.anon_vma_reuse import SCENARIO

NAME = "anon-vma-reuse"


def directed(variant: str, schedule: list[tuple[str, str]]) -> tuple[RunResult, list[str]]:
    setup = SCENARIO.build(variant, SCENARIO.default_options())
    cfg = RunConfig(make_strategy("chaos", 0), directed=schedule)
    r = run_sync(setup.model, list(setup.actors), cfg)
    return r, list(setup.model.core.diagnoses)  # type: ignore[attr-defined]


def test_switch_after_load_unlocks_a_lock_not_held() -> None:
    o = run_once(NAME, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None, o
    v = o.violation
    assert (v.oracle, v.actor, v.label) == ("INV-LOCK-1", "CPU0", "W2")
    assert "anon_vma#6.lock not held by CPU0" in o.violation.message  # R2's lock
    assert "lock->owner != current" in o.violation.message


def test_switch_between_load_and_trylock_is_harmful_too() -> None:
    schedule = [("CPU0", "A5a"), ("CPU1", "AF4"), ("CPU2", "F2"), ("CPU0", "W2")]
    r, _diag = directed("buggy", schedule)
    v = r.outcome.violation
    assert v is not None and (v.oracle, v.label) == ("INV-LOCK-1", "W2"), r.outcome


def test_switch_before_the_load_is_benign() -> None:
    """The root switches before A5a: the walker trylocks the new root, walks a chain that is
    not its page's (harmless) and unlocks the same root. No oracle; the report keeps the reuse
    as a diagnosis."""
    schedule = [("CPU0", "A4"), ("CPU1", "AF4"), ("CPU2", "F2"), ("CPU0", "R6")]
    r, diag = directed("buggy", schedule)
    assert r.outcome.status == "clean", r.outcome
    assert any("INV-ID-1 (diagnosis)" in d and "gen 1" in d for d in diag), diag


def test_fixed_same_schedule_is_clean() -> None:
    o = run_once(NAME, "fixed", seed=0, directed=True).outcome
    assert o.status == "clean", o


def test_chaos_finds_the_harmful_case() -> None:
    for seed in range(300):
        o = run_once(NAME, "buggy", seed=seed).outcome
        if o.failed:
            assert o.violation is not None and o.violation.oracle == "INV-LOCK-1", o
            return
    raise AssertionError("no violation in 300 chaos seeds")
