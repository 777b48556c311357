"""Inodes: ``i_count`` and its three ways up (ihold, igrab, atomic_inc_not_zero), the last
``iput`` of an unlinked inode (E1-E5) ending in ``call_rcu`` (kernel-scenarios.md 1.3 and the
"iput" sequence of 2.4), and page-cache removal that remembers *why* a page lost its mapping.

The inode and its embedded ``i_data`` are two objects of the model; eviction frees both through
``call_rcu`` (fa0d7e3de6d6 "fs: icache RCU free inodes"). The inode slab is not typesafe: once the
grace period has ended, any access through an old pointer is INV-UAF-2.

Why a page left the cache matters to INV-FUTEX-3: truncation, invalidate2 and eviction are
legitimate reasons for get_futex_key to fail, shmem swap-out and drop_caches are not (S001,
e6780f7243ed). ``op_cache_remove`` records the reason on the page; pages removed by code that does
not say (``delete_from_page_cache``) count as truncated.
"""

from __future__ import annotations

from actors.kfutex import KF
from actors.mm import MmMixin
from actors.objects import Obj
from actors.pgcache import find_get_page
from actors.rcu import RcuMixin
from actors.state import Ref
from emulator.engine.violations import Violation

I_FREEING = "I_FREEING"

# Reasons a page may leave its mapping; the futex oracle knows which ones may fail a futex.
REMOVED_BY = "removed_by"


class InodeMixin(MmMixin, RcuMixin):
    def __init__(self) -> None:
        super().__init__()
        # ihold on a zero-count inode: the kernel only WARNs; the model fails the run with
        # INV-FUTEX-2 unless a scenario asks to go on and see what follows (000b "onward").
        self.strict_ihold = True
        self.warnings: list[str] = []

    # -- hooks -----------------------------------------------------------------------------

    def inode_key_users(self, inode_oid: int) -> list[str]:
        """Names of live objects that rely on the inode staying alive (futex keys)."""
        return []

    def _check_unpinned(self, o: Obj, event: str) -> None:
        users = self.inode_key_users(o.oid)
        if users:
            raise Violation(
                "INV-FUTEX-1",
                f"futex key outlives inode {o.name()}: {event} while {', '.join(users)} "
                f"still references it",
            )

    # -- i_count up ------------------------------------------------------------------------

    def op_inode_ihold(self, actor: int, inode: Ref) -> int:
        """ihold(): i_count++; the caller must already own a reference."""
        o = self.deref(actor, inode)
        c: int = o.f["i_count"]
        if c == 0:
            state = o.f["i_state"] or "unused"
            msg = f"inode {o.name()} resurrected by {self._label}: ihold at i_count 0 ({state})"
            if self.strict_ihold:
                raise Violation("INV-FUTEX-2", msg)
            self.warnings.append(msg)  # WARN_ON(atomic_inc_return(&inode->i_count) < 2)
        self.set(o, "i_count", c + 1)
        return c + 1

    def op_inode_inc_not_zero(self, actor: int, inode: Ref) -> bool:
        """atomic_inc_not_zero(&inode->i_count): the lockless pin of 65d8fc777f6d."""
        o = self.deref(actor, inode)
        c: int = o.f["i_count"]
        if c == 0:
            return False
        self.set(o, "i_count", c + 1)
        return True

    # -- i_count down: iput (E1-E5) ----------------------------------------------------------

    def op_inode_iput_dec(self, actor: int, inode: Ref) -> int:
        """E1 atomic_dec_and_lock(&i_count, &i_lock): the new count; at 0 the caller goes on
        to iput_final with i_lock held (the steps that follow are single i_lock sections)."""
        o = self.deref(actor, inode)
        c: int = o.f["i_count"]
        if c <= 0:
            raise Violation("INV-REF-1", f"refcount underflow on {o.gname()} (i_count)")
        self.set(o, "i_count", c - 1)
        if c == 1:
            self._check_unpinned(o, "i_count dropped to 0")
        return c - 1

    def op_inode_iput_final(self, actor: int, inode: Ref) -> bool:
        """E2/E3 under i_lock: an inode that still has links stays cached with i_count 0; an
        unlinked one is marked I_FREEING and evicted. Like the kernel, eviction does not look
        at i_count again: whoever raised it meanwhile without igrab is not noticed here."""
        o = self.deref(actor, inode)
        if o.f["nlink"] > 0:
            return False
        self.set(o, "i_state", I_FREEING)
        return True

    def op_inode_cache_indices(self, actor: int, mapping: Ref) -> tuple[int, ...]:
        """E4 pagevec_lookup: the indices present in the cache, in index order."""
        m = self.deref(actor, mapping)
        return tuple(sorted(m.f["tree"]))

    def op_inode_destroy(self, actor: int, inode: Ref) -> None:
        """E5 destroy_inode -> call_rcu(i_callback): the inode and its i_data stay readable by
        RCU readers until the grace period ends, then are FREE and reusable by any inode."""
        o = self.deref(actor, inode)
        self._check_unpinned(o, "destroy_inode")
        m = self.objs[o.f["i_mapping"]]
        self.op_call_rcu(actor, self.ref(m))
        self.op_call_rcu(actor, inode)

    def op_inode_alloc(self, actor: int, size: int, nlink: int) -> Ref:
        """alloc_inode for another file: may hand back the memory of an inode freed by RCU."""
        inode = self.alloc(
            "inode",
            {"i_count": 1, "i_state": "", "nlink": nlink, "i_size": size, "i_mapping": None},
        )
        mapping = self.alloc(
            "address_space", {"host": inode.oid, "tree": {}, "nrpages": 0, "i_mmap": []}
        )
        inode.f["i_mapping"] = mapping.oid
        return self.ref(inode)

    # -- page-cache removal with a reason ----------------------------------------------------

    def op_cache_remove(self, actor: int, page: Ref, reason: str) -> None:
        """__delete_from_page_cache (page locked, tree lock) by truncate, eviction or
        invalidation, remembering why the page lost its mapping."""
        self.op_delete_from_page_cache(actor, page)
        self.objs[page[0]].f[REMOVED_BY] = reason


# -- actor-side routines -------------------------------------------------------------------


async def close_file(k: KF, inode: Ref) -> None:
    """close() of the last file descriptor: fput -> dput -> iput of the file's reference."""
    await k.begin("CL0", "close")
    await iput(k, inode)
    await k.end("CL9", "close")


async def iput(k: KF, inode: Ref) -> None:
    """iput: the last reference to an unlinked inode evicts it (E1-E5)."""
    if await k.iput_dec("E1", inode) != 0:
        return
    if not await k.iput_final("E3", inode):
        return
    await evict(k, inode)


async def evict(k: KF, inode: Ref) -> None:
    mapping: Ref = await k.read("E4", inode, "i_mapping")
    await truncate_inode_pages_final(k, mapping)
    await k.destroy_inode("E5", inode)


async def truncate_inode_pages_final(k: KF, mapping: Ref) -> None:
    """E4: truncate every cached page (T2a-T2f under the page lock). Nothing maps the file
    any more (the last vma pinned the inode), so no unmapping is needed."""
    holder = f"evict:{k.name}"
    for index in await k.cache_indices("E4", mapping):
        page = await find_get_page(k, mapping, index, holder)
        if page is None:
            continue
        await k.lock_page("T2a", page)
        m, _anon = await k.page_mapping("T2b", page)
        if m == mapping:
            await k.cache_remove("T2e", page, "evict")
        await k.unlock_page("T2f", page)
        await k.put_page("T2f", page, holder)
