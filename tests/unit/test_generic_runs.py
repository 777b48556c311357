"""Generic programs run by the engine: races, deadlock shapes, process exit, unborn threads."""

from __future__ import annotations

from collections.abc import Sequence

from actors.generic import Final, Program, Thread
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import STRATEGIES, make_strategy
from emulator.engine.violations import CLEAN, VIOLATION, Outcome


def run(p: Program, seed: int = 0, strategy: str = "random", directed: bool = False) -> RunResult:
    st = p.setup()
    cfg = RunConfig(make_strategy(strategy, seed), directed=st.directed if directed else ())
    return run_sync(st.model, st.actors, cfg)


def outcomes(p: Program, seeds: int = 40, strategies: Sequence[str] = STRATEGIES) -> list[Outcome]:
    return [run(p, seed, s).outcome for s in strategies for seed in range(seeds)]


def oracle(o: Outcome) -> str:
    return o.violation.oracle if o.violation else o.status


async def locker(t: Thread, me: str) -> None:
    await t.lock("L1", "m")
    n = await t.fetch_add("F1", "n")
    await t.store("W1", f"order[{n}]", me)
    await t.unlock("U1", "m")


def test_unlock_lets_every_waiter_race_and_the_unlocker_may_win() -> None:
    async def main(t: Thread) -> None:
        await t.lock("L1", "m")
        a = await t.spawn("S1", locker, "A")
        b = await t.spawn("S2", locker, "B")
        await t.yield_("Y1")
        await t.yield_("Y2")
        await t.unlock("U1", "m")
        await locker(t, "main")
        await t.join("J1", a)
        await t.join("J2", b)

    p = Program("race", {"n": 0}, main, (), max_threads=3)
    firsts = set()
    for seed in range(60):
        r = run(p, seed)
        assert r.outcome.status == CLEAN, r.outcome
        assert r.model is not None
        firsts.add(r.model.vars["order[0]"])  # type: ignore[attr-defined]
    assert firsts == {"A", "B", "main"}


def test_condvar_signal_wakes_one_and_broadcast_all() -> None:
    for op, left in (("signal", 2), ("broadcast", 0)):
        for seed in range(30):
            r = run(_cv_program(op), seed)
            assert r.outcome.status == CLEAN, r.outcome
            assert len(r.model.conds["cv"]) == left  # type: ignore[union-attr]


def _cv_program(op: str) -> Program:
    """Three waiters park on cv (counted under m); main then signals or broadcasts once and
    returns (process exit): the waiters not woken are still queued on cv."""

    async def waiter(t: Thread) -> None:
        await t.lock("L1", "m")
        await t.fetch_add("F0", "parked")
        await t.wait("C1", "cv", "m")
        await t.fetch_add("F1", "woken")
        await t.unlock("U1", "m")

    async def main(t: Thread) -> None:
        for i in range(3):
            await t.spawn(f"S{i}", waiter)
        while True:
            await t.lock("L1", "m")
            if await t.load("R1", "parked") == 3:
                break
            await t.unlock("U1", "m")
        await (t.signal if op == "signal" else t.broadcast)("C1", "cv")
        await t.unlock("U2", "m")

    return Program(f"cv-{op}", {"woken": 0, "parked": 0}, main, (), max_threads=4)


def test_join_waits_for_the_thread() -> None:
    async def worker(t: Thread) -> None:
        await t.store("W1", "x", 1)

    async def main(t: Thread) -> None:
        w = await t.spawn("S1", worker)
        await t.join("J1", w)
        await t.check("A1", await t.load("R1", "x") == 1, "join returned early")

    assert {oracle(o) for o in outcomes(Program("join", {}, main, (), 2))} == {CLEAN}


def test_threads_never_spawned_neither_hang_nor_report() -> None:
    async def main(t: Thread) -> None:
        await t.store("W1", "x", 1)

    p = Program("unborn", {}, main, (), max_threads=6)
    assert {oracle(o) for o in outcomes(p)} == {CLEAN}


def test_main_returning_ends_the_process_even_with_threads_blocked() -> None:
    async def stuck(t: Thread) -> None:
        await t.lock("L1", "m")
        await t.wait("C1", "never", "m")

    async def main(t: Thread) -> None:
        await t.spawn("S1", stuck)
        await t.spawn("S2", stuck)

    assert {oracle(o) for o in outcomes(Program("exit", {}, main, (), 3))} == {CLEAN}


