"""Killable page waits under each era's rules (actors/model/waits.py): a fatal signal sent by a
step ends a TASK_KILLABLE wait, and the page lock's wake-up is never lost to the killed waiter.
The actors order themselves by polling the model (tests only); where the fact needs one race
won a particular way, the test searches seeds until it sees it and checks every seed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest

from actors.api import K, actor
from actors.model import PageCacheModel
from actors.model.options import era_options
from actors.objects import FILE
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy

EINTR = -4
STRATEGY = "random"
H, A, B, KILL = 0, 1, 2, 3


def run(
    m: PageCacheModel, progs: dict[str, Callable[[K], Awaitable[None]]], seed: int
) -> RunResult:
    return run_sync(
        m, [actor(n, p) for n, p in progs.items()], RunConfig(make_strategy(STRATEGY, seed))
    )


def killed_after_wake(era: str, seed: int, **opts: str) -> tuple[RunResult, dict[str, object]]:
    """H holds the page; A (lock_page_killable) and then B (lock_page) queue behind it; H
    unlocks, which wakes A (P-OLD: the first waiter races for the bit), and KILL sends A a
    fatal signal once that wake-up is on its way. Whether the signal lands before A runs is
    the seed's."""
    m = PageCacheModel(replace(era_options(era), **opts))
    p = m.ref(m.new_page(FILE, holders=("cache",)))
    lk = m.locks.lock(m.locks.page_key(p), "page")
    out: dict[str, object] = {}

    async def holder(k: K) -> None:
        await k.lock_page("H1", p)
        while lk.waiters != [A, B]:
            await k.page_locked("H2", p)
        await k.unlock_page("H3", p)

    async def victim(k: K) -> None:
        while lk.owner != H:
            await k.page_locked("A0", p)
        r = await k.lock_page_killable("A1", p)
        # the signal was sent only once A was woken: pending now = it landed before A ran
        out["killed_while_woken"] = m.core.frames[A].fatal
        out["A"] = r
        if r == 0:
            await k.unlock_page("A2", p)

    async def other(k: K) -> None:
        while A not in lk.waiters:
            await k.page_locked("B0", p)
        await k.lock_page("B1", p)
        out["B"] = "locked"
        await k.unlock_page("B2", p)

    async def killer(k: K) -> None:
        while A not in m.locks.woken and "A" not in out:
            await k.page_locked("K0", p)
        await k.send_fatal_signal("K1", "A")

    r = run(m, {"H": holder, "A": victim, "B": other, "KILL": killer}, seed)
    return r, out


def search(
    era: str, want: Callable[[dict[str, object]], bool], **opts: str
) -> list[dict[str, object]]:
    """Every seed's run is clean (B always gets the lock); the runs where ``want`` holds."""
    hits = []
    for seed in range(60):
        r, out = killed_after_wake(era, seed, **opts)
        assert r.outcome.status == "clean", (seed, r.outcome)
        assert out["B"] == "locked", seed
        if want(out):
            hits.append(out)
    return hits


def test_3_0_killed_waiter_returns_eintr_and_passes_the_wake_up_on() -> None:
    # 3.0.1 __wait_on_bit_lock: sleep_on_page_killable says -EINTR although unlock_page woke A;
    # abort_exclusive_wait wakes B, which would otherwise sleep for ever (INV-DL-1 / lost wake).
    hits = search("E2011", lambda o: bool(o["killed_while_woken"]))
    assert hits and all(o["A"] == EINTR for o in hits)


def test_4_9_killed_waiter_woken_with_the_bit_clear_takes_the_lock() -> None:
    # 4.9 __wait_on_bit_lock: the action's -EINTR is kept only if test_and_set_bit fails.
    hits = search("E2016", lambda o: bool(o["killed_while_woken"]))
    assert hits and all(o["A"] == 0 for o in hits)


def test_3_0_and_4_9_without_the_signal_race_the_waiter_just_locks() -> None:
    for era in ("E2011", "E2016"):
        assert search(era, lambda o: not o["killed_while_woken"] and o["A"] == 0)


