"""wait_on_page_locked by era: before 5.9 a woken waiter that finds the page locked again sleeps
again (3.0.1 kernel/wait.c __wait_on_bit's loop); from 5.9 a woken non-exclusive waiter is done
whether or not the page was locked again meanwhile (5.9.1 mm/filemap.c wait_on_page_bit_common:
"If we were non-exclusive, we're done"). With the fair hand-off the unlock gives the page to
the queued locker at once, so a waiter whose wake-up is applied before that locker has unlocked
returns with the page locked; one applied after it returns to an unlocked page."""

from __future__ import annotations

from dataclasses import replace

import pytest

from actors.api import K, actor
from actors.model import PageCacheModel
from actors.model.options import era_options
from actors.objects import FILE
from emulator.engine.runtime import RunConfig, run_sync
from emulator.engine.strategies import make_strategy

H, W, R = 0, 1, 2


def waiter_sees(era: str, seed: int) -> dict[str, object]:
    """H holds the page; W waits for it to be unlocked, R queues to lock it; H unlocks."""
    m = PageCacheModel(replace(era_options(era), page_lock_policy="P-FAIR"))
    p = m.ref(m.new_page(FILE, holders=("cache",)))
    lk = m.locks.lock(m.locks.page_key(p), "page")
    out: dict[str, object] = {}

    async def holder(k: K) -> None:
        await k.lock_page("H1", p)
        while W not in lk.shared or R not in lk.waiters:
            await k.page_locked("H2", p)
        await k.unlock_page("H3", p)

    async def waiter(k: K) -> None:
        while lk.owner != H:
            await k.page_locked("W0", p)
        await k.wait_on_page_locked("W1", p)
        out["owner_at_return"] = lk.owner
        out["r_done"] = "R" in out

    async def relocker(k: K) -> None:
        while W not in lk.shared:
            await k.page_locked("R0", p)
        await k.lock_page("R1", p)
        await k.unlock_page("R2", p)
        out["R"] = True

    actors = [actor("H", holder), actor("W", waiter), actor("R", relocker)]
    r = run_sync(m, actors, RunConfig(make_strategy("random", seed)))
    assert not r.outcome.failed, r.outcome
    return out


@pytest.mark.parametrize("seed", range(10))
def test_from_5_9_a_woken_shared_waiter_returns_with_the_page_locked_again(seed: int) -> None:
    out = waiter_sees("E2020", seed)
    # Either the locker still holds the page it was handed (the waiter did not sleep again),
    # or the locker had already unlocked before the waiter's wake-up was applied.
    if out["r_done"]:
        assert out["owner_at_return"] is None
    else:
        assert out["owner_at_return"] == R


def test_from_5_9_some_schedule_returns_the_waiter_while_the_page_is_locked() -> None:
    # What the era changed: before 5.9 no schedule does (the waiter sleeps again).
    assert any(waiter_sees("E2020", seed)["owner_at_return"] == R for seed in range(10))


@pytest.mark.parametrize("seed", range(10))
def test_before_5_9_the_waiter_sleeps_again_until_the_page_is_unlocked(seed: int) -> None:
    out = waiter_sees("E2011", seed)
    assert out["owner_at_return"] is None and out["r_done"] is True
