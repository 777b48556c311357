"""Primitives for user races of this family: cmpxchg and bit operations on any field, the
page refcount freeze of __remove_mapping, and a generic completion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from actors.api import K, actor
from actors.model import PageCacheModel
from actors.objects import FILE
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy

Prog = Callable[[K], Awaitable[None]]


def run(m: PageCacheModel, *progs: tuple[str, Prog], seed: int = 0) -> RunResult:
    actors = [actor(n, p) for n, p in progs]
    return run_sync(m, actors, RunConfig(make_strategy("random", seed)))


def test_cmpxchg_and_bits() -> None:
    m = PageCacheModel()
    o = m.ref(m.new("thing", {"state": 0, "flags": 0}))
    got: list[object] = []

    async def prog(k: K) -> None:
        got.append(await k.cmpxchg("C1", o, "state", 0, 7))  # succeeds: found 0
        got.append(await k.cmpxchg("C2", o, "state", 0, 9))  # fails: found 7
        got.append(await k.read("C3", o, "state"))
        got.append(await k.test_and_set_bit("B1", o, "flags", 3))
        got.append(await k.test_and_set_bit("B2", o, "flags", 3))
        await k.clear_bit("B3", o, "flags", 3)
        got.append(await k.read("B4", o, "flags"))

    assert run(m, ("CPU0", prog)).outcome.status == "clean"
    assert got == [0, 7, 7, False, True, 0]


def test_frozen_page_refuses_speculative_gets() -> None:
    """page_ref_freeze(page, 2) as __remove_mapping does it: a lookup's get_page_unless_zero
    fails while the count is frozen; a pinned page cannot be frozen at 2."""
    m = PageCacheModel()
    page = m.ref(m.new_page(FILE, holders=("cache", "lookup:R")))
    got: list[bool] = []

    async def reclaim(k: K) -> None:
        got.append(await k.page_ref_freeze("F1", page, 2))
        got.append(await k.get_page_unless_zero("F2", page, "spec"))
        await k.page_ref_unfreeze("F3", page, 2)
        got.append(await k.get_page_unless_zero("F4", page, "gup:CPU0"))
        got.append(await k.page_ref_freeze("F5", page, 2))  # now 3 references: refused
        await k.put_page("F6", page, "gup:CPU0")

    assert run(m, ("R", reclaim)).outcome.status == "clean"
    assert got == [True, False, True, False]


def test_completion_wakes_its_waiter_and_a_missing_complete_is_a_lost_wakeup() -> None:
    m = PageCacheModel()
    c = m.ref(m.new("completion", {"done": 0}))
    order: list[str] = []

    async def waiter(k: K) -> None:
        await k.wait_for_completion("W1", c)
        order.append("woken")

    async def completer(k: K) -> None:
        order.append("complete")
        await k.complete("C1", c)

    for seed in range(10):
        order.clear()
        m2 = PageCacheModel()
        c = m2.ref(m2.new("completion", {"done": 0}))
        r = run(m2, ("A", waiter), ("B", completer), seed=seed)
        assert r.outcome.status == "clean", r.outcome
        assert order == ["complete", "woken"]

    m3 = PageCacheModel()
    c = m3.ref(m3.new("completion", {"done": 0}))
    o = run(m3, ("A", waiter)).outcome
    assert o.violation is not None and o.violation.oracle == "INV-WAKE-1", o


def test_user_oracles_after_each_step_and_at_the_end() -> None:
    from emulator.engine.violations import Violation

    m = PageCacheModel()
    o = m.new("thing", {"n": 0})
    ref = m.ref(o)

    def never_two() -> None:
        if o.f["n"] == 2:
            raise Violation("USER-1", "n reached 2")

    m.step_checks.append(never_two)

    async def prog(k: K) -> None:
        for i in range(3):
            await k.write(f"W{i}", ref, "n", i)

    v = run(m, ("CPU0", prog)).outcome.violation
    assert v is not None and (v.oracle, v.label) == ("USER-1", "W2")

    m2 = PageCacheModel()
    o2 = m2.new("thing", {"n": 0})

    def ends_at_zero() -> None:
        if o2.f["n"] != 0:
            raise Violation("USER-2", "n not back to 0")

    m2.end_checks.append(ends_at_zero)
    ref2 = m2.ref(o2)

    async def prog2(k: K) -> None:
        await k.write("W1", ref2, "n", 1)

    v2 = run(m2, ("CPU0", prog2)).outcome.violation
    assert v2 is not None and v2.oracle == "USER-2"
