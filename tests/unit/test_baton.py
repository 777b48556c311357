"""The baton handoff (engine/baton.py): values and errors cross it both ways, through trio's
trap used directly and through trio's public functions alike; cancellation still reaches a
parked task; and a finished run leaves nothing in reference cycles."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import outcome
import pytest
import trio

from emulator.engine import baton
from emulator.engine.runtime import ActorSpec, Port, RunConfig, run_batch
from emulator.engine.strategies import make_strategy
from tests.unit.toy import ToyModel, daemon, incs

PAIRS = {
    "trap": (baton.rescheduler, baton.wait),
    "public": (baton.public_rescheduler, baton.public_wait),
}


def test_the_installed_trio_takes_the_trap_directly() -> None:
    """The speed of every step rests on it; a trio that moved its internals shows up here."""
    assert baton.FAST


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_values_and_errors_cross_the_baton(pair: str) -> None:
    make, wait = PAIRS[pair]
    got: list[Any] = []

    async def main() -> None:
        reschedule = make()
        hub = trio.lowlevel.current_task()
        tasks: list[Any] = []

        async def worker() -> None:
            tasks.append(trio.lowlevel.current_task())
            reschedule(hub, baton.NONE)
            got.append(await wait())  # a plain value
            reschedule(hub, ("up",))
            try:
                await wait()
            except KeyError as exc:  # an error sent as an outcome is raised
                got.append(exc.args[0])
            reschedule(hub, baton.NONE)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(worker)
            assert await wait() is None
            reschedule(tasks[0], ((1, "two"),))
            got.append(await wait())
            reschedule(tasks[0], outcome.Error(KeyError("boom")))
            await wait()

    trio.run(main)
    assert got == [(1, "two"), "up", "boom"]


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_cancellation_reaches_a_parked_task(pair: str) -> None:
    _make, wait = PAIRS[pair]
    cancelled: list[bool] = []

    async def parked() -> None:
        try:
            await wait()
        except trio.Cancelled:
            cancelled.append(True)
            raise

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(parked)
            await trio.testing.wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()

    trio.run(main)
    assert cancelled == [True]


class _Unbinding(ToyModel):
    def unbind(self) -> None:
        del self.ctl


@pytest.fixture
def no_collector() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def test_a_dropped_run_is_freed_without_the_cyclic_collector(no_collector: None) -> None:
    """A run whose programs are unwound while suspended (a daemon, an actor preempted at the
    end) and whose strategy saw its hub: once its result is dropped, its model is gone by
    reference counting alone. A cycle would keep every run of a batch for the collector."""

    actors = [ActorSpec("a", incs(5)), ActorSpec("b", incs(3)), ActorSpec("d", daemon, True)]
    models = [_Unbinding() for _ in range(4)]
    refs = [weakref.ref(m) for m in models]
    jobs = [
        (m, actors, RunConfig(make_strategy("chaos", s), budget=500)) for s, m in enumerate(models)
    ]
    results = run_batch(jobs)
    assert {r.outcome.status for r in results} == {"clean"}
    del models, jobs, results
    assert [r() for r in refs] == [None] * 4


def test_a_batch_leaves_the_collector_on_and_nothing_frozen() -> None:
    """run_batch moves what a batch left alive to the oldest generation (gc.freeze, then
    gc.unfreeze); the results are intact, the collector is on again, nothing stays frozen."""

    async def prog(p: Port) -> None:
        for _ in range(3):
            await p.call("inc", "I")

    jobs = [
        (
            _Unbinding(),
            [ActorSpec("a", prog), ActorSpec("b", prog)],
            RunConfig(make_strategy("chaos", s)),
        )
        for s in range(10)
    ]
    assert gc.isenabled()
    results = run_batch(jobs)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert [r.outcome.steps for r in results] == [6] * 10


def test_actors_start_in_slot_order_and_the_first_failure_names_the_run() -> None:
    """At the start each actor runs to its first request and hands the baton to the next one
    (Runtime._start): in slot order, one at a time; an actor that failed on the way ends the
    run with its error, as if the actors after it had not started."""
    order: list[str] = []

    def prog(name: str, fail: bool) -> Callable[[Port], Any]:
        async def body(p: Port) -> None:
            order.append(name)
            assert trio.lowlevel.current_statistics().tasks_runnable == 0
            if fail:
                raise KeyError(name)
            await p.call("inc", "I")

        return body

    actors = [ActorSpec(n, prog(n, n in ("b", "c"))) for n in ("a", "b", "c", "d")]
    clean = [actors[0], actors[3]]
    results = run_batch(
        [
            (_Unbinding(), actors, RunConfig(make_strategy("chaos", 1))),
            (_Unbinding(), clean, RunConfig(make_strategy("chaos", 1))),  # the same pool
        ]
    )
    assert order == ["a", "b", "c", "d", "a", "d"]
    o = results[0].outcome
    assert o.status == "error" and o.steps == 0
    assert o.error is not None and o.error.startswith("b: ")
    assert results[1].outcome.status == "clean" and results[1].outcome.steps == 2


def test_a_batch_settles_after_the_process_froze_objects_of_its_own() -> None:
    """The CLI freezes what importing its commands built; a batch after that still moves its
    results out of the young generations (and the earlier frozen objects with them)."""

    async def prog(p: Port) -> None:
        await p.call("inc", "I")

    jobs = [
        (_Unbinding(), [ActorSpec("a", prog)], RunConfig(make_strategy("chaos", s)))
        for s in range(10)
    ]
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        run_batch(jobs)
        assert gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
