"""The baton runtime on a toy model: exclusivity, determinism, parking, deadlock, lost
wakeups, budget, errors, replay."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import trio

from emulator.engine.choices import Replay
from emulator.engine.runtime import ActorSpec, Port, RunConfig, RunResult, run_sync
from emulator.engine.strategies import STRATEGIES, make_strategy
from emulator.engine.violations import Violation
from tests.unit.toy import ToyModel


def incs(n: int) -> Callable[[Port], object]:
    async def prog(p: Port) -> None:
        for _ in range(n):
            await p.call("inc", "I")

    return prog


def run(actors: list[ActorSpec], seed: int = 0, strategy: str = "chaos", **kw: object) -> RunResult:
    cfg = RunConfig(make_strategy(strategy, seed), **kw)  # type: ignore[arg-type]
    return run_sync(ToyModel(), actors, cfg)


def test_exactly_one_task_is_runnable_while_actor_code_runs() -> None:
    """The baton: while an actor runs local code, trio's run queue is empty, so trio's
    (deliberately randomised) scheduling order can never influence a run."""
    seen: list[int] = []

    def prog() -> Callable[[Port], object]:
        async def body(p: Port) -> None:
            for _ in range(30):
                seen.append(trio.lowlevel.current_statistics().tasks_runnable)
                await p.call("inc", "I")

        return body

    for seed in range(10):
        r = run([ActorSpec(n, prog()) for n in ("a", "b", "c")], seed=seed)
        assert r.outcome.status == "clean"
    assert len(seen) == 10 * 90
    assert set(seen) == {0}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_same_seed_same_trace_and_different_seeds_differ(strategy: str) -> None:
    actors = [ActorSpec(n, incs(20)) for n in ("a", "b", "c")]
    h1 = run(actors, seed=7, strategy=strategy).outcome.trace_hash
    h2 = run(actors, seed=7, strategy=strategy).outcome.trace_hash
    assert h1 == h2
    others = {run(actors, seed=s, strategy=strategy).outcome.trace_hash for s in range(8)}
    assert len(others) > 1


def test_replay_of_recorded_choices_reproduces_the_trace() -> None:
    actors = [ActorSpec(n, incs(15)) for n in ("a", "b")]
    first = run(actors, seed=3)
    again = run(actors, seed=999, replay=Replay.strict(first.choices))
    assert again.outcome.trace_hash == first.outcome.trace_hash
    assert again.divergence is None


def test_replay_detects_a_run_that_asks_different_questions() -> None:
    rec = run([ActorSpec(n, incs(15)) for n in ("a", "b")], seed=3)
    other = run(
        [ActorSpec(n, incs(15)) for n in ("a", "b", "c")], seed=3, replay=Replay.strict(rec.choices)
    )
    assert other.divergence is not None
    assert "choice" in other.divergence


def test_lock_handoff_parks_and_wakes() -> None:
    async def locker(p: Port) -> None:
        for _ in range(3):
            await p.call("lock", "L1", "m")
            await p.call("inc", "I")
            await p.call("unlock", "L2", "m")

    for seed in range(30):
        r = run([ActorSpec("a", locker), ActorSpec("b", locker)], seed=seed)
        assert r.outcome.status == "clean", r.outcome


def test_abba_deadlock_is_reported_with_its_cycle() -> None:
    def prog(first: str, second: str) -> Callable[[Port], object]:
        async def body(p: Port) -> None:
            await p.call("lock", "X1", first)
            await p.call("lock", "X2", second)
            await p.call("unlock", "X3", second)
            await p.call("unlock", "X4", first)

        return body

    found = None
    for seed in range(200):
        r = run([ActorSpec("T1", prog("A", "B")), ActorSpec("T2", prog("B", "A"))], seed=seed)
        if r.outcome.violation:
            found = r.outcome.violation
            break
    assert found is not None
    assert found.oracle == "INV-DL-1"
    assert "T1 waits lock" in found.message and "T2 waits lock" in found.message


def test_self_deadlock() -> None:
    async def body(p: Port) -> None:
        await p.call("lock", "Q2", "page1")
        await p.call("lock", "FF3", "page1")

    r = run([ActorSpec("T", body)])
    assert r.outcome.violation is not None
    assert r.outcome.violation.oracle == "INV-DL-1"
    assert r.outcome.violation.label == "FF3"


def test_wait_nobody_can_end_is_a_lost_wakeup() -> None:
    async def body(p: Port) -> None:
        await p.call("wait_forever", "S1")

    r = run([ActorSpec("T", body), ActorSpec("U", incs(3))])
    assert r.outcome.violation is not None
    assert r.outcome.violation.oracle == "INV-WAKE-1"


def test_budget_exhaustion_is_a_hang() -> None:
    r = run([ActorSpec("a", incs(100))], budget=10)
    assert r.outcome.status == "hang"
    assert r.outcome.steps == 10


def test_exception_in_actor_code_is_an_error_outcome_not_a_crash() -> None:
    async def body(p: Port) -> None:
        await p.call("inc", "I")
        raise RuntimeError("scenario bug")

    r = run([ActorSpec("a", body), ActorSpec("b", incs(2))])
    assert r.outcome.status == "error"
    assert "scenario bug" in (r.outcome.error or "")


def test_violation_in_a_step_stops_the_run_and_names_it() -> None:
    async def body(p: Port) -> None:
        await p.call("inc", "I")
        await p.call("unlock", "BAD", "m")
        await p.call("inc", "never")

    r = run([ActorSpec("a", body)])
    v = r.outcome.violation
    assert v is not None
    assert (v.oracle, v.actor, v.label, v.step) == ("TOY-LOCK", "a", "BAD", 2)


def test_daemons_do_not_keep_the_run_alive() -> None:
    async def daemon(p: Port) -> None:
        while True:
            await p.call("inc", "D")

    r = run([ActorSpec("a", incs(5)), ActorSpec("d", daemon, daemon=True)], budget=1000)
    assert r.outcome.status == "clean"


@pytest.mark.parametrize("steps", [0, 1])
def test_end_of_run_checks_run_even_when_no_actor_made_a_request(steps: int) -> None:
    class Leaky(ToyModel):
        def finish(self) -> None:
            raise Violation("TOY-END", f"checked after {len(self.log)} steps")

    async def idle(p: Port) -> None:
        return None

    r = run_sync(Leaky(), [ActorSpec("a", incs(steps)), ActorSpec("b", idle)], cfg0())
    v = r.outcome.violation
    assert v is not None and (v.oracle, v.message) == ("TOY-END", f"checked after {steps} steps")


def cfg0() -> RunConfig:
    return RunConfig(make_strategy("chaos", 0))


def test_stop_ends_a_long_run_early_and_changes_nothing_before() -> None:
    from emulator.engine.config import STOP_EVERY

    actors = [ActorSpec("a", incs(5 * STOP_EVERY)), ActorSpec("b", incs(5 * STOP_EVERY))]
    asked: list[int] = []

    def stop_at_third() -> bool:
        asked.append(1)
        return len(asked) == 3

    full = run(actors, budget=10**6)
    never = run(actors, budget=10**6, stop=lambda: False)
    stopped = run(actors, budget=10**6, stop=stop_at_third)
    assert full.outcome.status == "clean" and never.outcome.trace_hash == full.outcome.trace_hash
    assert stopped.outcome.status == "hang"
    assert stopped.outcome.error == f"stopped after {3 * STOP_EVERY} steps"
    assert stopped.events == full.events[: 3 * STOP_EVERY]


def test_directed_schedule_runs_named_actors_first() -> None:
    async def body(p: Port) -> None:
        for i in range(3):
            await p.call("inc", f"S{i}")

    directed = [("b", "S2"), ("a", "S0")]
    for seed in range(10):
        model = ToyModel()
        cfg = RunConfig(make_strategy("random", seed), directed=directed)
        run_sync(model, [ActorSpec("a", body), ActorSpec("b", body)], cfg)
        assert model.log[:4] == [(1, "S0"), (1, "S1"), (1, "S2"), (0, "S0")]
