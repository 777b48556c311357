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
    mem               the memory mode of weak locations (actors/model/memory.py): SC, TSO or
                      WEAK; fields not declared weak are SC in every mode.
    ref4_drop_caches  drop_caches semantics for INV-REF-4 (001c): remove_mapping must never take a
                      page out of its mapping while somebody besides the cache and the caller
                      holds it.
    """

    rcu_eager: bool = False
    page_lock_policy: str = "P-FAIR"
    unfair_rounds: int = 5
    strict_ihold: bool = True
    ref4_drop_caches: bool = False
    mem: str = "SC"
