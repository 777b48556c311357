"""001c futex-drop-caches-pin: without remove_mapping's page_ref_freeze, drop_caches takes a
GUP-pinned page out of its file and get_futex_key fails (INV-FUTEX-3; INV-REF-4 at D3 with
ref4=on). With the freeze the pinned page stays."""

from __future__ import annotations

from tests.scenarios.facts.runs import (
    directed,
    directed_violation,
    fixed_failures,
    found_from_seeds,
)

SCEN = "futex-drop-caches-pin"
REF4 = {"ref4": "on"}


def test_directed_buggy_fails_the_futex() -> None:
    v = directed_violation(SCEN, "buggy")
    assert (v.oracle, v.label) == ("INV-FUTEX-3", "L5")
    assert "drop_caches" in v.message


def test_directed_buggy_ref4_catches_the_removal_itself() -> None:
    v = directed_violation(SCEN, "buggy", REF4)
    assert (v.oracle, v.label) == ("INV-REF-4", "D3")


def test_directed_fixed_is_clean_with_ref4() -> None:
    assert directed(SCEN, "fixed", REF4).status == "clean"


def test_chaos_finds_the_futex_failure_without_ref4() -> None:
    # The catalogue accepts INV-REF-4 too; without ref4=on only the futex's failure can show.
    found_from_seeds(SCEN, "chaos", 200, ("INV-FUTEX-3",))


def test_fixed_clean_with_ref4_oracle() -> None:
    assert fixed_failures(SCEN, "chaos", 300, REF4) == []
