"""001c futex-drop-caches-pin: without remove_mapping's page_ref_freeze, drop_caches takes a
GUP-pinned page out of its file and get_futex_key fails (INV-FUTEX-3; INV-REF-4 at D3 with
ref4=on). With the freeze the pinned page stays."""

from __future__ import annotations

import pytest

from tests.scenarios.futex_checks import directed, first_violation, fixed_failures, same_trace_twice

SCEN = "futex-drop-caches-pin"
REF4 = {"ref4": "on"}


def test_directed_buggy_fails_the_futex() -> None:
    o = directed(SCEN, "buggy")
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.label) == ("INV-FUTEX-3", "L5")
    assert "drop_caches" in o.violation.message


def test_directed_buggy_ref4_catches_the_removal_itself() -> None:
    o = directed(SCEN, "buggy", REF4)
    assert o.violation is not None, o
    assert (o.violation.oracle, o.violation.label) == ("INV-REF-4", "D3")


@pytest.mark.parametrize("options", [None, REF4])
def test_directed_fixed_is_clean(options: dict[str, str] | None) -> None:
    assert directed(SCEN, "fixed", options).status == "clean"


def test_chaos_finds_buggy() -> None:
    hit = first_violation(SCEN, "chaos", 200)
    assert hit is not None
    assert hit[1].violation is not None and hit[1].violation.oracle == "INV-FUTEX-3"


def test_fixed_clean_with_ref4_oracle() -> None:
    assert fixed_failures(SCEN, "chaos", 300, REF4) == []


def test_determinism() -> None:
    assert same_trace_twice(SCEN, "buggy", 4)
    assert same_trace_twice(SCEN, "fixed", 4)