def test_exit_process_from_a_thread_ends_the_run_and_stops_main() -> None:
    async def quitter(t: Thread) -> None:
        await t.exit_process("E1", 2)
        await t.store("W9", "after", 1)  # never runs

    async def stuck(t: Thread) -> None:
        await t.lock("L1", "m")
        await t.wait("C1", "never", "m")

    async def main(t: Thread) -> None:
        s = await t.spawn("S1", stuck)
        await t.spawn("S2", quitter)
        await t.join("J1", s)  # would hang for ever without the exit
        await t.store("W9", "after", 1)

    final = [Final("F1", lambda s: "after" not in s, "code ran after exit_process")]
    p = Program("exit2", {}, main, (), 3, final=final)
    assert {oracle(o) for o in outcomes(p)} == {CLEAN}


def test_relocking_ones_own_mutex_is_a_deadlock() -> None:
    async def main(t: Thread) -> None:
        await t.lock("L1", "m")
        await t.lock("L2", "m")

    o = run(Program("relock", {}, main, ("INV-DL-1",), 1)).outcome
    assert o.status == VIOLATION and o.violation is not None
    assert o.violation.oracle == "INV-DL-1"
    assert o.violation.message == (
        "deadlock: main waits mutex m, which it already holds since L1 (relock of a NORMAL mutex)"
    )


def test_abba_cycle_is_a_deadlock() -> None:
    async def ab(t: Thread, first: str, second: str) -> None:
        await t.lock("L1", first)
        await t.lock("L2", second)
        await t.unlock("U2", second)
        await t.unlock("U1", first)

    async def main(t: Thread) -> None:
        a = await t.spawn("S1", ab, "x", "y")
        b = await t.spawn("S2", ab, "y", "x")
        await t.join("J1", a)
        await t.join("J2", b)

    found = {oracle(o) for o in outcomes(Program("abba", {}, main, ("INV-DL-1",), 3))}
    assert found == {CLEAN, "INV-DL-1"}


def test_lock_owned_by_an_exited_thread_names_the_owner() -> None:
    async def leaker(t: Thread) -> None:
        await t.lock("L1", "x")  # exits holding x: legal by itself

    async def waiter(t: Thread) -> None:
        await t.lock("L2", "x")

    async def main(t: Thread) -> None:
        a = await t.spawn("S1", leaker)
        await t.join("J1", a)
        b = await t.spawn("S2", waiter)
        await t.join("J2", b)

    p = Program("leak", {}, main, ("INV-WAKE-1",), 3, threads=("leaker", "waiter"))
    o = run(p).outcome
    assert o.violation is not None and o.violation.oracle == "INV-WAKE-1"
    assert o.violation.message == (
        "lost wakeup: main parked on join(waiter), and waiter waits mutex x held by leaker, "
        "which has exited (taken at L1, step 6) at J2 and nothing can wake it"
    )


def test_lost_condvar_signal_is_reported() -> None:
    async def signaller(t: Thread) -> None:
        await t.signal("C2", "cv")  # nobody waits yet: lost

    async def main(t: Thread) -> None:
        s = await t.spawn("S1", signaller)
        await t.join("J1", s)
        await t.lock("L1", "m")
        await t.wait("C1", "cv", "m")

    o = run(Program("lost", {}, main, ("INV-WAKE-1",), 2)).outcome
    assert o.violation is not None and o.violation.oracle == "INV-WAKE-1"
    assert "condvar cv (mutex m released)" in o.violation.message


def test_failed_check_is_an_assert_violation_with_actor_and_label() -> None:
    async def main(t: Thread) -> None:
        await t.check("A7", 1 + 1 == 3, "arithmetic")

    o = run(Program("check", {}, main, ("ASSERT",), 1)).outcome
    assert o.violation is not None
    assert (o.violation.oracle, o.violation.actor, o.violation.label) == ("ASSERT", "main", "A7")
    assert o.violation.message == "assertion failed: arithmetic"


def test_same_seed_same_trace_hash() -> None:
    p = _cv_program("signal")
    for s in STRATEGIES:
        hashes = {run(p, 11, s).outcome.trace_hash for _ in range(2)}
        assert len(hashes) == 1
