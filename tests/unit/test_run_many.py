"""Many runs in one trio run give exactly the results of one trio run per run: the same trace
hashes, whatever the previous run left suspended (daemons, parked actors, crashes)."""

from __future__ import annotations

import pytest

from emulator.engine.runtime import ActorSpec, Job, Port, RunConfig, run_batch, run_sync
from emulator.engine.strategies import make_strategy
from emulator.errors import BadInput
from emulator.run.many import run_many
from emulator.run.session import run_once
from tests.unit.toy import ToyModel, daemon, incs


async def locker(p: Port) -> None:
    await p.call("lock", "L1", "m")
    await p.call("inc", "I")
    await p.call("unlock", "L2", "m")


async def crash(p: Port) -> None:
    await p.call("inc", "I")
    raise RuntimeError("scenario bug")


async def stubborn(p: Port) -> None:
    """A daemon that catches the end of its run and asks for another step: its task is not
    reused."""
    try:
        while True:
            await p.call("inc", "D")
    except BaseException:
        await p.call("inc", "again")


MIXES: list[list[ActorSpec]] = [
    [ActorSpec("a", incs(5)), ActorSpec("d", daemon, daemon=True)],
    [ActorSpec("a", locker), ActorSpec("b", locker), ActorSpec("c", incs(3))],
    [ActorSpec("a", crash), ActorSpec("b", incs(4))],
    [ActorSpec("a", incs(3)), ActorSpec("s", stubborn, daemon=True)],
    [ActorSpec(n, incs(7)) for n in "abcde"],
]


def job(mix: int, seed: int) -> Job:
    return ToyModel(), MIXES[mix], RunConfig(make_strategy("chaos", seed), budget=200)


def test_a_batch_gives_the_results_of_separate_runs() -> None:
    order = [(m, s) for s in range(6) for m in range(len(MIXES))]
    batch = run_batch(job(m, s) for m, s in order)
    alone = [run_sync(*job(m, s)) for m, s in order]
    assert [r.outcome.as_dict() for r in batch] == [r.outcome.as_dict() for r in alone]
    assert {r.outcome.status for r in batch} >= {"clean", "error"}


def test_until_stops_after_the_first_accepted_result() -> None:
    results = run_batch((job(2 if s == 3 else 0, s) for s in range(10)), lambda r: r.outcome.failed)
    assert len(results) == 4
    assert results[-1].outcome.status == "error"


def test_a_failing_build_is_raised_as_is_after_the_runs_before_it() -> None:
    def jobs() -> object:
        yield job(0, 0)
        raise KeyError("build")

    with pytest.raises(KeyError):
        run_batch(jobs())  # type: ignore[arg-type]


@pytest.mark.parametrize("strategy", ["chaos", "pct", "random"])
def test_run_many_matches_run_once(strategy: str) -> None:
    name = "anon-vma-reuse"
    seeds = range(20)
    many = list(run_many(name, "buggy", seeds, strategy, batch=8))
    assert [r.outcome.trace_hash for r in many] == [
        run_once(name, "buggy", s, strategy).outcome.trace_hash for s in seeds
    ]


def test_run_many_until_and_bad_input() -> None:
    found = list(run_many("anon-vma-reuse", "buggy", range(500), until=lambda r: r.outcome.failed))
    assert found[-1].outcome.failed
    assert not any(r.outcome.failed for r in found[:-1])
    with pytest.raises(BadInput):
        list(run_many("anon-vma-reuse", "buggy", [1, -1]))
    with pytest.raises(BadInput):
        list(run_many("anon-vma-reuse", "nosuch", [1]))
