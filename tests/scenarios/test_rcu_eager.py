"""The scenarios whose races hinge on when a grace period ends also hold under the most hostile
legal RCU (rcu=eager: each grace period ends the moment its last pre-existing reader leaves)."""

from __future__ import annotations

import pytest

from emulator.run.catalog import builtin
from emulator.run.session import run_once

EAGER = {"rcu": "eager"}
NAMES = sorted(n for n, s in builtin().items() if "rcu" in s.options)


def test_rcu_scenarios_offer_the_eager_mode() -> None:
    assert {"futex-key-uaf", "futex-ihold-resurrect"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_eager_rcu_buggy_found_and_fixed_clean(name: str) -> None:
    expects = builtin()[name].expects["buggy"]
    d = run_once(name, "buggy", 0, directed=True, options=EAGER).outcome
    assert d.violation is not None and d.violation.oracle in expects
    assert run_once(name, "fixed", 0, directed=True, options=EAGER).outcome.status == "clean"
    assert any(run_once(name, "buggy", s, options=EAGER).outcome.failed for s in range(200))
    bad = [s for s in range(300) if run_once(name, "fixed", s, options=EAGER).outcome.failed]
    assert bad == []
