"""The kernel model's primitives, each checked on a few actors: page-lock policies, RCU grace
periods, type-safe slab reuse, the refcount holder ledger, and the oracles they feed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from actors.api import K, actor
from actors.kernel.rcu import rcu_gp
from actors.model import ModelOptions, PageCacheModel
from actors.objects import FILE
from emulator.engine.runtime import ActorSpec, RunConfig, RunResult, run_actors, run_sync
from emulator.engine.strategies import make_strategy

Prog = Callable[[K], Awaitable[None]]


def run(
    model: PageCacheModel, actors: list[ActorSpec], seed: int = 0, strategy: str = "random"
) -> RunResult:
    return run_sync(model, actors, RunConfig(make_strategy(strategy, seed)))


def test_page_lock_fair_policy_hands_over_in_queue_order() -> None:
    for policy, expect_fifo in (("P-FAIR", True), ("P-OLD", False)):
        orders = set()
        for seed in range(40):
            m = PageCacheModel(ModelOptions(page_lock_policy=policy))
            p = m.ref(m.new_page(FILE, holders=("cache",)))
            got: list[str] = []

            def locker(name: str, p: tuple[int, int] = p, got: list[str] = got) -> Prog:
                async def body(k: K) -> None:
                    for _ in range(3):
                        await k.lock_page("L", p)
                        got.append(name)
                        await k.unlock_page("U", p)

                return body

            r = run(m, [actor(n, locker(n)) for n in ("a", "b", "c")], seed)
            assert r.outcome.status == "clean", r.outcome
            orders.add(tuple(got))
        assert len(orders) > 1  # the seed decides who wins
        if expect_fifo:
            assert all(len(o) == 9 for o in orders)


def test_unlock_by_non_owner_and_leak_at_end_of_op() -> None:
    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))

    async def a(k: K) -> None:
        await k.lock_page("L1", p)

    async def b(k: K) -> None:
        await k.begin("B0", "op")
        await k.lock_page("B1", p)
        await k.end("B2", "op")

    r = run(m, [actor("A", a)])
    assert r.outcome.violation is not None and r.outcome.violation.oracle == "INV-LOCK-2"
    m2 = PageCacheModel()
    p = m2.ref(m2.new_page(FILE, holders=("cache",)))

    async def thief(k: K) -> None:
        await k.unlock_page("T1", p)

    r = run(m2, [actor("T", thief)])
    assert r.outcome.violation is not None
    assert r.outcome.violation.oracle == "INV-LOCK-1"
    assert "not held by T (held by nobody)" in r.outcome.violation.message
    m3 = PageCacheModel()
    p = m3.ref(m3.new_page(FILE, holders=("cache",)))
    r = run(m3, [actor("B", b)])
    assert r.outcome.violation is not None
    assert r.outcome.violation.oracle == "INV-LOCK-2"
    assert "at end of op" in r.outcome.violation.message


def test_sleeping_inside_rcu_is_reported() -> None:
    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))

    async def body(k: K) -> None:
        await k.rcu_read_lock("R1")
        await k.lock_page("R2", p)

    r = run(m, [actor("CPU0", body)])
    v = r.outcome.violation
    assert v is not None and v.oracle == "INV-RCU-1" and v.label == "R2"
    assert "opened at R1" in v.message


def test_grace_period_waits_for_preexisting_readers() -> None:
    """A reader inside its section keeps a call_rcu'd object readable; after it leaves and the
    GP ends, any access is INV-UAF-2."""
    seen_ok = 0
    for seed in range(60):
        m = PageCacheModel()
        inode = m.ref(m.new("inode", {"i_count": 0}))

        async def reader(k: K, inode: tuple[int, int] = inode) -> None:
            await k.rcu_read_lock("R1")
            for _ in range(5):
                await k.read("R2", inode, "i_count")
            await k.rcu_read_unlock("R3")
            await k.read("R4", inode, "i_count")

        async def freer(k: K, inode: tuple[int, int] = inode) -> None:
            await k.call_rcu("F1", inode)

        actors = [
            actor("CPU0", reader),
            actor("CPU1", freer),
            actor("RCU", rcu_gp, daemon=True),
        ]
        # The reader is inside its section before call_rcu; then the seed decides.
        cfg = RunConfig(make_strategy("random", seed), directed=[("CPU0", "R1"), ("CPU1", "F1")])
        r = run_sync(m, actors, cfg)
        v = r.outcome.violation
        if v is None:
            seen_ok += 1
            continue
        # Only the read after rcu_read_unlock may fail, and only once the GP has ended.
        assert (v.oracle, v.label) == ("INV-UAF-2", "R4"), v
    assert 0 < seen_ok < 60


def test_refcount_holder_ledger() -> None:
    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))

    async def body(k: K) -> None:
        await k.get_page("G1", p, "pin:CPU0")
        await k.put_page("G2", p, "pin:CPU1")

    r = run(m, [actor("CPU0", body)])
    v = r.outcome.violation
    assert v is not None and v.oracle == "INV-REF-3" and "put by pin:CPU1" in v.message


def test_typesafe_slab_reuses_the_most_recently_freed_object_by_default() -> None:
    m = PageCacheModel()
    a = m.new_anon_vma()
    b = m.new_anon_vma()
    got: list[tuple[int, int]] = []

    async def body(k: K) -> None:
        for oid in (a, b):
            await k.atomic_dec("P1", (oid, 1), "refcount")
            await k.kmem_cache_free("P2", (oid, 1))
        got.append(await k.anon_vma_alloc("P3"))

    r = run_sync(
        m, [actor("CPU0", body)], RunConfig(make_strategy("chaos", 0), directed=[("CPU0", "P3")])
    )
    assert r.outcome.status == "clean"
    assert got == [(b, 2)]


async def test_engine_runs_inside_an_existing_trio_loop() -> None:
    """pytest-trio: the runtime is an ordinary async function, embeddable in a trio program."""
    m = PageCacheModel()
    p = m.ref(m.new_page(FILE, holders=("cache",)))

    async def body(k: K) -> None:
        await k.lock_page("L", p)
        await k.unlock_page("U", p)

    r = await run_actors(
        m, [actor("a", body), actor("b", body)], RunConfig(make_strategy("pct", 2))
    )
    assert r.outcome.status == "clean" and r.outcome.steps == 4


def test_eager_rcu_frees_as_soon_as_the_last_preexisting_reader_leaves() -> None:
    m = PageCacheModel(ModelOptions(rcu_eager=True))
    inode = m.ref(m.new("inode", {"i_count": 0}))

    async def reader(k: K) -> None:
        await k.rcu_read_lock("R1")
        await k.read("R2", inode, "i_count")
        await k.rcu_read_unlock("R3")
        await k.read("R4", inode, "i_count")

    async def freer(k: K) -> None:
        await k.call_rcu("F1", inode)

    cfg = RunConfig(
        make_strategy("random", 0), directed=[("CPU0", "R1"), ("CPU1", "F1"), ("CPU0", "R4")]
    )
    r = run_sync(m, [actor("CPU0", reader), actor("CPU1", freer)], cfg)
    v = r.outcome.violation
    assert v is not None and (v.oracle, v.label) == ("INV-UAF-2", "R4")


def test_eager_synchronize_rcu_waits_for_readers_only() -> None:
    m = PageCacheModel(ModelOptions(rcu_eager=True))
    order: list[str] = []

    async def reader(k: K) -> None:
        await k.rcu_read_lock("R1")
        await k.note("R2", "inside")
        order.append("reader leaves")
        await k.rcu_read_unlock("R3")

    async def syncer(k: K) -> None:
        await k.synchronize_rcu("S1")
        order.append("sync returns")

    cfg = RunConfig(make_strategy("random", 1), directed=[("CPU0", "R1"), ("CPU1", "S1")])
    r = run_sync(m, [actor("CPU0", reader), actor("CPU1", syncer)], cfg)
    assert r.outcome.status == "clean", r.outcome
    assert order == ["reader leaves", "sync returns"]
