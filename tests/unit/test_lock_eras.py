"""Lock semantics of each era (actors/model/options.py ERAS): a 2.6.39 - 4.9 mutex does not
hand over to its first waiter, a pre-5.9 page lock can be stolen from a woken waiter, and 5.9's
page lock and 4.10's mutex hand over."""

from __future__ import annotations

from actors.api import K, actor
from actors.model import ModelOptions, PageCacheModel, era_options
from actors.objects import FILE
from emulator.engine.runtime import RunConfig, run_sync
from emulator.engine.strategies import make_strategy

# A takes the lock, B is about to ask for it; then the seed decides.
STEAL = [("A", "L1"), ("B", "B0")]


def steal_run(opts: ModelOptions, page_lock: bool, seed: int) -> tuple[list[str], bool]:
    """A holds the lock, B asks for it, A unlocks and at once tries to take it again: what
    happened, and whether B was parked when A unlocked."""
    m = PageCacheModel(opts)
    obj = m.new_page(FILE, holders=("cache",)) if page_lock else m.new_mm()
    ref = m.ref(obj)
    lock = K.lock_page if page_lock else K.mutex_lock
    unlock = K.unlock_page if page_lock else K.mutex_unlock
    trylock = K.trylock_page if page_lock else K.mutex_trylock
    got: list[str] = []

    async def a(k: K) -> None:
        await lock(k, "L1", ref)
        await unlock(k, "U1", ref)
        ok = await trylock(k, "T1", ref)
        # a steal: the lock taken while the woken waiter B still has not got it
        got.append(f"stole={ok and 'B' not in got}")
        if ok:
            await unlock(k, "T2", ref)

    async def b(k: K) -> None:
        await k.note("B0", "about to lock")
        await lock(k, "B1", ref)
        got.append("B")
        await unlock(k, "B2", ref)

    cfg = RunConfig(make_strategy("chaos", seed), directed=STEAL)
    r = run_sync(m, [actor("A", a), actor("B", b)], cfg)
    assert r.outcome.status == "clean", r.outcome
    steps = [(e.decode().label, e.status) for e in r.events]
    parked = ("B1", "parks") in steps
    return got, parked and steps.index(("B1", "parks")) < steps.index(("U1", "ok"))


def steal_outcomes(opts: ModelOptions, page_lock: bool, seeds: int = 40) -> set[str]:
    """What A's trylock did, over the seeds where B was parked when A unlocked."""
    seen: set[str] = set()
    for seed in range(seeds):
        got, parked_first = steal_run(opts, page_lock, seed)
        if parked_first:
            seen.update(g for g in got if g != "B")
    return seen


def test_3_0_mutex_does_not_hand_off() -> None:
    """3.0.1 kernel/mutex.c:324-334: unlock sets count 1 and wakes the waiter, which must win
    the count again (:222); the unlocker's own trylock can take the lock first, and the woken
    waiter waits again."""
    assert "stole=True" in steal_outcomes(era_options("E2011"), page_lock=False)


def test_4_10_mutex_hands_off() -> None:
    assert steal_outcomes(era_options("E2020"), page_lock=False) == {"stole=False"}


def test_pre_5_9_page_lock_can_be_stolen() -> None:
    """Before 2a9127fcf229 unlock_page only wakes the waiter; trylock_page takes the bit."""
    assert "stole=True" in steal_outcomes(era_options("E2011"), page_lock=True)


def test_fair_page_lock_hands_over() -> None:
    opts = ModelOptions(page_lock_policy="P-FAIR")
    assert steal_outcomes(opts, page_lock=True) == {"stole=False"}


def test_era_defaults() -> None:
    assert era_options("E2011").mutex_policy == "no-handoff"
    assert era_options("E2016").page_lock_policy == "P-OLD"
    assert era_options("E2020").page_lock_policy == "P-UNFAIR"
