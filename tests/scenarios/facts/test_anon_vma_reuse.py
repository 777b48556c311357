"""003a anon-vma-reuse: 88c22088bf23's trylock on a recycled anon_vma is harmful only when the
recycled object's root switches after the walker loaded it (A5a): page_unlock_anon_vma then
unlocks the new root's lock, which the walker does not hold (INV-LOCK-1), and the lock it took
leaks. A switch before A5a is harmless; the reuse itself is a diagnosis."""

from __future__ import annotations

from scenarios.anon_vma.anon_vma_reuse import SCENARIO
from tests.scenarios.facts.runs import build, directed_violation, found_from_seeds, scheduled

NAME = "anon-vma-reuse"


def test_switch_after_load_unlocks_a_lock_not_held() -> None:
    v = directed_violation(NAME, "buggy")
    assert (v.oracle, v.actor, v.label) == ("INV-LOCK-1", "CPU0", "W2")
    assert "anon_vma#6.lock not held by CPU0" in v.message  # R2's lock
    assert "lock->owner != current" in v.message


def test_switch_between_load_and_trylock_is_harmful_too() -> None:
    schedule = [("CPU0", "A5a"), ("CPU1", "AF4"), ("CPU2", "F2"), ("CPU0", "W2")]
    r = scheduled(build(SCENARIO, "buggy"), schedule)
    v = r.outcome.violation
    assert v is not None and (v.oracle, v.label) == ("INV-LOCK-1", "W2"), r.outcome


def test_switch_before_the_load_is_benign() -> None:
    """The root switches before A5a: the walker trylocks the new root, walks a chain that is
    not its page's (harmless) and unlocks the same root. No oracle; the report keeps the reuse
    as a diagnosis."""
    setup = build(SCENARIO, "buggy")
    schedule = [("CPU0", "A4"), ("CPU1", "AF4"), ("CPU2", "F2"), ("CPU0", "R6")]
    r = scheduled(setup, schedule)
    assert r.outcome.status == "clean", r.outcome
    diag = list(setup.model.core.diagnoses)  # type: ignore[attr-defined]
    assert any("INV-ID-1 (diagnosis)" in d and "gen 1" in d for d in diag), diag


def test_chaos_finds_the_harmful_case() -> None:
    # Of the oracles BUGGY may trip (the catalogue accepts any), what chaos finds first is the
    # unlock of a lock not held: the harm of the reuse, not a side effect of it.
    found_from_seeds(NAME, "chaos", 300, ("INV-LOCK-1",))
