"""The kernel API as actor code sees it: ``K``, one awaitable per op of the page-cache actor,
each one step, under the op's own name on the wire.

Code paths read like the kernel, with the step label first::

    page = await k.get_page_unless_zero("G2", page, holder)
    await k.lock_page("K5", page)

Pointers are ``(oid, gen)`` tuples; actor code never holds a reference to model state. Every
method here is one op that a component of actors/model/ declares with ``@op`` (same name, same
parameters after the label); tests/unit/test_api.py keeps the two in step. Kernel routines made
of several steps (gup, filemap_fault, truncate_pagecache ...) live in actors/kernel/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from actors.model.mm import VmaInfo
from actors.model.truncate import Span
from actors.objects import Ref
from emulator.engine.runtime import ActorSpec, Port

# The engine attributes a step to the first caller frame outside modules with this marker.
__pcemu_api__ = True

# Ops renamed on the wire in trace format 3 (pcemu 0.2.0) to the kernel's own names: old -> new.
# ``atomic`` with its ``how`` argument became one op per kernel primitive; ``i_size_read`` was a
# ``read`` of the field "i_size".
RENAMED_OPS: dict[str, str] = {
    "anon_vma_free": "kmem_cache_free",
    "atomic(read)": "atomic_read",
    "atomic(inc)": "atomic_inc",
    "atomic(dec)": "atomic_dec",
    "atomic(inc_not_zero)": "atomic_inc_not_zero",
    "atomic(dec_and_test)": "atomic_dec_and_test",
    "avc_link": "anon_vma_chain_link",
    "drop_remove_mapping": "remove_mapping",
    "fault_add_locked": "add_to_page_cache_locked",
    "fault_alloc_page": "alloc_page",
    "gup_read_in": "add_to_page_cache_lru",
    "gup_vma_detach": "detach_vmas_to_be_unmapped",
    "inode_alloc": "alloc_inode",
    "inode_destroy": "destroy_inode",
    "inode_ihold": "ihold",
    "inode_iput_final": "iput_final",
    "read(i_size)": "i_size_read",
    "shmem_find": "find_get_entry",
    "shmem_swap_in": "shmem_add_to_page_cache",
    "swap_add": "add_to_swap_cache",
    "swap_alloc": "get_swap_page",
    "swap_delete": "delete_from_swap_cache",
    "swap_lookup": "lookup_swap_cache",
    "swap_writeout": "swap_writepage",
    "trunc_delete": "truncate_complete_page",
    "trunc_i_size_write": "i_size_write",
    "trunc_zap_range": "zap_page_range",
}


class K:
    """What every actor program receives: ``async def program(k: K)``."""

    __slots__ = ("name", "port")

    def __init__(self, port: Port) -> None:
        self.port = port
        self.name = port.name

    # -- generic (actors/model/generic.py) ---------------------------------------------------------
    async def read(self, label: str, ref: Ref, fld: str) -> Any:
        """READ_ONCE(obj->field) / ACCESS_ONCE (include/linux/compiler.h)."""
        return await self.port.call("read", label, ref, fld)

    async def write(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        """WRITE_ONCE(obj->field, v); a plain store of the era."""
        await self.port.call("write", label, ref, fld, value)

    async def atomic_read(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_read (include/asm-generic/atomic.h)."""
        return int(await self.port.call("atomic_read", label, ref, fld))

    async def atomic_inc(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_inc; on a refcount at 0 it is a resurrection (INV-REF-2)."""
        return int(await self.port.call("atomic_inc", label, ref, fld))

    async def atomic_dec(self, label: str, ref: Ref, fld: str) -> int:
        """atomic_dec; below 0 on a refcount is INV-REF-1."""
        return int(await self.port.call("atomic_dec", label, ref, fld))

    async def atomic_inc_not_zero(self, label: str, ref: Ref, fld: str) -> bool:
        """atomic_inc_not_zero (e.g. 3.0.1 mm/rmap.c:437 page_lock_anon_vma slow path)."""
        return bool(await self.port.call("atomic_inc_not_zero", label, ref, fld))

    async def atomic_dec_and_test(self, label: str, ref: Ref, fld: str) -> bool:
        """atomic_dec_and_test (put_anon_vma, iput's atomic_dec_and_lock)."""
        return bool(await self.port.call("atomic_dec_and_test", label, ref, fld))

    async def cmpxchg(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        """cmpxchg(&obj->field, old, new) (arch cmpxchg): the value found; stored iff it was
        ``old``."""
        return await self.port.call("cmpxchg", label, ref, fld, old, new)

    async def test_and_set_bit(self, label: str, ref: Ref, fld: str, bit: int) -> bool:
        """test_and_set_bit / test_and_set_bit_lock (include/asm-generic/bitops)."""
        return bool(await self.port.call("test_and_set_bit", label, ref, fld, bit))

    async def clear_bit(self, label: str, ref: Ref, fld: str, bit: int) -> None:
        """clear_bit / clear_bit_unlock."""
        await self.port.call("clear_bit", label, ref, fld, bit)

    async def wait_for_completion(self, label: str, ref: Ref) -> None:
        """wait_for_completion (kernel/sched/completion.c): sleeps until complete()."""
        await self.port.call("wait_for_completion", label, ref)

    async def complete(self, label: str, ref: Ref, all_waiters: bool = False) -> None:
        """complete / complete_all (kernel/sched/completion.c)."""
        await self.port.call("complete", label, ref, all_waiters)

    async def commit(self, label: str, ref: Ref, what: str) -> None:
        """The actor acts on a pointer it loaded earlier (emulator notion: INV-ID-1 if the
        object was reallocated since)."""
        await self.port.call("commit", label, ref, what)

    async def begin(self, label: str, name: str) -> None:
        """Opens a kernel operation (emulator bracket: INV-LOCK-2 at its end)."""
        await self.port.call("begin", label, name)

    async def end(self, label: str, name: str) -> None:
        """Closes a kernel operation: a lock taken inside and still held is INV-LOCK-2."""
        await self.port.call("end", label, name)

    async def might_sleep(self, label: str, what: str) -> None:
        """might_sleep() (3.0.1 kernel/sched.c:8196 __might_sleep): INV-RCU-1 in RCU or under a
        spinlock."""
        await self.port.call("might_sleep", label, what)

    async def retry(self, label: str, detail: str = "") -> None:
        """`goto again` / `goto repeat`: INV-LIVE-1 when nothing another actor wrote changes."""
        await self.port.call("retry", label, detail)

    async def report(self, label: str, oracle: str, message: str) -> None:
        """A scenario-level oracle decided in actor code."""
        await self.port.call("report", label, oracle, message)

    async def note(self, label: str, what: str, value: Any = None) -> Any:
        """A labelled local event (no shared state)."""
        return await self.port.call("note", label, what, value)

    # -- locks (actors/model/locks.py) -------------------------------------------------------------
    async def trylock_page(self, label: str, page: Ref) -> bool:
        """trylock_page: test_and_set_bit_lock(PG_locked) (include/linux/pagemap.h)."""
        return bool(await self.port.call("trylock_page", label, page))

    async def lock_page(self, label: str, page: Ref) -> None:
        """lock_page / __lock_page (3.0.1 mm/filemap.c __wait_on_bit_lock; 5.9.1
        wait_on_page_bit_common EXCLUSIVE); wake-up rules per ModelOptions.page_lock_policy."""
        await self.port.call("lock_page", label, page)

    async def wait_on_page_locked(self, label: str, page: Ref) -> None:
        """wait_on_page_locked: sleep until the page is unlocked, without taking the lock
        (3.0.1 include/linux/pagemap.h wait_on_page_locked -> wait_on_page_bit; 5.9.1
        mm/filemap.c wait_on_page_bit_common, SHARED)."""
        await self.port.call("wait_on_page_locked", label, page)

    async def page_lock_to_io(self, label: str, page: Ref) -> None:
        """submit_bio with the page locked: the actor named "IO" completes it (end_page_read /
        end_page_writeback, then unlock_page) and may set the page's flags meanwhile."""
        await self.port.call("page_lock_to_io", label, page)

    async def unlock_page(self, label: str, page: Ref) -> None:
        """unlock_page: clear PG_locked, wake_up_page (3.0.1 mm/filemap.c:617; 5.9.1 :1439 with the
        hand-off of 2a9127fcf229)."""
        await self.port.call("unlock_page", label, page)

    async def page_locked(self, label: str, page: Ref) -> bool:
        """PageLocked(page)."""
        return bool(await self.port.call("page_locked", label, page))

    async def mutex_trylock(self, label: str, ref: Ref) -> bool:
        """mutex_trylock (3.0.1 kernel/mutex.c:466)."""
        return bool(await self.port.call("mutex_trylock", label, ref))

    async def mutex_lock(self, label: str, ref: Ref) -> None:
        """mutex_lock (3.0.1 kernel/mutex.c:83, might_sleep); a woken waiter re-competes unless
        ModelOptions.mutex_policy is handoff."""
        await self.port.call("mutex_lock", label, ref)

    async def mutex_unlock(self, label: str, ref: Ref) -> None:
        """mutex_unlock (3.0.1 kernel/mutex.c:110, slow path :309-334: count := 1, wake
        the first waiter)."""
        await self.port.call("mutex_unlock", label, ref)

    async def mutex_is_locked(self, label: str, ref: Ref) -> bool:
        """mutex_is_locked (include/linux/mutex.h)."""
        return bool(await self.port.call("mutex_is_locked", label, ref))

    async def spin_lock(self, label: str, ref: Ref, name: str) -> None:
        """spin_lock (ticket lock, FIFO hand-over)."""
        await self.port.call("spin_lock", label, ref, name)

    async def spin_unlock(self, label: str, ref: Ref, name: str) -> None:
        """spin_unlock."""
        await self.port.call("spin_unlock", label, ref, name)

    async def mutex_trylock_via(self, label: str, ref: Ref, fld: str) -> tuple[bool, Ref]:
        """mutex_trylock(&obj->field->mutex) as ONE step (load and trylock together); split it (read
        + mutex_trylock) where the load can race."""
        r: tuple[bool, Ref] = await self.port.call("mutex_trylock_via", label, ref, fld)
        return r

    async def mutex_lock_via(self, label: str, ref: Ref, fld: str) -> Ref:
        """mutex_lock(&obj->field->mutex): the pointer is re-read at each call (3.0.1
        include/linux/rmap.h:106 anon_vma_lock)."""
        r: Ref = await self.port.call("mutex_lock_via", label, ref, fld)
        return r

    async def mutex_unlock_via(self, label: str, ref: Ref, fld: str) -> Ref:
        """mutex_unlock(&obj->field->mutex), re-reading the pointer (3.0.1 include/linux/rmap.h:111
        anon_vma_unlock)."""
        r: Ref = await self.port.call("mutex_unlock_via", label, ref, fld)
        return r

    async def mutex_is_locked_via(self, label: str, ref: Ref, fld: str) -> bool:
        """mutex_is_locked(&obj->field->mutex) (3.0.1 mm/rmap.c:85 anon_vma_free)."""
        return bool(await self.port.call("mutex_is_locked_via", label, ref, fld))

    # -- rcu (actors/model/rcu.py) -----------------------------------------------------------------
    async def rcu_read_lock(self, label: str) -> None:
        """rcu_read_lock (include/linux/rcupdate.h)."""
        await self.port.call("rcu_read_lock", label)

    async def rcu_read_unlock(self, label: str) -> None:
        """rcu_read_unlock."""
        await self.port.call("rcu_read_unlock", label)

    async def call_rcu(self, label: str, ref: Ref) -> None:
        """call_rcu: free after a grace period (fa0d7e3de6d6 for inodes)."""
        await self.port.call("call_rcu", label, ref)

    async def synchronize_rcu(self, label: str) -> None:
        """synchronize_rcu: sleeps until a grace period has ended."""
        await self.port.call("synchronize_rcu", label)

    async def gp_idle(self, label: str) -> None:
        """The RCU actor: wait for callbacks (kernel/rcutree.c of the era, abstracted)."""
        await self.port.call("gp_idle", label)

    async def gp_start(self, label: str) -> int:
        """The RCU actor: start a grace period."""
        return int(await self.port.call("gp_start", label))

    async def gp_wait(self, label: str) -> None:
        """The RCU actor: wait for the pre-existing readers."""
        await self.port.call("gp_wait", label)

    async def gp_end(self, label: str) -> int:
        """The RCU actor: end the grace period and run the callbacks."""
        return int(await self.port.call("gp_end", label))

    # -- pages (actors/model/pages.py) -------------------------------------------------------------
    async def get_page(self, label: str, page: Ref, holder: str) -> None:
        """get_page: a reference on a page the caller already holds (at 0 it is INV-REF-2)."""
        await self.port.call("get_page", label, page, holder)

    async def get_page_unless_zero(self, label: str, page: Ref, holder: str) -> bool:
        """get_page_unless_zero / page_cache_get_speculative (3.0.1 include/linux/pagemap.h:132):
        fails at 0; a reused page is pinned in its new life."""
        return bool(await self.port.call("get_page_unless_zero", label, page, holder))

    async def page_ref_freeze(self, label: str, page: Ref, count: int) -> bool:
        """page_ref_freeze (5.9.1 include/linux/page_ref.h; 3.0.1 page_freeze_refs):
        cmpxchg(_refcount, count, 0); speculative gets fail while frozen."""
        return bool(await self.port.call("page_ref_freeze", label, page, count))

    async def page_ref_unfreeze(self, label: str, page: Ref, count: int) -> None:
        """page_ref_unfreeze: _refcount := count (must match the holder ledger)."""
        await self.port.call("page_ref_unfreeze", label, page, count)

    async def put_page(self, label: str, page: Ref, holder: str) -> int:
        """put_page / page_cache_release: the last reference returns the page to the allocator."""
        return int(await self.port.call("put_page", label, page, holder))

    async def page_mapped(self, label: str, page: Ref) -> bool:
        """page_mapped(page): atomic_read(&page->_mapcount) >= 0."""
        return bool(await self.port.call("page_mapped", label, page))

    async def page_mapping(self, label: str, page: Ref) -> tuple[Ref | None, int]:
        """READ_ONCE(page->mapping) with its PAGE_MAPPING_ANON bit (3.0.1 mm/rmap.c:460)."""
        r: tuple[Ref | None, int] = await self.port.call("page_mapping", label, page)
        return r

    async def page_flag(self, label: str, page: Ref, flag: str) -> int:
        """PageUptodate/PageDirty/PageWriteback/PageSwapCache/... (include/linux/page-flags.h)."""
        return int(await self.port.call("page_flag", label, page, flag))

    async def set_page_flag(self, label: str, page: Ref, flag: str, value: int) -> None:
        """SetPage*/ClearPage*; uptodate and swapcache need the page lock (INV-LOCK-3)."""
        await self.port.call("set_page_flag", label, page, flag, value)

    async def alloc_page(self, label: str, ptype: str, holder: str) -> Ref:
        """alloc_page(GFP_HIGHUSER_MOVABLE) for a COW copy (do_wp_page / do_cow_fault)."""
        r: Ref = await self.port.call("alloc_page", label, ptype, holder)
        return r

    # -- mm (actors/model/mm.py) -------------------------------------------------------------------
    async def pte_read(self, label: str, mm: Ref, addr: int) -> tuple[Ref, int] | None:
        """The pte at an address (gup_get_pte / pte_offset_map, lockless)."""
        r: tuple[Ref, int] | None = await self.port.call("pte_read", label, mm, addr)
        return r

    async def pte_install(
        self, label: str, mm: Ref, addr: int, page: Ref, writable: int, holder: str
    ) -> bool:
        """set_pte_at under the pte lock, if the pte is still none (5.9.1 mm/memory.c alloc_set_pte;
        3.0.1 __do_fault)."""
        return bool(await self.port.call("pte_install", label, mm, addr, page, writable, holder))

    async def pte_zap(self, label: str, mm: Ref, addr: int) -> Ref | None:
        """ptep_clear_flush of one pte under the pte lock (zap_pte_range, try_to_unmap_one)."""
        r: Ref | None = await self.port.call("pte_zap", label, mm, addr)
        return r

    async def find_vma(self, label: str, mm: Ref, addr: int) -> Ref | None:
        """find_vma (mm/mmap.c), under mmap_sem."""
        r: Ref | None = await self.port.call("find_vma", label, mm, addr)
        return r

    async def gup_vma_info(self, label: str, vma: Ref) -> VmaInfo:
        """The vma fields GUP and faults read under mmap_sem (vm_flags, vm_start, vm_pgoff,
        vm_file)."""
        r: VmaInfo = await self.port.call("gup_vma_info", label, vma)
        return r

    async def gup_map_zero(self, label: str, mm: Ref, addr: int) -> bool:
        """do_anonymous_page for a read fault: map the ZERO_PAGE read-only (3.0.1
        mm/memory.c:3080)."""
        return bool(await self.port.call("gup_map_zero", label, mm, addr))

    async def detach_vmas_to_be_unmapped(self, label: str, mm: Ref, vma: Ref) -> None:
        """detach_vmas_to_be_unmapped (mm/mmap.c), mmap_sem held for writing."""
        await self.port.call("detach_vmas_to_be_unmapped", label, mm, vma)

    # -- cache (actors/model/pagecache.py) ---------------------------------------------------------
    async def tree_load(self, label: str, mapping: Ref, index: int) -> Ref | None:
        """radix_tree_lookup_slot + radix_tree_deref_slot / xas_load: a lockless slot read."""
        r: Ref | None = await self.port.call("tree_load", label, mapping, index)
        return r

    async def fault_lookup(self, label: str, mapping: Ref, index: int, holder: str) -> Ref | None:
        """find_get_page of 2.6.x: one step under read_lock(&mapping->tree_lock)."""
        r: Ref | None = await self.port.call("fault_lookup", label, mapping, index, holder)
        return r

    async def fault_lookup_from(
        self, label: str, mapping: Ref, start: int, holder: str
    ) -> tuple[int, Ref] | None:
        """find_get_pages from an index (pagevec_lookup), one page."""
        r: tuple[int, Ref] | None = await self.port.call(
            "fault_lookup_from", label, mapping, start, holder
        )
        return r

    async def inode_cache_indices(self, label: str, mapping: Ref) -> tuple[int, ...]:
        """The indices of the cached pages (pagevec_lookup over the mapping)."""
        r: tuple[int, ...] = await self.port.call("inode_cache_indices", label, mapping)
        return r

    async def add_to_page_cache_locked(
        self, label: str, mapping: Ref, index: int, holder: str
    ) -> Ref | None:
        """page_cache_alloc + add_to_page_cache_locked (mm/filemap.c): new, locked, not uptodate."""
        r: Ref | None = await self.port.call(
            "add_to_page_cache_locked", label, mapping, index, holder
        )
        return r

    async def add_to_page_cache_lru(
        self, label: str, mapping: Ref, index: int, holder: str
    ) -> Ref | None:
        """page_cache_alloc + add_to_page_cache_lru + a read that completes at once."""
        r: Ref | None = await self.port.call("add_to_page_cache_lru", label, mapping, index, holder)
        return r

    async def delete_from_page_cache(self, label: str, page: Ref) -> None:
        """__delete_from_page_cache (3.0.1 mm/filemap.c:118): page locked, tree lock."""
        await self.port.call("delete_from_page_cache", label, page)

    async def cache_remove(self, label: str, page: Ref, reason: str) -> None:
        """__delete_from_page_cache by truncate, eviction or invalidation (remembers why)."""
        await self.port.call("cache_remove", label, page, reason)

    # -- truncate (actors/model/truncate.py) -------------------------------------------------------
    async def i_size_read(self, label: str, inode: Ref) -> int:
        """i_size_read (include/linux/fs.h)."""
        return int(await self.port.call("i_size_read", label, inode))

    async def i_size_write(self, label: str, inode: Ref, size: int) -> None:
        """i_size_write (truncate_setsize)."""
        await self.port.call("i_size_write", label, inode, size)

    async def trunc_vmas(self, label: str, mapping: Ref) -> tuple[Span, ...]:
        """vma_prio_tree / interval tree walk of mapping->i_mmap under i_mmap_lock."""
        r: tuple[Span, ...] = await self.port.call("trunc_vmas", label, mapping)
        return r

    async def zap_page_range(
        self, label: str, mm: Ref, start: int, end: int, check_mapping: int | None
    ) -> int:
        """zap_page_range / unmap_mapping_range_vma over one vma span (mm/memory.c)."""
        return int(await self.port.call("zap_page_range", label, mm, start, end, check_mapping))

    async def truncate_complete_page(
        self, label: str, page: Ref, why: str, fail_if_dirty: bool
    ) -> bool:
        """truncate_complete_page (3.0.1 mm/truncate.c:100): -EIO if page->mapping changed."""
        return bool(await self.port.call("truncate_complete_page", label, page, why, fail_if_dirty))

    async def trunc_done(self, label: str, mapping: Ref, first: int) -> None:
        """truncate_pagecache's return: INV-EOF-1 is armed (d00806b18315's guarantee)."""
        await self.port.call("trunc_done", label, mapping, first)

    async def trunc_invalidate_done(self, label: str, mapping: Ref, ok: bool) -> None:
        """invalidate_inode_pages2's return: INV-INVAL-1 is armed."""
        await self.port.call("trunc_invalidate_done", label, mapping, ok)

    # -- anon (actors/model/anon.py) ---------------------------------------------------------------
    async def anon_vma_alloc(self, label: str) -> Ref:
        """anon_vma_alloc (2.6.39.3 mm/rmap.c:80): kmem_cache_alloc from a SLAB_DESTROY_BY_RCU
        cache; refcount 1, root self."""
        r: Ref = await self.port.call("anon_vma_alloc", label)
        return r

    async def kmem_cache_free(self, label: str, av: Ref) -> None:
        """kmem_cache_free(anon_vma_cachep): the object is reusable at once (type-safe)."""
        await self.port.call("kmem_cache_free", label, av)

    async def anon_vma_chain_link(self, label: str, av: Ref, vma: Ref) -> None:
        """anon_vma_chain_link under the root lock (3.0.1 mm/rmap.c:228)."""
        await self.port.call("anon_vma_chain_link", label, av, vma)

    async def avc_unlink(self, label: str, av: Ref, vma: Ref) -> bool:
        """unlink_anon_vmas' list_del under the root lock (3.0.1 mm/rmap.c:330)."""
        return bool(await self.port.call("avc_unlink", label, av, vma))

    async def avc_walk(self, label: str, av: Ref) -> tuple[int, ...]:
        """The rmap walk of an anon_vma's chain under its root lock (rmap_walk_anon,
        try_to_unmap_anon)."""
        r: tuple[int, ...] = await self.port.call("avc_walk", label, av)
        return r

    async def page_add_anon_rmap(self, label: str, page: Ref, av: Ref) -> None:
        """__page_set_anon_rmap: page->mapping = anon_vma | PAGE_MAPPING_ANON."""
        await self.port.call("page_add_anon_rmap", label, page, av)

    # -- inodes (actors/model/inodes.py) -----------------------------------------------------------
    async def ihold(self, label: str, inode: Ref) -> int:
        """ihold (3.0.1 fs/inode.c:332): WARN_ON(atomic_inc_return(&inode->i_count) < 2), no
        I_FREEING test."""
        return int(await self.port.call("ihold", label, inode))

    async def inode_inc_not_zero(self, label: str, inode: Ref) -> bool:
        """atomic_inc_not_zero(&inode->i_count) (65d8fc777f6d, 4.6 kernel/futex.c)."""
        return bool(await self.port.call("inode_inc_not_zero", label, inode))

    async def inode_iput_dec(self, label: str, inode: Ref) -> int:
        """iput's atomic_dec_and_lock(&inode->i_count, &inode->i_lock) (3.0.1 fs/inode.c:1372)."""
        return int(await self.port.call("inode_iput_dec", label, inode))

    async def iput_final(self, label: str, inode: Ref) -> bool:
        """iput_final: an unlinked inode gets I_FREEING and is evicted (3.0.1 fs/inode.c:1326)."""
        return bool(await self.port.call("iput_final", label, inode))

    async def destroy_inode(self, label: str, inode: Ref) -> None:
        """destroy_inode -> call_rcu(i_callback) (3.0.1 fs/inode.c:270)."""
        await self.port.call("destroy_inode", label, inode)

    async def alloc_inode(self, label: str, size: int, nlink: int) -> Ref:
        """alloc_inode (fs/inode.c): may reuse memory RCU has freed."""
        r: Ref = await self.port.call("alloc_inode", label, size, nlink)
        return r

    # -- shmem (actors/model/shmem.py) -------------------------------------------------------------
    async def get_swap_page(self, label: str, page: Ref) -> int:
        """get_swap_page (mm/swapfile.c), in shmem_writepage."""
        return int(await self.port.call("get_swap_page", label, page))

    async def add_to_swap_cache(self, label: str, page: Ref, entry: int) -> None:
        """add_to_swap_cache (mm/swap_state.c): PG_swapcache, private = entry."""
        await self.port.call("add_to_swap_cache", label, page, entry)

    async def shmem_swap_out(self, label: str, page: Ref) -> None:
        """shmem_writepage's swap-out of the slot: page->mapping = NULL (3.0.1 mm/shmem.c)."""
        await self.port.call("shmem_swap_out", label, page)

    async def swap_writepage(self, label: str, page: Ref) -> None:
        """swap_writepage (mm/page_io.c): writeback set, bio submitted."""
        await self.port.call("swap_writepage", label, page)

    async def swap_io_wait(self, label: str) -> Ref:
        """The IO actor: next swap write in flight."""
        r: Ref = await self.port.call("swap_io_wait", label)
        return r

    async def swap_io_done(self, label: str, page: Ref) -> None:
        """end_swap_bio_write: end_page_writeback + unlock_page."""
        await self.port.call("swap_io_done", label, page)

    async def find_get_entry(self, label: str, mapping: Ref, index: int) -> tuple[str, Any]:
        """find_get_entry / shmem's radix-tree lookup: a page or a swap entry."""
        r: tuple[str, Any] = await self.port.call("find_get_entry", label, mapping, index)
        return r

    async def lookup_swap_cache(self, label: str, entry: int, holder: str) -> Ref | None:
        """lookup_swap_cache (mm/swap_state.c)."""
        r: Ref | None = await self.port.call("lookup_swap_cache", label, entry, holder)
        return r

    async def swap_confirm(self, label: str, page: Ref, mapping: Ref, index: int) -> bool:
        """shmem_getpage's re-check under the page lock: still the swap entry the slot holds."""
        return bool(await self.port.call("swap_confirm", label, page, mapping, index))

    async def shmem_add_to_page_cache(
        self, label: str, page: Ref, mapping: Ref, index: int
    ) -> None:
        """shmem_add_to_page_cache: the same struct page back into the shmem slot."""
        await self.port.call("shmem_add_to_page_cache", label, page, mapping, index)

    async def delete_from_swap_cache(self, label: str, page: Ref) -> None:
        """delete_from_swap_cache (mm/swap_state.c)."""
        await self.port.call("delete_from_swap_cache", label, page)

    async def reclaim_rmap(self, label: str, page: Ref) -> tuple[tuple[Ref, int], ...]:
        """rmap_walk_file's vma list (page_mapped_in_vma) for try_to_unmap."""
        r: tuple[tuple[Ref, int], ...] = await self.port.call("reclaim_rmap", label, page)
        return r

    async def reclaim_pageout_ok(self, label: str, page: Ref) -> bool:
        """shrink_page_list's checks before pageout(): unmapped, not swap cache, not writeback,
        is_page_cache_freeable (3.0.1 mm/vmscan.c:336, :418)."""
        return bool(await self.port.call("reclaim_pageout_ok", label, page))

    async def drop_invalidatable(self, label: str, page: Ref, mapping: Ref) -> bool:
        """invalidate_mapping_pages' tests (3.0.1 mm/truncate.c:332): not dirty, not writeback, not
        mapped."""
        return bool(await self.port.call("drop_invalidatable", label, page, mapping))

    async def remove_mapping(self, label: str, page: Ref, holder: str, freeze: bool) -> bool:
        """remove_mapping / __remove_mapping with page_ref_freeze(page, 2) (3.0.1 mm/vmscan.c:484
        page_freeze_refs)."""
        return bool(await self.port.call("remove_mapping", label, page, holder, freeze))

    # -- futex (actors/model/futex.py) -------------------------------------------------------------
    async def futex_key_inode(self, label: str, inode: Ref, page: Ref) -> int:
        """get_futex_key's shared key (inode, index) (3.0.1 kernel/futex.c:232, :324)."""
        return int(await self.port.call("futex_key_inode", label, inode, page))

    async def futex_key_mm(self, label: str, mm: Ref, addr: int) -> int:
        """get_futex_key's private key (mm, address)."""
        return int(await self.port.call("futex_key_mm", label, mm, addr))

    async def futex_key_drop(self, label: str, key: int) -> Ref | None:
        """put_futex_key -> drop_futex_key_refs (iput for an inode key)."""
        r: Ref | None = await self.port.call("futex_key_drop", label, key)
        return r

    async def futex_efault(self, label: str, mm: Ref, addr: int, page: Ref | None) -> None:
        """get_futex_key returning -EFAULT (INV-FUTEX-3 unless the kernel allows it)."""
        await self.port.call("futex_efault", label, mm, addr, page)

    # -- fuse (actors/model/fuse.py) ---------------------------------------------------------------
    async def fuse_send(self, label: str, kind: str, arg: Any) -> int:
        """fuse_simple_request, first half: queue and wake the daemon (5.9.1 fs/fuse/dev.c)."""
        return int(await self.port.call("fuse_send", label, kind, arg))

    async def fuse_wait(self, label: str, req: int) -> Any:
        """request_wait_answer (5.9.1 fs/fuse/dev.c)."""
        return await self.port.call("fuse_wait", label, req)

    async def fuse_dev_read(self, label: str) -> tuple[int, str, Any]:
        """The daemon's read(/dev/fuse) (fuse_dev_do_read)."""
        r: tuple[int, str, Any] = await self.port.call("fuse_dev_read", label)
        return r

    async def fuse_dev_write(self, label: str, req: int, result: Any) -> None:
        """The daemon's reply (fuse_dev_do_write -> request_end)."""
        await self.port.call("fuse_dev_write", label, req, result)

    # -- memory modes (actors/model/memory.py): weak locations, barriers, ordered atomics -------
    # On a weak location the generic read / write / atomic_* above and page_mapped go through
    # the run's memory model too; these are the primitives they do not cover.
    async def read_once(self, label: str, ref: Ref, fld: str) -> Any:
        return await self.port.call("read_once", label, ref, fld)

    async def write_once(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        await self.port.call("write_once", label, ref, fld, value)

    async def smp_load_acquire(self, label: str, ref: Ref, fld: str) -> Any:
        return await self.port.call("smp_load_acquire", label, ref, fld)

    async def smp_store_release(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        await self.port.call("smp_store_release", label, ref, fld, value)

    async def rcu_dereference(self, label: str, ref: Ref, fld: str) -> Any:
        return await self.port.call("rcu_dereference", label, ref, fld)

    async def rcu_assign_pointer(self, label: str, ref: Ref, fld: str, value: Any) -> None:
        await self.port.call("rcu_assign_pointer", label, ref, fld, value)

    async def smp_mb(self, label: str) -> None:
        await self.port.call("smp_mb", label)

    async def smp_rmb(self, label: str) -> None:
        await self.port.call("smp_rmb", label)

    async def smp_wmb(self, label: str) -> None:
        await self.port.call("smp_wmb", label)

    async def smp_mb__before_atomic(self, label: str) -> None:
        await self.port.call("smp_mb__before_atomic", label)

    async def smp_mb__after_atomic(self, label: str) -> None:
        await self.port.call("smp_mb__after_atomic", label)

    async def smp_mb__after_spinlock(self, label: str) -> None:
        await self.port.call("smp_mb__after_spinlock", label)

    async def atomic_set(self, label: str, ref: Ref, fld: str, value: int) -> None:
        await self.port.call("atomic_set", label, ref, fld, value)

    async def atomic_inc_return(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic_inc_return", label, ref, fld))

    async def atomic_inc_return_acquire(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic_inc_return_acquire", label, ref, fld))

    async def atomic_inc_return_release(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic_inc_return_release", label, ref, fld))

    async def atomic_inc_return_relaxed(self, label: str, ref: Ref, fld: str) -> int:
        return int(await self.port.call("atomic_inc_return_relaxed", label, ref, fld))

    async def atomic_add_unless(self, label: str, ref: Ref, fld: str, a: int, u: int) -> bool:
        return bool(await self.port.call("atomic_add_unless", label, ref, fld, a, u))

    async def xchg(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        return await self.port.call("xchg", label, ref, fld, new)

    async def xchg_acquire(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        return await self.port.call("xchg_acquire", label, ref, fld, new)

    async def xchg_release(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        return await self.port.call("xchg_release", label, ref, fld, new)

    async def xchg_relaxed(self, label: str, ref: Ref, fld: str, new: Any) -> Any:
        return await self.port.call("xchg_relaxed", label, ref, fld, new)

    async def cmpxchg_acquire(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        return await self.port.call("cmpxchg_acquire", label, ref, fld, old, new)

    async def cmpxchg_release(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        return await self.port.call("cmpxchg_release", label, ref, fld, old, new)

    async def cmpxchg_relaxed(self, label: str, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        return await self.port.call("cmpxchg_relaxed", label, ref, fld, old, new)

    async def spin_trylock(self, label: str, ref: Ref, name: str) -> bool:
        return bool(await self.port.call("spin_trylock", label, ref, name))

    async def spin_is_locked(self, label: str, ref: Ref, name: str) -> bool:
        return bool(await self.port.call("spin_is_locked", label, ref, name))

    # -- futex hash bucket (actors/model/futex_hb.py) ----------------------------------------------
    async def futex_queue(self, label: str, hb: Ref, uaddr: Ref) -> None:
        await self.port.call("futex_queue", label, hb, uaddr)

    async def futex_schedule(self, label: str, hb: Ref) -> bool:
        return bool(await self.port.call("futex_schedule", label, hb))

    async def futex_wake_queued(self, label: str, hb: Ref, uaddr: Ref, nr: int) -> int:
        return int(await self.port.call("futex_wake_queued", label, hb, uaddr, nr))

    # -- ordered mapcount (actors/model/rmap_order.py) ---------------------------------------------
    async def set_pte_at(self, label: str, mm: Ref, addr: int, page: Ref, holder: str) -> bool:
        return bool(await self.port.call("set_pte_at", label, mm, addr, page, holder))

    # -- end of memory modes


Program = Callable[[K], Awaitable[None]]


def actor(name: str, program: Program, daemon: bool = False) -> ActorSpec:
    """Declare an actor: ``async def program(k: K)`` runs as actor ``name``. Daemons are kernel
    threads that loop forever; the run ends without them."""

    async def body(port: Port) -> None:
        await program(K(port))

    return ActorSpec(name, body, daemon)