def killed_asleep(policy: str, seed: int) -> tuple[int, bool]:
    """5.9: KILL signals A while it sleeps in lock_page_killable, B queued behind it; H unlocks
    once the signal is sent. (A's result, whether H's unlock came before A ran.)"""
    m = PageCacheModel(era_options("E2020", page_lock_policy=policy))
    p = m.ref(m.new_page(FILE, holders=("cache",)))
    lk = m.locks.lock(m.locks.page_key(p), "page")
    sent: list[bool] = []
    res: list[int] = []

    async def holder(k: K) -> None:
        await k.lock_page("H1", p)
        while not sent:
            await k.page_locked("H2", p)
        await k.unlock_page("H3", p)

    async def victim(k: K) -> None:
        while lk.owner != H:
            await k.page_locked("A0", p)
        r = await k.lock_page_killable("A1", p)
        res.append(r)
        if r == 0:
            assert m.locks.holds(A, m.locks.page_key(p))
            await k.unlock_page("A2", p)

    async def other(k: K) -> None:
        while A not in lk.waiters:
            await k.page_locked("B0", p)
        await k.lock_page("B1", p)
        await k.unlock_page("B2", p)

    async def killer(k: K) -> None:
        while not (m.core.frames[A].killable and B in lk.waiters):
            await k.page_locked("K0", p)
        sent.append(await k.send_fatal_signal("K1", "A"))

    r = run(m, {"H": holder, "A": victim, "B": other, "KILL": killer}, seed)
    assert r.outcome.status == "clean", (seed, r.outcome)
    labels = [(e.actor, e.decode().label) for e in r.events]
    a1 = max(i for i, x in enumerate(labels) if x == (A, "A1"))
    return res[0], labels.index((H, "H3")) < a1


@pytest.mark.parametrize("policy", ["P-FAIR", "P-UNFAIR"])
def test_5_9_a_killed_waiter_handed_the_lock_keeps_it(policy: str) -> None:
    """H unlocks after A was signalled but before it ran: the 5.9 waker hands A the lock
    (WQ_FLAG_DONE) or wakes it to take the free bit (P-UNFAIR's first rounds); either way
    wait_on_page_bit_common returns 0, A owns the page lock and unlocks it, and B gets it."""
    got = [killed_asleep(policy, seed) for seed in range(60)]
    assert (0, True) in got, "the unlock never reached A before it ran"
    assert (EINTR, False) in got, "A never ran before the unlock"
    assert all(res == 0 for res, first in got if first)


def killed_shared(era: str, moment: str, seed: int) -> tuple[int, bool, bool]:
    """A sleeps in wait_on_page_locked_killable while H holds the page; KILL signals it while it
    sleeps (``moment`` "asleep") or once H's unlock woke it ("woken"). (A's result, signal
    pending as it returned, H's unlock done as it returned.)"""
    m = PageCacheModel(era_options(era))
    p = m.ref(m.new_page(FILE, holders=("cache",)))
    lk = m.locks.lock(m.locks.page_key(p), "page")
    res: list[int] = []
    unlocked: list[bool] = []

    async def holder(k: K) -> None:
        await k.lock_page("H1", p)
        while A not in lk.shared and not res:
            await k.page_locked("H2", p)
        await k.unlock_page("H3", p)
        unlocked.append(True)

    async def victim(k: K) -> None:
        while lk.owner != H:
            await k.page_locked("A0", p)
        res.append(await k.wait_on_page_locked_killable("A1", p))
        res.append(int(m.core.frames[A].fatal))
        res.append(len(unlocked))
        assert not m.locks.holds(A, m.locks.page_key(p))

    async def killer(k: K) -> None:
        def ready() -> bool:
            return bool(res) or A in (lk.shared if moment == "asleep" else m.locks.woken)

        while not ready():
            await k.page_locked("K0", p)
        await k.send_fatal_signal("K1", "A")

    r = run(m, {"H": holder, "A": victim, "KILL": killer}, seed)
    assert r.outcome.status == "clean", (seed, r.outcome)
    return res[0], bool(res[1]), bool(res[2])


@pytest.mark.parametrize(("era", "after_wake"), [("E2011", EINTR), ("E2016", EINTR), ("E2020", 0)])
def test_wait_on_page_locked_killable(era: str, after_wake: int) -> None:
    """Killed while asleep (and still asleep as it runs): -EINTR in every era. Killed after
    unlock_page woke it, before it ran: 3.0 / 4.9 say -EINTR (the action's verdict), 5.9 says
    0 (WQ_FLAG_WOKEN). Never with the page lock."""
    asleep = {
        r
        for r, fatal, unl in (killed_shared(era, "asleep", s) for s in range(30))
        if fatal and not unl
    }
    woken = {r for r, fatal, _ in (killed_shared(era, "woken", s) for s in range(30)) if fatal}
    assert asleep == {EINTR}
    assert woken == {after_wake}
