"""001a futex-zero-page-livelock and its gate-area form: v2008 / v3.2 spin in get_futex_key's
`goto again` (INV-LIVE-1); e6780f7243ed returns -EFAULT on the first pass. (That chaos finds the
livelock and FIXED stays clean over seeds is the catalogue's, for both scenarios.)"""

from __future__ import annotations

import pytest

from emulator.run.session import run_once
from scenarios.futex.futex_zero_page_livelock import build_livelock
from tests.scenarios.facts.runs import scheduled

ZERO = "futex-zero-page-livelock"
GATE = "futex-gate-area-livelock"


@pytest.mark.parametrize("scen", [ZERO, GATE])
def test_directed_buggy_livelocks(scen: str) -> None:
    o = run_once(scen, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None, o
    assert o.violation.oracle == "INV-LIVE-1"
    assert o.violation.label == "L5"


@pytest.mark.parametrize("scen", [ZERO, GATE])
def test_directed_fixed_returns_efault_at_once(scen: str) -> None:
    o = run_once(scen, "fixed", seed=0, directed=True).outcome
    assert o.status == "clean", o
    assert o.steps < 40  # one pass, no retry


@pytest.mark.parametrize(
    "scen,variant,oracle",
    [
        (ZERO, "v3.2", None),  # the explicit ZERO_PAGE test stops the loop (GATE's buggy is v3.2)
        (GATE, "v2008", "INV-LIVE-1"),
        (ZERO, "vtip", None),
        (GATE, "vtip", None),
        (ZERO, "vlin", None),
        (GATE, "vlin", None),
    ],
)
def test_history_variants(scen: str, variant: str, oracle: str | None) -> None:
    o = run_once(scen, variant, seed=0, directed=True).outcome
    found = o.violation.oracle if o.violation else None
    assert found == oracle, o


# -- ab69f41ef93d (vtip): gate area on pass 1, special mappings on pass 2, drivers never ------

DRIVER = "futex-driver-page-livelock"


def _retries(page: str, l5: str) -> tuple[str, int]:
    r = scheduled(build_livelock(l5, page), [])
    return r.outcome.status, sum(1 for e in r.events if e.decode().op == "retry")


def test_vtip_gate_area_first_pass() -> None:
    assert _retries("gate", "vtip") == ("clean", 0)


def test_vtip_special_mapping_second_pass() -> None:
    """is_special_mapping() is looked up (under mmap_sem) only from the second pass on."""
    assert _retries("special", "vtip") == ("clean", 1)


def test_vtip_driver_page_livelocks() -> None:
    o = run_once(DRIVER, "buggy", seed=0, directed=True).outcome
    assert o.violation is not None and (o.violation.oracle, o.violation.label) == (
        "INV-LIVE-1",
        "L5",
    ), o


@pytest.mark.parametrize("variant", ["fixed", "vlin"])
def test_driver_page_efault(variant: str) -> None:
    assert run_once(DRIVER, variant, seed=0, directed=True).outcome.status == "clean"
