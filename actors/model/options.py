"""How a run's model is configured: one frozen value, given at construction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

POLICIES = ("P-OLD", "P-FAIR", "P-UNFAIR")
MUTEX_POLICIES = ("no-handoff", "handoff")
KILLABLE_FORMS = ("3.0", "4.9", "5.9")
RWSEM_POLICIES = ("queue", "steal")


@dataclass(frozen=True)
class ModelOptions:
    """
    rcu_eager         every grace period ends at the earliest legal moment: as soon as the last
                      reader that predates the call_rcu / synchronize_rcu leaves (the most hostile
                      legal RCU for code that trusts a stale pointer). Off: the RCU actor's steps
                      are scheduled like any other.
    page_lock_policy  the page lock's wait queue (kernel-scenarios.md 1.9): P-OLD, P-FAIR,
                      P-UNFAIR (the first ``unfair_rounds`` rounds race, then hand over).
    mutex_policy      what mutex_unlock does with a waiter. "no-handoff" (2.6.39 - 4.9, 3.0.1
                      kernel/mutex.c:324-334 and :222): the count is set to 1 and the first
                      waiter woken; it must win the count again, and a trylock, a fast-path
                      mutex_lock or an optimistic spinner may take the lock first (the woken
                      waiter keeps its place at the head of the queue). "handoff": the lock
                      goes to the first waiter at once; a simplification of 4.10's
                      MUTEX_FLAG_HANDOFF (9d659ae14b54), which hands over only after the woken
                      waiter failed once.
    strict_ihold      ihold on a zero-count inode: the kernel only WARNs; strict fails the run
                      with INV-FUTEX-2, off records the warning and goes on (000b "onward").
    mem               the memory mode of weak locations (actors/model/memory.py): SC, TSO or
                      WEAK; fields not declared weak are SC in every mode.
    ref4_drop_caches  drop_caches semantics for INV-REF-4 (001c): remove_mapping must never take a
                      page out of its mapping while somebody besides the cache and the caller
                      holds it.
    reuse_diagnosis   a commit (INV-ID-1) on a type-safe object reallocated since its load is a
                      diagnosis, not a failure: the kernel suffers only from what follows (003a:
                      the unlock of a lock not held, a leaked lock, the hang). The run goes on and
                      the report lists the reuse under "diagnoses".
    typesafe_uaf      a freed SLAB_TYPESAFE_BY_RCU object (anon_vma) read outside any RCU
                      read-side section that predates its free is INV-UAF-2: once every object
                      of a slab page is free, the page goes back to the page allocator after a
                      grace period (3.0.1 mm/slab.c slab_destroy -> call_rcu(kmem_rcu_free);
                      mm/slub.c free_slab -> call_rcu(rcu_free_slab)), and a reader outside RCU
                      does not hold that grace period back (624483f3ea82's KASAN report). A
                      read inside a section that predates the free is legal (the object is
                      type-stable), and so is a read of an object reallocated since (its slab
                      page is in use). On by default (faithful); off ("--set slab_page=kept"):
                      a freed type-safe object stays readable for ever.
    reclaim_ignores_pins
                      ablation: pageout() skips is_page_cache_freeable() (3.0.1 mm/vmscan.c:336,
                      :418; 4.9 :495; 5.9 :796), so shmem_writepage swaps out a page a GUP pin
                      holds, as e6780f7243ed's log assumes ("whatever the refcount"). The kernel
                      keeps such a page (PAGE_KEEP): off is the faithful model.
    killable_form     how a TASK_KILLABLE page wait ends (actors/model/waits.py): "3.0" (3.0.1
                      kernel/wait.c:219 __wait_on_bit_lock: a fatal signal ends the wait even
                      if unlock_page woke it, and abort_exclusive_wait passes that wake-up on),
                      "4.9" (4.9 kernel/sched/wait.c:413: the woken, killed waiter still tries
                      the bit once), "5.9" (5.9.1 mm/filemap.c:1172 wait_on_page_bit_common:
                      WQ_FLAG_WOKEN / WQ_FLAG_DONE decide; a lock handed over is kept).
    rwsem_policy      mmap_sem's writers: "queue" (3.0.1 lib/rwsem.c: the releaser grants the
                      lock to the head of the FIFO queue) or "steal" (3.10+, ce6711f3d196; 4.9
                      kernel/locking/rwsem-xadd.c: a writer takes a lock with no active holder
                      even past queued waiters; a woken writer retries; readers are still
                      granted by the waker).
    """

    rcu_eager: bool = False
    page_lock_policy: str = "P-FAIR"
    mutex_policy: str = "handoff"
    unfair_rounds: int = 5
    strict_ihold: bool = True
    ref4_drop_caches: bool = False
    mem: str = "SC"
    reclaim_ignores_pins: bool = False
    reuse_diagnosis: bool = False
    typesafe_uaf: bool = True
    killable_form: str = "5.9"
    rwsem_policy: str = "queue"


# The lock semantics of each era (the kernel of that era, not of today):
#   page lock  before 4.10 unlock_page clears PG_locked and wakes one exclusive waiter of the
#              hashed queue, which retries test_and_set_bit_lock and re-queues at the tail if
#              it loses; a trylock_page or a new lock_page may steal the bit (P-OLD; 4.10 added
#              PG_waiters, 62906027091f, same stealing). 5.9: 2a9127fcf229 + 5ef64cc8987a, the
#              hand-off after page_lock_unfairness = 5 rounds (P-UNFAIR).
#   mutex      2.6.39 - 4.9 never hand over (no-handoff); 4.10+ hand over (handoff).
#   killable   the killable page waits of 3.0 (E2006 too: nothing of that era waits killably),
#              4.9 and 5.9 (ModelOptions.killable_form).
#   rwsem      3.0's queue before 3.10, writer lock stealing from 3.10 (ModelOptions.rwsem_policy).
ERAS: dict[str, dict[str, Any]] = {
    "E2006": {
        "page_lock_policy": "P-OLD",
        "mutex_policy": "no-handoff",
        "killable_form": "3.0",
        "rwsem_policy": "queue",
    },
    "E2011": {
        "page_lock_policy": "P-OLD",
        "mutex_policy": "no-handoff",
        "killable_form": "3.0",
        "rwsem_policy": "queue",
    },
    "E2016": {
        "page_lock_policy": "P-OLD",
        "mutex_policy": "no-handoff",
        "killable_form": "4.9",
        "rwsem_policy": "steal",
    },
    "E2020": {
        "page_lock_policy": "P-UNFAIR",
        "mutex_policy": "handoff",
        "killable_form": "5.9",
        "rwsem_policy": "steal",
    },
}


def era_options(era: str, **overrides: Any) -> ModelOptions:
    """The ModelOptions of ``era`` (the lock semantics of ERAS), with ``overrides`` on top."""
    return _era_options(era, tuple(sorted(overrides.items())))


@cache
def _era_options(era: str, overrides: tuple[tuple[str, Any], ...]) -> ModelOptions:
    # Every run of a scenario builds its model with the same options: made once (a frozen
    # value, so one instance serves them all), not per run (1 % of a run's CPU time).
    return replace(ModelOptions(**ERAS[era]), **dict(overrides))


def lock_options(era: str) -> dict[str, tuple[str, ...]]:
    """Scenario options for the lock semantics: the era's first (the default), the others
    after it (``-o page_lock_policy=P-FAIR``, ``-o mutex_policy=handoff``)."""
    page = ERAS[era]["page_lock_policy"]
    mutex = ERAS[era]["mutex_policy"]
    return {
        "page_lock_policy": (page, *(p for p in POLICIES if p != page)),
        "mutex_policy": (mutex, *(p for p in MUTEX_POLICIES if p != mutex)),
    }


# Scenario option of the type-safe slab scenarios: "may-release" (default, typesafe_uaf) or
# "kept" (a freed type-safe object stays readable outside RCU).
SLAB_PAGE_OPTION: dict[str, tuple[str, ...]] = {"slab_page": ("may-release", "kept")}


def rwsem_option(era: str) -> dict[str, tuple[str, ...]]:
    """Scenario option of the scenarios that take mmap_sem for write: the era's rwsem form
    first (the default), the other after it (``--set rwsem_policy=queue``)."""
    first = ERAS[era]["rwsem_policy"]
    return {"rwsem_policy": (first, *(p for p in RWSEM_POLICIES if p != first))}


def scenario_options(era: str, options: Mapping[str, str], **overrides: Any) -> ModelOptions:
    """The ModelOptions of a scenario run: the era's lock semantics, unless the run's scenario
    options name others, then ``overrides``."""
    chosen: dict[str, Any] = {
        k: options[k] for k in ("page_lock_policy", "mutex_policy", "rwsem_policy") if k in options
    }
    if "slab_page" in options:
        chosen["typesafe_uaf"] = options["slab_page"] != "kept"
    return era_options(era, **chosen, **overrides)
