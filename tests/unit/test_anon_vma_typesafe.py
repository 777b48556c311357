"""anon_vma lives on a SLAB_DESTROY_BY_RCU (SLAB_TYPESAFE_BY_RCU) cache: a freed object may be
read inside an RCU read-side section that predates the free (it is type-stable), but once every
object of its slab page is free the page goes back to the allocator after a grace period (3.0.1
mm/slub.c free_slab -> call_rcu(rcu_free_slab)), so a read outside RCU is a use after free.
INV-AV-1 watches the lock the kernel takes and anon_vma_free syncs on: the root's
(anon_vma_lock = mutex_lock(&anon_vma->root->mutex), 3.0.1 include/linux/rmap.h:106)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from actors.api import K, actor
from actors.model import ModelOptions, PageCacheModel
from actors.objects import Ref
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.strategies import make_strategy
from emulator.run.session import run_once


def run(
    m: PageCacheModel,
    *progs: Callable[[K], Awaitable[None]],
    directed: list[tuple[str, str]] | None = None,
) -> RunResult:
    actors = [actor(f"CPU{i}", p) for i, p in enumerate(progs)]
    return run_sync(m, actors, RunConfig(make_strategy("chaos", 0), directed=directed))


def freed_anon_vma(typesafe_uaf: bool) -> tuple[PageCacheModel, Ref]:
    m = PageCacheModel(ModelOptions(typesafe_uaf=typesafe_uaf))
    a = m.new_anon_vma()
    m.objs[a].f["refcount"] = 1
    return m, (a, 1)


async def put_and_free(k: K, av: Ref) -> None:
    await k.atomic_dec_and_test("PA1", av, "refcount")
    await k.kmem_cache_free("AF4", av)


def test_read_outside_rcu_after_free_is_use_after_free() -> None:
    m, av = freed_anon_vma(typesafe_uaf=True)

    async def prog(k: K) -> None:
        await put_and_free(k, av)
        await k.read("W1", av, "root")

    v = run(m, prog).outcome.violation
    assert v is not None and (v.oracle, v.label) == ("INV-UAF-2", "W1"), v
    assert "slab page" in v.message


def test_read_inside_rcu_section_opened_before_the_free_is_type_stable() -> None:
    m, av = freed_anon_vma(typesafe_uaf=True)

    async def reader(k: K) -> None:
        await k.rcu_read_lock("A1")
        await k.note("A2", "preempted")
        await k.read("A5a", av, "root")
        await k.rcu_read_unlock("A12")

    async def freer(k: K) -> None:
        await put_and_free(k, av)

    r = run(m, reader, freer, directed=[("CPU0", "A2"), ("CPU1", "AF4")])
    assert r.outcome.status == "clean", r.outcome


def test_read_inside_rcu_section_opened_after_the_free_is_use_after_free() -> None:
    m, av = freed_anon_vma(typesafe_uaf=True)

    async def prog(k: K) -> None:
        await put_and_free(k, av)
        await k.rcu_read_lock("A1")
        await k.read("A5a", av, "root")

    v = run(m, prog).outcome.violation
    assert v is not None and v.oracle == "INV-UAF-2", v


def test_slab_page_kept_option_reads_freed_object_silently() -> None:
    m, av = freed_anon_vma(typesafe_uaf=False)

    async def prog(k: K) -> None:
        await put_and_free(k, av)
        await k.read("W1", av, "root")

    assert run(m, prog).outcome.status == "clean"


def test_default_model_is_faithful() -> None:
    assert ModelOptions().typesafe_uaf is True


@pytest.mark.parametrize("variant,want", [("buggy", "INV-AV-1"), ("fixed", None)])
def test_child_anon_vma_watches_the_root_lock(variant: str, want: str | None) -> None:
    """A forked child's anon_vma A (root R): the walker holds R's lock, A's own mutex is never
    taken; freeing A without syncing on R's lock is INV-AV-1, syncing (FIXED) waits."""
    o = run_once(
        "anon-vma-unsynced-free", variant, seed=0, directed=True, options={"anon_vma": "child"}
    ).outcome
    if want is None:
        assert o.status == "clean", o
    else:
        assert o.violation is not None and o.violation.oracle == want, o
        assert "root anon_vma#" in o.violation.message and "held by CPU0" in o.violation.message
