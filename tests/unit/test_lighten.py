"""lighten(): trio's scheduler passes without the idle epoll poll and the slow instrument
lookups, and still everything trio promises: instruments, threads, sleeps, the same runs."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator

import outcome
import pytest
import trio

from emulator.engine import lighten as lt
from emulator.engine.lighten import GLOBAL_RUN_CONTEXT
from emulator.engine.runtime import ActorSpec, Job, Port, RunConfig, run_batch
from emulator.engine.strategies import make_strategy
from tests.unit.toy import ToyModel

pytestmark = pytest.mark.skipif(not lt.AVAILABLE, reason="a trio without these internals")


def test_instruments_added_and_removed_after_it_still_fire() -> None:
    class Count(trio.abc.Instrument):
        def __init__(self) -> None:
            self.steps = 0

        def before_task_step(self, task: trio.lowlevel.Task) -> None:
            self.steps += 1

    seen: list[int] = []

    async def main() -> None:
        assert lt.lighten()
        c = Count()
        trio.lowlevel.add_instrument(c)
        for _ in range(5):
            await trio.lowlevel.checkpoint()
        trio.lowlevel.remove_instrument(c)
        seen.append(c.steps)
        for _ in range(5):
            await trio.lowlevel.checkpoint()
        seen.append(c.steps)

    trio.run(main)
    assert seen[0] >= 5
    assert seen[1] == seen[0]


def test_a_thread_is_heard_while_tasks_stay_runnable() -> None:
    """The poll that is skipped is the one that hears threads; it still comes, within
    POLL_EVERY passes, though a task is runnable on every pass."""
    passes: list[int] = []

    async def main() -> None:
        lt.lighten()
        token = trio.lowlevel.current_trio_token()
        heard = threading.Event()
        threading.Thread(target=token.run_sync_soon, args=(heard.set,)).start()
        n = 0
        while not heard.is_set() and n < 1_000_000:
            await trio.lowlevel.checkpoint()  # always runnable: trio polls with timeout 0
            n += 1
        passes.append(n)

    trio.run(main)
    assert passes[0] < 1_000_000


def test_sleeping_still_sleeps_and_wakes() -> None:
    async def main() -> float:
        lt.lighten()
        start = trio.current_time()
        await trio.sleep(0.01)
        return trio.current_time() - start

    assert trio.run(main) >= 0.01


def test_the_runs_of_a_batch_are_the_runs_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def prog(n: int) -> Callable[[Port], Awaitable[None]]:
        async def body(p: Port) -> None:
            for _ in range(n):
                await p.call("inc", "I")

        return body

    def jobs() -> Iterator[Job]:
        for seed in range(20):
            actors = [ActorSpec(name, prog(5 + i)) for i, name in enumerate("abc")]
            yield ToyModel(), actors, RunConfig(make_strategy("chaos", seed))

    light = [r.outcome.trace_hash for r in run_batch(jobs())]
    monkeypatch.setattr("emulator.engine.runtime.lighten", lambda: False)
    plain = [r.outcome.trace_hash for r in run_batch(jobs())]
    assert light == plain
    assert len(set(light)) > 1


def test_a_deadline_set_after_it_still_fires() -> None:
    async def main() -> bool:
        lt.lighten()
        with trio.move_on_after(0.01) as scope:
            await trio.sleep(5)
        return scope.cancelled_caught

    assert trio.run(main)


def test_the_clock_stays_when_a_deadline_is_already_set() -> None:
    # A deadline is a time of the clock it was set against: changing the clock under it would
    # move it by trio's offset (hours), so a run with one keeps its clock.
    async def main() -> tuple[bool, bool]:
        with trio.move_on_after(0.01) as scope:
            before = type(trio.lowlevel.current_clock())
            lt.lighten()
            kept = type(trio.lowlevel.current_clock()) is before
            await trio.sleep(5)
        return kept, scope.cancelled_caught

    assert trio.run(main) == (True, True)


def test_the_lean_reschedule_is_only_for_a_lightened_run_and_still_tells_instruments() -> None:
    class Scheduled(trio.abc.Instrument):
        def __init__(self) -> None:
            self.tasks: list[trio.lowlevel.Task] = []

        def task_scheduled(self, task: trio.lowlevel.Task) -> None:
            self.tasks.append(task)

    async def main() -> tuple[bool, int]:
        plain = lt.lean_rescheduler() is None
        lt.lighten()
        lean = lt.lean_rescheduler()
        assert lean is not None
        me = trio.lowlevel.current_task()
        lean(me, outcome.Value("quiet"))
        got = await trio.lowlevel.wait_task_rescheduled(lambda _: trio.lowlevel.Abort.FAILED)
        assert got == "quiet"
        heard = Scheduled()
        trio.lowlevel.add_instrument(heard)
        lean(me, outcome.Value("told"))
        got = await trio.lowlevel.wait_task_rescheduled(lambda _: trio.lowlevel.Abort.FAILED)
        assert got == "told"
        return plain, heard.tasks.count(me)

    plain, mine = trio.run(main)
    assert plain
    assert mine >= 1


def test_an_empty_deadline_heap_expires_nothing_until_a_deadline_is_set() -> None:
    async def main() -> tuple[str, str, bool]:
        lt.lighten()
        deadlines = GLOBAL_RUN_CONTEXT.runner.deadlines
        before = type(deadlines).__name__
        with trio.move_on_after(0.01) as scope:
            after = type(deadlines).__name__
            await trio.sleep(5)
        return before, after, scope.cancelled_caught

    before, after, caught = trio.run(main)
    assert before == "_NoDeadlines"
    assert after == "Deadlines"
    assert caught
