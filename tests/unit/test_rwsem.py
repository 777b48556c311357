"""mmap_sem is a reader/writer semaphore with the era's queueing (3.0.1 lib/rwsem.c,
arch/x86/include/asm/rwsem.h): readers share it; a reader that arrives while a writer WAITS
queues behind that writer (the count is negative: waiting bias); waiters are granted in FIFO
order by the releaser (__rwsem_do_wake): the head writer, or every reader at the head."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from actors.api import K, actor
from actors.model import PageCacheModel
from actors.objects import Ref
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy


def run(
    m: PageCacheModel,
    progs: dict[str, Callable[[K], Awaitable[None]]],
    directed: list[tuple[str, str]],
    seed: int = 0,
) -> RunResult:
    actors = [actor(n, p) for n, p in progs.items()]
    return run_sync(m, actors, RunConfig(make_strategy("chaos", seed), directed=directed))


def mm_model() -> tuple[PageCacheModel, Ref]:
    m = PageCacheModel()
    return m, m.ref(m.new_mm())


def test_readers_share() -> None:
    m, mm = mm_model()
    inside: list[str] = []
    both: list[bool] = []

    def reader(name: str) -> Callable[[K], Awaitable[None]]:
        async def prog(k: K) -> None:
            await k.down_read("D1", mm)
            inside.append(name)
            await k.find_vma("D2", mm, 0)  # a step on shared state
            both.append(len(inside) == 2)
            inside.remove(name)
            await k.up_read("D3", mm)

        return prog

    r = run(m, {"R1": reader("R1"), "R2": reader("R2")}, [("R1", "D1"), ("R2", "D1")])
    assert r.outcome.status == "clean", r.outcome
    assert both[0] is True  # the second reader got in while the first still held it


@pytest.mark.parametrize("seed", range(20))
def test_reader_queues_behind_a_waiting_writer(seed: int) -> None:
    """R1 holds it for read; W waits to write; R2's down_read does not join R1 (it would in a
    reader-preferring lock) but queues behind W: W gets it when R1 leaves, R2 after W. The
    actors wait for each other by polling the model between steps (test only; each poll is a
    find_vma, a step on shared state, so it is a scheduling point), so every seed produces the
    same arrival order."""
    m, mm = mm_model()
    order: list[str] = []

    def waiting(n: int) -> bool:
        lk = m.locks.locks.get((mm[0], "mmap_sem"))
        return lk is not None and len(lk.waiters) >= n

    async def r1(k: K) -> None:
        await k.down_read("A1", mm)
        order.append("R1 in")
        while not waiting(2):  # W and R2 queued
            await k.find_vma("A2", mm, 0)  # a step on shared state
        order.append("R1 out")
        await k.up_read("A4", mm)

    async def w(k: K) -> None:
        while not m.locks.locks.get((mm[0], "mmap_sem")):
            await k.find_vma("B0", mm, 0)  # a step on shared state
        await k.down_write("B1", mm)
        order.append("W in")
        await k.find_vma("B2", mm, 0)  # a step on shared state
        order.append("W out")
        await k.up_write("B3", mm)

    async def r2(k: K) -> None:
        while not waiting(1):  # W queued
            await k.find_vma("C0", mm, 0)  # a step on shared state
        order.append(f"R2 trylock {await k.down_read_trylock('C1', mm)}")
        await k.down_read("C2", mm)
        order.append("R2 in")
        await k.up_read("C3", mm)

    r = run(m, {"R1": r1, "W": w, "R2": r2}, [("R1", "A1")], seed)
    assert r.outcome.status == "clean", r.outcome
    assert order == ["R1 in", "R2 trylock False", "R1 out", "W in", "W out", "R2 in"], order


@pytest.mark.parametrize("seed", range(20))
def test_readers_at_the_head_are_granted_together(seed: int) -> None:
    """up_write grants every reader at the head of the queue at once (3.0.1 lib/rwsem.c
    __rwsem_do_wake: "an infinite number of read locks"), up to the first writer."""
    m, mm = mm_model()
    both: list[bool] = []

    def lk_state() -> tuple[int, int]:
        lk = m.locks.locks[(mm[0], "mmap_sem")]
        return len(lk.readers), len(lk.waiters)

    async def w(k: K) -> None:
        await k.down_write("B1", mm)
        while lk_state()[1] < 2:
            await k.find_vma("B2", mm, 0)  # a step on shared state
        await k.up_write("B3", mm)

    def reader() -> Callable[[K], Awaitable[None]]:
        async def prog(k: K) -> None:
            while (mm[0], "mmap_sem") not in m.locks.locks:
                await k.find_vma("C0", mm, 0)  # a step on shared state
            await k.down_read("C1", mm)
            both.append(lk_state()[0] == 2)
            await k.up_read("C2", mm)

        return prog

    r = run(m, {"W": w, "R1": reader(), "R2": reader()}, [("W", "B1")], seed)
    assert r.outcome.status == "clean", r.outcome
    assert both[0] is True


def test_up_read_not_held_is_inv_lock_1() -> None:
    m, mm = mm_model()

    async def prog(k: K) -> None:
        await k.up_read("U1", mm)

    v = run(m, {"CPU0": prog}, []).outcome.violation
    assert v is not None and v.oracle == "INV-LOCK-1" and "up_read" in v.message


def test_detach_vmas_needs_mmap_sem_for_write() -> None:
    m = PageCacheModel()
    mm_o = m.new_mm()
    vma = m.ref(m.new_vma(mm_o, 0, 0x1000))
    mm = m.ref(mm_o)

    async def prog(k: K) -> None:
        await k.down_read("MU1", mm)
        await k.detach_vmas_to_be_unmapped("MU2", mm, vma)

    v = run(m, {"CPU0": prog}, []).outcome.violation
    assert v is not None and v.oracle == "INV-LOCK-3", v


@pytest.mark.parametrize("seed", range(10))
def test_writer_behind_readers_deadlock_is_reported(seed: int) -> None:
    """The classic recursive-read deadlock: R holds it for read, W queues, R's second down_read
    queues behind W (3.0.1 __down_read goes slow on a negative count) -> nobody can run."""
    m, mm = mm_model()

    def w_waits() -> bool:
        lk = m.locks.locks.get((mm[0], "mmap_sem"))
        return lk is not None and bool(lk.writers)

    async def r(k: K) -> None:
        await k.down_read("A1", mm)
        while not w_waits():
            await k.find_vma("A2", mm, 0)  # a step on shared state
        await k.down_read("A3", mm)
        await k.up_read("A4", mm)
        await k.up_read("A4", mm)

    async def w(k: K) -> None:
        while (mm[0], "mmap_sem") not in m.locks.locks:
            await k.find_vma("B0", mm, 0)  # a step on shared state
        await k.down_write("B1", mm)
        await k.up_write("B2", mm)

    o = run(m, {"R": r, "W": w}, [("R", "A1")], seed).outcome
    assert o.violation is not None and o.violation.oracle == "INV-DL-1", o
