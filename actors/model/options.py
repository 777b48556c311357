"""How a run's model is configured: one frozen value, given at construction."""

from __future__ import annotations

from dataclasses import dataclass

POLICIES = ("P-OLD", "P-FAIR", "P-UNFAIR")


@dataclass(frozen=True)
class ModelOptions:
    """
    rcu_eager         every grace period ends at the earliest legal moment: as soon as the last
                      reader that predates the call_rcu / synchronize_rcu leaves (the most hostile
                      legal RCU for code that trusts a stale pointer). Off: the RCU actor's steps
                      are scheduled like any other.
    page_lock_policy  the page lock's wait queue (kernel-scenarios.md 1.9): P-OLD, P-FAIR,
                      P-UNFAIR (the first ``unfair_rounds`` rounds race, then hand over).
    strict_ihold      ihold on a zero-count inode: the kernel only WARNs; strict fails the run
                      with INV-FUTEX-2, off records the warning and goes on (000b "onward").
    ref4_drop_caches  drop_caches semantics for INV-REF-4 (001c): remove_mapping must never take a
                      page out of its mapping while somebody besides the cache and the caller
                      holds it.
    reclaim_ignores_pins
                      ablation: pageout() skips is_page_cache_freeable() (3.0.1 mm/vmscan.c:336,
                      :418; 4.9 :495; 5.9 :796), so shmem_writepage swaps out a page a GUP pin
                      holds, as e6780f7243ed's log assumes ("whatever the refcount"). The kernel
                      keeps such a page (PAGE_KEEP): off is the faithful model.
    """

    rcu_eager: bool = False
    page_lock_policy: str = "P-FAIR"
    unfair_rounds: int = 5
    strict_ihold: bool = True
    ref4_drop_caches: bool = False
    reclaim_ignores_pins: bool = False
