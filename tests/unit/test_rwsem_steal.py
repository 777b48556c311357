"""mmap_sem by era (actors/model/rwsem.py): before 3.10 the releaser grants the lock to the head
of the queue; from 3.10 (ce6711f3d196) a writer takes a lock nothing holds even past queued
waiters, and the woken head writer retries. Also lock_page_or_retry, which drops mmap_sem for a
retry. The actors order themselves by polling the model (tests only); races are searched over
seeds inside the test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from actors.api import K, actor
from actors.kernel.fault import lock_page_or_retry
from actors.model import PageCacheModel
from actors.model.options import era_options, rwsem_option, scenario_options
from actors.objects import FILE
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy

W0, W1, R, W2 = 0, 1, 2, 3


def run(
    m: PageCacheModel, progs: dict[str, Callable[[K], Awaitable[None]]], seed: int
) -> RunResult:
    return run_sync(
        m, [actor(n, p) for n, p in progs.items()], RunConfig(make_strategy("random", seed))
    )


def writers_race(era: str, seed: int) -> list[str]:
    """W0 holds mmap_sem for write; W1 (down_write) and then R (down_read) queue behind it; W0
    releases it once both wait, and W2 calls down_write once W0 released it. The order in
    which the three got the semaphore."""
    m = PageCacheModel(era_options(era))
    mm = m.ref(m.new_mm())
    lk = m.locks.lock((mm[0], "mmap_sem"), "rwsem")
    order: list[str] = []
    released: list[bool] = []

    async def w0(k: K) -> None:
        await k.down_write("A1", mm)
        while lk.waiters != [W1, R]:
            await k.fatal_signal_pending("A2")
        await k.up_write("A3", mm)
        released.append(True)

    async def w1(k: K) -> None:
        while lk.owner != W0:
            await k.fatal_signal_pending("B0")
        await k.down_write("B1", mm)
        order.append("W1")
        await k.up_write("B2", mm)

    async def reader(k: K) -> None:
        while W1 not in lk.waiters and not order:
            await k.fatal_signal_pending("R0")
        await k.down_read("R1", mm)
        order.append("R")
        await k.up_read("R2", mm)

    async def w2(k: K) -> None:
        while not released:
            await k.fatal_signal_pending("C0")
        await k.down_write("C1", mm)
        order.append("W2")
        await k.up_write("C2", mm)

    r = run(m, {"W0": w0, "W1": w1, "R": reader, "W2": w2}, seed)
    assert r.outcome.status == "clean", (seed, r.outcome)
    return order


def test_3_0_the_releaser_grants_the_head_writer_and_nobody_steals() -> None:
    # 3.0.1 lib/rwsem.c __rwsem_do_wake: W1 is granted at up_write; R then W2 follow in order
    # (W2 arrives after R queued, and queues behind it: the waiting bias).
    assert {tuple(writers_race("E2011", s)) for s in range(40)} == {("W1", "R", "W2")}


def test_3_10_a_writer_steals_a_free_rwsem_past_queued_waiters() -> None:
    # 4.9 rwsem-xadd.c: W1 is only woken; W2 may take the free lock first, past W1 and R.
    orders = {tuple(writers_race("E2016", s)) for s in range(40)}
    assert ("W1", "R", "W2") in orders, "the woken writer never ran first"
    assert any(o[0] == "W2" for o in orders), "no writer ever stole the lock"
    assert all(o.index("W1") < o.index("R") for o in orders)  # R stays queued behind W1


def test_scenarios_choose_the_rwsem_form_by_era_or_option() -> None:
    assert [era_options(e).rwsem_policy for e in ("E2006", "E2011", "E2016", "E2020")] == [
        "queue",
        "queue",
        "steal",
        "steal",
    ]
    assert rwsem_option("E2011") == {"rwsem_policy": ("queue", "steal")}
    assert scenario_options("E2020", {"rwsem_policy": "queue"}).rwsem_policy == "queue"


@pytest.mark.parametrize("policy", ["queue", "steal"])
def test_a_reader_queues_behind_a_waiting_writer(policy: str) -> None:
    """In both forms down_read takes the slow path while a writer waits (the waiting bias)."""
    m = PageCacheModel(era_options("E2011", rwsem_policy=policy))
    mm = m.ref(m.new_mm())
    lk = m.locks.lock((mm[0], "mmap_sem"), "rwsem")
    got: list[str] = []

    async def r1(k: K) -> None:
        await k.down_read("A1", mm)
        while W1 not in lk.waiters:
            await k.fatal_signal_pending("A2")
        got.append(str(await k.down_read_trylock("A3", mm)))
        await k.up_read("A4", mm)

    async def w1(k: K) -> None:
        while not lk.readers:
            await k.fatal_signal_pending("B0")
        await k.down_write("B1", mm)
        got.append("W1")
        await k.up_write("B2", mm)

    r = run(m, {"R1": r1, "W1": w1}, 0)
    assert r.outcome.status == "clean", r.outcome
    assert got == ["False", "W1"]


# -- lock_page_or_retry ---------------------------------------------------------------------------


def fault_on_locked_page(allow_retry: bool, killed: bool, seed: int) -> tuple[bool, bool, bool]:
    """F holds mmap_sem for read and calls lock_page_or_retry (killable) on a page H holds;
    KILL signals F as it sleeps (if ``killed``). (F's result, F still holds mmap_sem, F holds
    the page lock), as lock_page_or_retry returned."""
    m = PageCacheModel(era_options("E2011"))
    mm = m.ref(m.new_mm())
    p = m.ref(m.new_page(FILE, holders=("cache",)))
    plk = m.locks.lock(m.locks.page_key(p), "page")
    res: list[bool] = []

    async def holder(k: K) -> None:
        await k.lock_page("H1", p)
        while not res and not (plk.shared or plk.waiters):
            await k.page_locked("H2", p)
        while killed and not res:  # the killer comes first
            await k.page_locked("H2", p)
        await k.unlock_page("H3", p)

    async def fault(k: K) -> None:
        await k.down_read("F0", mm)
        while plk.owner is None:
            await k.page_locked("F0", p)
        res.append(await lock_page_or_retry(k, p, mm, allow_retry, killable=True))
        res.append((mm[0], "mmap_sem") in m.core.frames[1].held)
        res.append(m.locks.holds(1, m.locks.page_key(p)))
        if res[0]:
            await k.unlock_page("F9", p)
            await k.up_read("F9", mm)

    async def killer(k: K) -> None:
        while killed and not res and not m.core.frames[1].killable:
            await k.fatal_signal_pending("K0")
        if killed and not res:
            await k.send_fatal_signal("K1", "F")

    r = run(m, {"H": holder, "F": fault, "KILL": killer}, seed)
    assert r.outcome.status == "clean", (seed, r.outcome)
    return res[0], res[1], res[2]


@pytest.mark.parametrize(("allow_retry", "killed"), [(True, False), (True, True), (False, True)])
def test_lock_page_or_retry_drops_mmap_sem_when_it_does_not_lock(
    allow_retry: bool, killed: bool
) -> None:
    """3.0.1 __lock_page_or_retry: with FAULT_FLAG_ALLOW_RETRY the fault drops mmap_sem and
    waits for the unlock without the lock (VM_FAULT_RETRY); without it, a killable fault that
    a fatal signal interrupts drops mmap_sem too. Either way: not locked, mmap_sem released."""
    got = {fault_on_locked_page(allow_retry, killed, s) for s in range(20)}
    assert got == {(False, False, False)}


def test_lock_page_or_retry_without_retry_locks_the_page() -> None:
    got = {fault_on_locked_page(False, False, s) for s in range(20)}
    assert got == {(True, True, True)}
