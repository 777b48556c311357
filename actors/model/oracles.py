"""The oracle table: every oracle id the model (and the engine, for INV-DL-1, INV-WAKE-1 and
INV-LIVE-1) can raise, with its one-line meaning and the symptom the kernel itself would show.
For ``pcemu oracles`` and reports; kernel-scenarios.md section 4 is the specification.

Diagnoses (reported, never failing): ``INV-ID-1`` under ``ModelOptions.reuse_diagnosis``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Oracle:
    id: str
    meaning: str  # one line: what is checked
    symptom: str  # what a kernel of the era shows when it happens
    raised_by: str  # where in pcemu it is checked


ORACLES: tuple[Oracle, ...] = (
    Oracle(
        "INV-REF-1",
        "a refcount (_refcount, i_count, anon_vma refcount) goes below zero; a reserved page or"
        " a page with PG_locked is freed",
        "VM_BUG_ON_PAGE(page_ref_count(page) == 0), 'BUG: Bad page state' (free_pages_check)",
        "actors/model/pages.py, generic.py, inodes.py",
    ),
    Oracle(
        "INV-REF-2",
        "get_page / atomic_inc on a count that is zero (resurrection)",
        "VM_BUG_ON_PAGE(page_ref_zero_or_close_to_overflow(page)); use after free of the page",
        "actors/model/pages.py, generic.py",
    ),
    Oracle(
        "INV-REF-3",
        "a page reference is dropped by somebody who does not hold one (holder ledger)",
        "a count that goes wrong later: a premature free",
        "actors/model/pages.py",
    ),
    Oracle(
        "INV-REF-4",
        "a page freed while a pte maps it; drop_caches takes a pinned page out of its mapping",
        "'BUG: Bad page map'; a GUP user working on an orphaned page",
        "actors/model/pages.py, shmem.py",
    ),
    Oracle(
        "INV-UAF-1",
        "access to a freed object of a kind that is neither type-safe nor never-freed",
        "KASAN use-after-free; random corruption",
        "actors/model/core.py deref",
    ),
    Oracle(
        "INV-UAF-2",
        "access to an RCU-freed object after its grace period ended; with typesafe_uaf, to a"
        " freed type-safe object outside any RCU section that predates the free",
        "KASAN use-after-free; for inodes BUG_ON(inode->i_state & I_CLEAR) in iput",
        "actors/model/core.py deref",
    ),
    Oracle(
        "INV-ID-1",
        "an actor commits to a pointer whose object was reallocated since it loaded it",
        "none by itself (a diagnosis for type-safe objects): the harm is what follows",
        "actors/model/generic.py commit",
    ),
    Oracle(
        "INV-LOCK-1",
        "unlock of a lock the actor does not hold",
        "CONFIG_DEBUG_MUTEXES: DEBUG_LOCKS_WARN_ON(lock->owner != current); without it another"
        " task's lock is released",
        "actors/model/locks.py",
    ),
    Oracle(
        "INV-LOCK-2",
        "an operation ends still holding a lock it took",
        "a lock held for ever: the next locker hangs (hung task warning)",
        "actors/model/generic.py end, model.py actor_exit",
    ),
    Oracle(
        "INV-LOCK-3",
        "page->mapping, PG_swapcache, PG_uptodate or an anon_vma chain changed without its lock",
        "VM_BUG_ON_PAGE(!PageLocked(page)); list corruption",
        "actors/model/pages.py, shmem.py, anon.py",
    ),
    Oracle(
        "INV-DL-1",
        "a cycle in the wait-for graph (self-waits included)",
        "hung tasks in D state: 'task blocked for more than 120 seconds'",
        "emulator/engine/waits.py",
    ),
    Oracle(
        "INV-WAKE-1",
        "quiescence with a parked actor nobody can wake",
        "a lost wakeup: a task asleep for ever",
        "emulator/engine/waits.py",
    ),
    Oracle(
        "INV-LIVE-1",
        "a retry loop repeats 64 times with no write by another actor to what it examined",
        "an unkillable busy loop in the kernel (soft lockup, 'trinity hangs')",
        "emulator/engine/livelock.py via generic.py retry",
    ),
    Oracle(
        "INV-RCU-1",
        "a sleeping primitive inside an RCU read-side section or under a spinlock",
        "'BUG: sleeping function called from invalid context' (CONFIG_PREEMPT), 'Illegal"
        " context switch in RCU read-side critical section' (PROVE_RCU, 3.2+)",
        "actors/model/locks.py sleeps",
    ),
    Oracle(
        "INV-RCU-2",
        "unbalanced rcu_read_lock / rcu_read_unlock",
        "lockdep 'rcu_read_unlock() without rcu_read_lock()'; a grace period that never ends",
        "actors/model/model.py actor_exit, rcu.py",
    ),
    Oracle(
        "INV-MAP-1",
        "a file pte maps a page that is not in its file's cache at that index; a pte that"
        " do_swap_page installs maps a page that does not hold its swap entry's data",
        "a process reads or writes a page that is no longer the file's, or its old anonymous"
        " data over what it wrote since: stale data, lost writes",
        "actors/model/mm.py, swap.py",
    ),
    Oracle(
        "INV-EOF-1",
        "after truncate returned, a pte or cache page beyond the new EOF",
        "data beyond EOF visible; no SIGBUS where POSIX requires it",
        "actors/model/truncate.py",
    ),
    Oracle(
        "INV-INVAL-1",
        "after invalidate_inode_pages2 returned, a page it removed is still mapped",
        "O_DIRECT / NFS read stale data through mmap",
        "actors/model/truncate.py",
    ),
    Oracle(
        "INV-FUTEX-1",
        "a live futex key references an inode that is being or has been freed",
        "futex hash key collisions; use after free at put_futex_key's iput",
        "actors/model/inodes.py, futex.py",
    ),
    Oracle(
        "INV-FUTEX-2",
        "i_count 0 -> 1 by ihold (not an inode-cache lookup); on an I_FREEING inode",
        "WARN_ON(atomic_inc_return(&inode->i_count) < 2) (fs/inode.c ihold); then a double"
        " evict or a use after free",
        "actors/model/inodes.py",
    ),
    Oracle(
        "INV-FUTEX-3",
        "get_futex_key returns -EFAULT for a valid futex (shmem swap-out, drop_caches)",
        "futex(2) fails with EFAULT: a pthread mutex or condvar operation fails spuriously",
        "actors/model/futex.py",
    ),
    Oracle(
        "INV-AV-1",
        "an anon_vma is freed while referenced or while a walker that committed to it holds"
        " its root's lock (anon_vma->root->mutex, the lock anon_vma_lock takes)",
        "use after free of the anon_vma (its slab is type-safe: the walker works on the next"
        " owner's object)",
        "actors/model/anon.py",
    ),
    Oracle(
        "INV-COW-1",
        "a write through a private (MAP_PRIVATE) mapping reaches the page cache of a file the"
        " writer may not write (a scenario's user check)",
        "a read-only file (/etc/passwd, a setuid binary) modified in the page cache and written"
        " back: CVE-2016-5195 (Dirty COW) privilege escalation",
        "actors/model/mm.py private_write_check",
    ),
)

BY_ID: dict[str, Oracle] = {o.id: o for o in ORACLES}
