"""The generic model's primitives, step by step, against a stub Control (exact semantics)."""

from __future__ import annotations

from typing import Any

import pytest

from actors.generic import EXITED, Final, GenericModel
from emulator.engine.runtime import PARKED
from emulator.engine.violations import Violation


class Ctl:
    """A stub Control: records wakes and the choices asked, answers choices with ``pick``."""

    def __init__(self, pick: int = 0) -> None:
        self.pick = pick
        self.woken: list[int] = []
        self.asked: list[tuple[int, str]] = []

    @property
    def now(self) -> int:
        return 0

    @property
    def steps(self) -> int:
        return 7

    def choose(self, n: int, kind: str) -> int:
        self.asked.append((n, kind))
        return self.pick

    def wake(self, actor: int) -> None:
        self.woken.append(actor)

    def actor_name(self, actor: int) -> str:
        return ["main", "A", "B", "C"][actor]


def model(pick: int = 0, shared: dict[str, Any] | None = None) -> tuple[GenericModel, Ctl]:
    m = GenericModel(shared or {})
    ctl = Ctl(pick)
    m.bind(ctl, ["main", "A", "B", "C"])
    return m, ctl


def do(m: GenericModel, actor: int, op: str, *args: Any, resumed: bool = False) -> Any:
    return m.apply(actor, op, "L", args, resumed)


def test_unlock_wakes_every_waiter_and_the_unlocker_may_retake() -> None:
    m, ctl = model()
    assert do(m, 0, "lock", "m") is None
    assert do(m, 1, "lock", "m") is PARKED
    assert do(m, 2, "lock", "m") is PARKED
    assert m.wait_info(1).owner == 0
    do(m, 0, "unlock", "m")
    assert ctl.woken == [1, 2]  # every waiter, in the order they parked
    assert do(m, 0, "lock", "m") is None  # the unlocker wins the race this time
    assert do(m, 2, "lock", "m", resumed=True) is PARKED  # the losers park again
    assert do(m, 1, "lock", "m", resumed=True) is PARKED
    do(m, 0, "unlock", "m")
    assert ctl.woken == [1, 2, 2, 1]
    assert do(m, 1, "lock", "m", resumed=True) is None


def test_trylock_never_parks_and_fails_on_any_held_mutex() -> None:
    m, _ = model()
    assert do(m, 1, "trylock", "m") is True
    assert do(m, 1, "trylock", "m") is False  # NORMAL mutex: EBUSY, even for the owner
    assert do(m, 2, "trylock", "m") is False


def test_relock_of_own_mutex_parks_on_a_self_edge() -> None:
    m, _ = model()
    do(m, 1, "lock", "m")
    assert do(m, 1, "lock", "m") is PARKED
    info = m.wait_info(1)
    assert info.owner == 1 and not info.idle
    assert "already holds" in info.what and "NORMAL" in info.what


def test_unlock_of_a_mutex_not_held_is_a_usage_error() -> None:
    m, _ = model()
    do(m, 1, "lock", "m")
    with pytest.raises(Violation) as e:
        do(m, 2, "unlock", "m")
    assert e.value.oracle == "USAGE" and "held by A" in e.value.message


def test_cond_wait_releases_the_mutex_and_signal_wakes_the_chosen_waiter() -> None:
    for pick, want in ((0, 1), (1, 2)):  # 0 = the oldest waiter
        m, ctl = model(pick)
        for a in (1, 2):
            do(m, a, "lock", "m")
            assert do(m, a, "wait", "cv", "m") is PARKED  # released m: the next one can lock
        assert m.wait_info(1).owner is None and "condvar cv" in m.wait_info(1).what
        assert do(m, 0, "signal", "cv") == [["A", "B"][want - 1]]
        assert ctl.asked == [(2, "wake")] and ctl.woken == [want]
        # The woken waiter re-acquires m as a resumed step of the same request.
        assert do(m, want, "wait", "cv", "m", resumed=True) is None
        assert m.mutexes["m"].owner == want


