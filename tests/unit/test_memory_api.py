"""The memory-model interface, driven directly with scripted choices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actors.memory import SC, TSO, WEAK, make_memory


def script(*values: int) -> tuple[list[tuple[int, str]], object]:
    """A choose() answering ``values`` in turn, then 0; it records (n, kind) per question. Like
    the runtime, a question with a single answer is not asked."""
    asked: list[tuple[int, str]] = []
    it: Iterator[int] = iter(values)

    def choose(n: int, kind: str) -> int:
        if n <= 1:
            return 0
        asked.append((n, kind))
        v = next(it, 0)
        assert 0 <= v < n, (v, n, kind)
        return v

    return asked, choose


def test_make_memory_names_the_modes() -> None:
    assert [type(make_memory(m)).__name__ for m in ("sc", "TSO", "Weak")] == ["SC", "TSO", "WEAK"]
    with pytest.raises(ValueError, match="use sc, tso or weak"):
        make_memory("arm")


def test_all_zero_choices_are_sequentially_consistent() -> None:
    for m in (SC(), TSO(), WEAK()):
        _asked, choose = script()
        m.bind(choose)  # type: ignore[arg-type]
        m.init("x", 5)
        m.store(0, "x", 1)
        assert m.load(1, "x")[0] == 1
        old, wrote, _ = m.rmw(1, "x", lambda v: int(v) + 1)
        assert (old, wrote) == (1, True)
        m.finish()
        assert m.final("x") == 2


def test_weak_read_may_be_stale_until_a_fence_orders_it() -> None:
    m = WEAK()
    asked, choose = script(0, 1)
    m.bind(choose)  # type: ignore[arg-type]
    m.store(0, "x", 1)
    m.store(0, "y", 1)
    assert m.load(1, "y")[0] == 1
    assert m.load(1, "x")[0] == 0  # third choice: the older message
    assert asked[-1] == (2, "mm.read")
    m.fence(1, "rmb")  # does not help: the y message carries no view of x (no wmb)
    _asked2, choose2 = script(1)
    m.bind(choose2)  # type: ignore[arg-type]
    assert m.load(1, "x")[0] == 0


def test_weak_wmb_rmb_orders_message_passing() -> None:
    m = WEAK()
    asked, choose = script()
    m.bind(choose)  # type: ignore[arg-type]
    m.store(0, "x", 1)
    m.fence(0, "wmb")
    m.store(0, "y", 1)
    assert m.load(1, "y")[0] == 1
    m.fence(1, "rmb")
    n_before = len(asked)
    assert m.load(1, "x")[0] == 1
    assert len(asked) == n_before  # a single candidate: nothing to choose


def test_weak_rmw_is_atomic_against_a_placed_store() -> None:
    m = WEAK()
    asked, choose = script()
    m.bind(choose)  # type: ignore[arg-type]
    m.init("v", 1)
    m.rmw(0, "v", lambda v: int(v) + 1)  # reads 1, writes 2 right after it
    # A store from a CPU that saw nothing may go anywhere after the initial message, but not
    # between the RMW and the message it read: one gap (the end) is left.
    m.store(1, "v", 0)
    assert ("mm.place" in [k for _n, k in asked]) is False  # a single gap: no question asked


def test_weak_failed_cmpxchg_is_a_plain_read() -> None:
    m = WEAK()
    _asked, choose = script()
    m.bind(choose)  # type: ignore[arg-type]
    old, wrote, _ = m.rmw(0, "z", lambda v: 0 if v == 1 else None)
    assert (old, wrote) == (0, False)
    assert m.final("z") == 0


def test_lock_waits_while_held() -> None:
    for m in (SC(), TSO(), WEAK()):
        _asked, choose = script()
        m.bind(choose)  # type: ignore[arg-type]
        assert m.lock(0, "l")
        assert not m.lock(1, "l")
        assert not m.trylock(1, "l")
        m.unlock(0, "l")
        assert m.lock(1, "l")


def test_tso_forwards_own_stores_and_lets_others_read_memory() -> None:
    m = TSO()
    asked, choose = script(2)  # the drain question: others = [CPU 0]; 2 = stop, read memory
    m.bind(choose)  # type: ignore[arg-type]
    m.store(0, "x", 1)
    assert m.load(0, "x")[0] == 1
    assert m.load(1, "x")[0] == 0
    assert asked == [(3, "tso.drain")]
    m.fence(0, "mb")
    assert m.load(1, "x")[0] == 1


def test_grace_period_waits_for_earlier_readers_only() -> None:
    for m in (SC(), TSO(), WEAK()):
        _asked, choose = script()
        m.bind(choose)  # type: ignore[arg-type]
        m.rcu_read_lock(0)
        m.gp_start(1)
        m.rcu_read_lock(2)  # starts after the grace period: not waited for
        assert not m.gp_end(1)
        m.rcu_read_unlock(0)
        assert m.gp_end(1)
