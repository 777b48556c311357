"""What each kernel op touches (its footprint) and when it would block, for the engine's
scheduling strategies and ``pcemu verify`` (emulator/engine/footprint.py).

A footprint is a tuple of ``(key, write)``; keys are ``(oid, field)`` for an object's field
(page flags by their field name: ``"locked"`` is PG_locked, which lock_page takes), ``(oid,
"lock")`` for an embedded mutex, ``(oid, name)`` for a spinlock, ``("rcu", "")`` for RCU
read-side state. An empty footprint is a local step (it reads or writes only the caller's own
frame). Every op that frees or allocates, walks a structure, or runs hooks other components
registered is declared ``UNKNOWN``: it conflicts with every step, so a strategy or a partial-
order reduction never assumes it commutes with anything. Precision only ever costs search
effort there, never soundness.

Every op of the wire protocol (``model.OPS``) has an entry; a test checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.engine.footprint import ANY, UNKNOWN, Access

Fp = Callable[[tuple[Any, ...]], tuple[Access, ...]]


def _local(args: tuple[Any, ...]) -> tuple[Access, ...]:
    return ()


def _unknown(args: tuple[Any, ...]) -> tuple[Access, ...]:
    return UNKNOWN


def _field(write: bool) -> Fp:
    """``op(ref, field, ...)``: one field of one object."""

    def fp(args: tuple[Any, ...]) -> tuple[Access, ...]:
        return (((args[0][0], args[1]), write),)

    return fp


def _named(fld: str, write: bool) -> Fp:
    """``op(ref, ...)``: a fixed field of the object."""

    def fp(args: tuple[Any, ...]) -> tuple[Access, ...]:
        return (((args[0][0], fld), write),)

    return fp


# A pure read of state whose key the footprint does not name: it conflicts with every write
# (of any key) but commutes with other reads.
_READS_ANY: tuple[Access, ...] = ((ANY, False),)


def _reads(args: tuple[Any, ...]) -> tuple[Access, ...]:
    return _READS_ANY


def _rwsem(args: tuple[Any, ...]) -> tuple[Access, ...]:
    """``op(ref, name="mmap_sem")``: the semaphore's lock-table entry (count, waiters, the
    readers it grants on release). Granting wakes parked actors only: their frames are touched
    by no other step until they run."""
    return (((args[0][0], args[1] if len(args) > 1 else "mmap_sem"), True),)


# put_page: the refcount (and the holder ledger that goes with it, as for get_page); at zero
# the page is freed: its mapping and ANON bit are cleared, after reading mapcount, PG_reserved
# and PG_locked for the bad-page checks. A struct page is never freed as memory (a stale
# reference still dereferences) and only alloc_page, which is UNKNOWN, reads the free list.
_PUT_PAGE_WRITES = ("_refcount", "mapping", "anon")
_PUT_PAGE_READS = ("mapcount", "reserved", "locked")


def _put_page(args: tuple[Any, ...]) -> tuple[Access, ...]:
    oid = args[0][0]
    return tuple(((oid, f), True) for f in _PUT_PAGE_WRITES) + tuple(
        ((oid, f), False) for f in _PUT_PAGE_READS
    )


def _rcu(args: tuple[Any, ...]) -> tuple[Access, ...]:
    return ((("rcu", ""), True),)


FOOTPRINTS: dict[str, Fp] = {
    # plain and atomic fields
    "read": _field(False),
    "write": _field(True),
    "atomic_read": _field(False),
    "atomic_inc": _field(True),
    "atomic_dec": _field(True),
    "atomic_inc_not_zero": _field(True),
    "atomic_dec_and_test": _field(True),
    "page_flag": _field(False),
    "set_page_flag": _field(True),
    "i_size_read": _named("i_size", False),
    "i_size_write": _named("i_size", True),
    "get_page": _named("_refcount", True),
    "get_page_unless_zero": _named("_refcount", True),
    "page_ref_freeze": _named("_refcount", True),
    "page_ref_unfreeze": _named("_refcount", True),
    # marked accesses and read-modify-writes (the memory model orders them; the key is the
    # field either way)
    "read_once": _field(False),
    "smp_load_acquire": _field(False),
    "rcu_dereference": _field(False),
    "write_once": _field(True),
    "smp_store_release": _field(True),
    "rcu_assign_pointer": _field(True),
    "atomic_set": _field(True),
    "atomic_add_unless": _field(True),
    "atomic_inc_return": _field(True),
    "atomic_inc_return_acquire": _field(True),
    "atomic_inc_return_relaxed": _field(True),
    "atomic_inc_return_release": _field(True),
    "cmpxchg": _field(True),
    "cmpxchg_acquire": _field(True),
    "cmpxchg_relaxed": _field(True),
    "cmpxchg_release": _field(True),
    "xchg": _field(True),
    "xchg_acquire": _field(True),
    "xchg_relaxed": _field(True),
    "xchg_release": _field(True),
    "test_and_set_bit": _field(True),
    "clear_bit": _field(True),
    # locks (their waiters and hand-over belong to the lock: the same key)
    "trylock_page": _named("locked", True),
    "lock_page": _named("locked", True),
    "unlock_page": _named("locked", True),
    "page_locked": _named("locked", False),
    "mutex_trylock": _named("lock", True),
    "mutex_lock": _named("lock", True),
    "mutex_is_locked": _named("lock", False),
    # mutex_unlock's hooks (anon_vma's INV-AV-1 ledger: the caller's own commitments, the
    # frees under a held root lock) are read and written otherwise only by commit,
    # kmem_cache_free and avc_walk, which are UNKNOWN: the lock word is all it shares.
    "mutex_unlock": _named("lock", True),
    "down_read": _rwsem,
    "down_read_trylock": _rwsem,
    "up_read": _rwsem,
    "down_write": _rwsem,
    "up_write": _rwsem,
    "put_page": _put_page,
    # i_count: the inode's life (alloc_inode, destroy_inode, the grace period) and the futex
    # keys that iput's INV-FUTEX-1 check reads change only in UNKNOWN steps. ihold's WARN_ON
    # messages are a diagnosis list, not state a step reads.
    "ihold": _named("i_count", True),
    "inode_inc_not_zero": _named("i_count", True),
    "inode_iput_dec": _named("i_count", True),
    "spin_lock": _field(True),
    "spin_unlock": _field(True),
    "spin_trylock": _field(True),
    "spin_is_locked": _field(False),
    "rcu_read_lock": _rcu,
    "rcu_read_unlock": _rcu,
    # lockless walks and lookups that change nothing (checked: they only deref and read)
    "pte_read": _reads,
    "page_mapping": _reads,
    "page_mapped": _reads,
    "tree_load": _reads,
    "find_vma": _reads,
    "gup_vma_info": _reads,
    "inode_cache_indices": _reads,
    "mutex_is_locked_via": _reads,
    "fatal_signal_pending": _reads,
    # anonymous swap and reclaim (actors/model/swap.py): the pure reads
    "pte_swap_entry": _reads,
    "page_private": _reads,
    "anon_rmap": _reads,
    "is_page_cache_freeable": _named("_refcount", False),
    # the caller's own frame only
    "begin": _local,
    "end": _local,
    "might_sleep": _local,
    "report": _local,
    "note": _local,
}

# Everything else touches more than its arguments say (frees, allocations, tree and rmap
# walks, grace periods, swap, fuse queues, unlock hooks): conflicts with every step.
_CONFLICTS_WITH_ALL = (
    "commit retry mutex_trylock_via mutex_lock_via mutex_unlock_via "
    "call_rcu synchronize_rcu gp_idle gp_start gp_wait gp_end "
    "alloc_page pte_install pte_zap "
    "gup_map_zero detach_vmas_to_be_unmapped fault_lookup fault_lookup_from "
    "add_to_page_cache_locked add_to_page_cache_lru "
    "delete_from_page_cache cache_remove trunc_vmas zap_page_range truncate_complete_page "
    "trunc_done trunc_invalidate_done anon_vma_alloc kmem_cache_free anon_vma_chain_link "
    "avc_unlink avc_walk page_add_anon_rmap "
    "iput_final destroy_inode alloc_inode get_swap_page add_to_swap_cache shmem_swap_out "
    "swap_writepage swap_io_wait swap_io_done find_get_entry lookup_swap_cache swap_confirm "
    "shmem_add_to_page_cache delete_from_swap_cache reclaim_rmap reclaim_pageout_ok "
    "drop_invalidatable remove_mapping futex_key_inode futex_key_mm futex_key_drop "
    "futex_efault fuse_send fuse_wait fuse_dev_read fuse_dev_write "
    # waits and wake-ups reach other actors' wait queues
    "complete wait_for_completion wait_on_page_locked page_lock_to_io futex_queue "
    "futex_schedule futex_wake_queued set_pte_at "
    # writeback and fatal signals wake waiters; the pte updates of do_wp_page and GUP-fast
    "set_page_writeback "
    "end_page_writeback wait_on_page_writeback lock_page_killable send_fatal_signal "
    "gup_fast_pte pte_cow_replace pte_mkwrite "
    # anonymous swap and reclaim: swap map, swap cache, frees, the block layer's queue
    "set_swap_pte swap_pte_map swap_free reuse_swap_page try_to_free_swap "
    "read_swap_cache_async reclaim_remove_mapping submit_bio bio_wait zap_swap_pte "
    # fences drain or order the caller's store buffer, which other actors' loads observe
    "smp_mb smp_rmb smp_wmb smp_mb__before_atomic smp_mb__after_atomic smp_mb__after_spinlock"
)
for _name in _CONFLICTS_WITH_ALL.split(" "):
    FOOTPRINTS.setdefault(_name, _unknown)

# Killable and era-dependent waits, do_wp_page's and GUP's pte steps (waits.py, rwsem.py,
# mm.py): each reaches other actors' wait queues or a page table walked by other steps.
for _name in ("wait_on_page_locked_killable",):
    FOOTPRINTS.setdefault(_name, _unknown)


# The ops whose footprint is empty (the engine asks no other op's footprint to find a local step).
LOCAL_OPS: frozenset[str] = frozenset(op for op, fn in FOOTPRINTS.items() if fn is _local)


def footprint(op: str, args: tuple[Any, ...]) -> tuple[Access, ...]:
    fn = FOOTPRINTS.get(op)
    return fn(args) if fn is not None else UNKNOWN


# Ops that park when their lock is held (not on a resume: the waker handed the lock over or
# the resumed request races for it as a choice). Other parking ops (synchronize_rcu, waits on
# IO or fuse) are chosen like any step and park when applied.
_LOCK_KEYS: dict[str, Callable[[tuple[Any, ...]], tuple[int, str]]] = {
    "lock_page": lambda a: (a[0][0], "PG_locked"),
    "mutex_lock": lambda a: (a[0][0], "lock"),
    "spin_lock": lambda a: (a[0][0], a[1]),
}
# The engine parks a request that would block at once, without a choice. The kernel model's
# locks hand over to their first waiter on unlock (and lock_page's policies count rounds), so
# *when* a waiter joins the queue is observable: parking it as early as possible would drop
# the interleavings where it arrives after the unlock (the directed schedule of
# futex-drop-caches-pin is one). So the kernel model asks the engine to park none of them
# early: its lock requests stay choices and park when chosen, as before. ``would_block`` still
# answers for tools that only want to know.
BLOCKING_OPS: frozenset[str] = frozenset()


def would_block(locks: Any, op: str, args: tuple[Any, ...], resumed: bool) -> bool:
    """``locks`` is the model's ``Locks`` component (its ``locks`` table: key -> Lock)."""
    if resumed or op not in _LOCK_KEYS:
        return False
    key = _LOCK_KEYS[op](args)
    lk = locks.locks.get(key)
    return lk is not None and lk.owner is not None