def test_woken_waiter_parks_again_while_the_mutex_is_held() -> None:
    m, ctl = model()
    do(m, 1, "lock", "m")
    do(m, 1, "wait", "cv", "m")
    do(m, 0, "lock", "m")
    do(m, 0, "signal", "cv")
    assert do(m, 1, "wait", "cv", "m", resumed=True) is PARKED
    assert m.wait_info(1).owner == 0  # now a plain mutex wait
    do(m, 0, "unlock", "m")
    assert ctl.woken == [1, 1]
    assert do(m, 1, "wait", "cv", "m", resumed=True) is None


def test_broadcast_wakes_all_and_a_signal_with_no_waiter_is_lost() -> None:
    m, ctl = model()
    assert do(m, 0, "signal", "cv") == []
    for a in (1, 2, 3):
        do(m, a, "lock", "m")
        do(m, a, "wait", "cv", "m")
    assert do(m, 0, "broadcast", "cv") == ["A", "B", "C"]
    assert ctl.woken == [1, 2, 3] and ctl.asked == []
    assert do(m, 0, "signal", "cv") == []


def test_cond_wait_without_the_mutex_is_a_usage_error() -> None:
    m, _ = model()
    with pytest.raises(Violation) as e:
        do(m, 1, "wait", "cv", "m")
    assert e.value.oracle == "USAGE"


def test_variables_are_created_on_first_use_and_rmws_are_atomic() -> None:
    m, _ = model(shared={"x": 5})
    assert do(m, 1, "load", "x") == 5
    assert do(m, 1, "load", "busy[3]") == 0
    do(m, 1, "store", "busy[3]", 1)
    assert do(m, 2, "fetch_add", "x", 2) == 5
    assert do(m, 2, "cas", "x", 6, 9) is False
    assert do(m, 2, "cas", "x", 7, 9) is True
    assert m.vars == {"x": 9, "busy[3]": 1}


def test_check_and_final_checks_raise_assert() -> None:
    m, _ = model()
    do(m, 1, "check", True, "fine")
    with pytest.raises(Violation) as e:
        do(m, 1, "check", False, "x must be 2")
    assert (e.value.oracle, e.value.message) == ("ASSERT", "assertion failed: x must be 2")
    f = GenericModel({"x": 1}, [Final("F1", lambda s: s["x"] == 2, "lost update")])
    with pytest.raises(Violation) as e:
        f.finish()
    assert e.value.oracle == "ASSERT" and "F1" in e.value.message and "x=1" in e.value.message


def test_unborn_threads_wait_idle_until_spawned() -> None:
    m, ctl = model()
    assert do(m, 2, "start") is PARKED
    assert m.wait_info(2).idle
    assert do(m, 0, "spawn", "", 0, (7,)) == "A"  # next unused thread, in declared order
    assert do(m, 1, "start") == (0, (7,))  # not parked yet: starts at once
    assert do(m, 0, "spawn", "", 1, ()) == "B"
    assert ctl.woken == [2]
    with pytest.raises(Violation) as e:
        do(m, 0, "spawn", "A", 0, ())
    assert e.value.oracle == "USAGE"


def test_join_parks_until_exit_and_a_lock_held_at_exit_is_not_flagged() -> None:
    m, ctl = model()
    do(m, 0, "spawn", "", 0, ())
    do(m, 1, "lock", "m")
    assert do(m, 0, "join", "A") is PARKED
    assert m.wait_info(0).owner == 1
    m.actor_exit(1)  # exits holding m: allowed
    assert ctl.woken == [0]
    assert do(m, 0, "join", "A", resumed=True) is None
    assert do(m, 2, "lock", "m") is PARKED
    assert "held by A, which has exited" in m.wait_info(2).what


def test_exit_process_answers_every_later_request_and_wakes_main() -> None:
    m, ctl = model()
    do(m, 0, "spawn", "", 0, ())
    do(m, 0, "join", "A")
    assert do(m, 1, "exit_process", 3) == EXITED
    assert ctl.woken == [0]
    assert do(m, 0, "join", "A", resumed=True) == EXITED
    assert do(m, 2, "load", "x") == EXITED
