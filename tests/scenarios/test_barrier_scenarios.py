"""The four barrier scenarios (weak-memory.md section 6): each BUGGY variant's directed schedule
trips its oracle in the modes that can show it and is clean in the others; FIXED is clean in
every mode, directed and over seeds; SC runs never fail; the chaos strategy finds BUGGY from
seeds. The litmus cores' herd7 verdicts are checked by tests/e2e/test_litmus.py."""

from __future__ import annotations

import pytest

from emulator.run.catalog import builtin
from emulator.run.many import run_many
from emulator.run.session import run_once

FOUND_IN = {
    "futex-wake-barrier": ("TSO", "WEAK"),
    "truncate-count-barriers": ("WEAK",),
    "anon-vma-free-barrier": ("WEAK",),
    "mapcount-lock-order": ("WEAK",),
}
CASES = [
    (name, variant, mem)
    for name in sorted(FOUND_IN)
    for variant in builtin()[name].variants
    for mem in builtin()[name].modes()
]


def test_barrier_scenarios_declare_their_modes() -> None:
    for name in FOUND_IN:
        assert set(builtin()[name].modes()) == {"SC", "TSO", "WEAK"}


@pytest.mark.parametrize("name,variant,mem", CASES)
def test_directed(name: str, variant: str, mem: str) -> None:
    scen = builtin()[name]
    o = run_once(name, variant, directed=True, mem=mem).outcome
    if variant.startswith("buggy") and mem in FOUND_IN[name]:
        assert o.violation is not None, o
        assert o.violation.oracle in scen.expects[variant]
        assert "[weak memory:" in o.violation.message or "stale value" in o.violation.message
    else:
        assert o.status == "clean", o


@pytest.mark.parametrize("name,variant,mem", CASES)
def test_clean_where_it_must_be(name: str, variant: str, mem: str) -> None:
    if variant.startswith("buggy") and mem in FOUND_IN[name]:
        pytest.skip("expected to fail")
    for strategy in ("chaos", "pct", "random"):
        for seed in range(60):
            o = run_once(name, variant, seed, strategy, mem=mem).outcome
            assert o.status == "clean", (strategy, seed, o.violation)


@pytest.mark.parametrize("name", sorted(FOUND_IN))
def test_chaos_finds_buggy_in_every_weak_mode(name: str) -> None:
    for mem in FOUND_IN[name]:
        for seed in range(300):
            if run_once(name, "buggy", seed, mem=mem).outcome.failed:
                break
        else:
            pytest.fail(f"{name} buggy not found under {mem} in 300 seeds")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FOUND_IN))
def test_fixed_clean_over_2000_seeds(name: str) -> None:
    for variant in builtin()[name].variants:
        if variant.startswith("fixed"):
            for mem in ("TSO", "WEAK"):
                # The same runs as run_once under mix, made many to one trio run.
                runs = run_many(name, variant, range(2000), "mix", mem=mem)
                bad = [s for s, r in enumerate(runs) if r.outcome.failed]
                assert bad == [], (variant, mem)
