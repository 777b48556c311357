"""Inodes: ``i_count`` and its ways up (ihold, atomic_inc_not_zero), the last ``iput`` of an
unlinked inode (E1-E5) ending in ``call_rcu`` (kernel-scenarios.md 1.3 and the "iput" sequence
of 2.4), and alloc_inode for another file.

The inode and its embedded ``i_data`` are two objects of the model; eviction frees both through
``call_rcu`` (fa0d7e3de6d6 "fs: icache RCU free inodes"). The inode slab is not typesafe: once the
grace period has ended, any access through an old pointer is INV-UAF-2.

INV-FUTEX-1 is checked where an inode could die; who still relies on it is asked through the
``key_users`` hook (the futex keys: actors/model/futex.py).
"""

from __future__ import annotations

from collections.abc import Callable

from actors.model.core import Core, Step
from actors.model.ops import op
from actors.model.options import ModelOptions
from actors.model.rcu import Rcu
from actors.objects import Obj, Ref
from emulator.engine.violations import Violation

I_FREEING = "I_FREEING"


def no_users(inode_oid: int) -> list[str]:
    return []


class Inodes:
    def __init__(self, core: Core, rcu: Rcu, options: ModelOptions) -> None:
        self.core = core
        self.rcu = rcu
        self.strict_ihold = options.strict_ihold
        self.warnings: list[str] = []
        # Names of live objects that rely on the inode staying alive (futex keys).
        self.key_users: Callable[[int], list[str]] = no_users

    def _check_unpinned(self, o: Obj, event: str) -> None:
        users = self.key_users(o.oid)
        if users:
            raise Violation(
                "INV-FUTEX-1",
                f"futex key outlives inode {o.name()}: {event} while {', '.join(users)} "
                f"still references it",
            )

    # -- i_count up ------------------------------------------------------------------------

    @op
    def ihold(self, cx: Step, inode: Ref) -> int:
        """ihold(): i_count++; the caller must already own a reference."""
        o = self.core.deref(cx, inode)
        c: int = o.f["i_count"]
        if c == 0:
            state = o.f["i_state"] or "unused"
            msg = f"inode {o.name()} resurrected by {cx.label}: ihold at i_count 0 ({state})"
            if self.strict_ihold:
                raise Violation("INV-FUTEX-2", msg)
            self.warnings.append(msg)  # WARN_ON(atomic_inc_return(&inode->i_count) < 2)
        self.core.set(cx, o, "i_count", c + 1)
        return c + 1

    @op
    def inode_inc_not_zero(self, cx: Step, inode: Ref) -> bool:
        """atomic_inc_not_zero(&inode->i_count): the lockless pin of 65d8fc777f6d."""
        o = self.core.deref(cx, inode)
        c: int = o.f["i_count"]
        if c == 0:
            return False
        self.core.set(cx, o, "i_count", c + 1)
        return True

    # -- i_count down: iput (E1-E5) ----------------------------------------------------------

    @op
    def inode_iput_dec(self, cx: Step, inode: Ref) -> int:
        """E1 atomic_dec_and_lock(&i_count, &i_lock): the new count; at 0 the caller goes on
        to iput_final with i_lock held (the steps that follow are single i_lock sections)."""
        o = self.core.deref(cx, inode)
        c: int = o.f["i_count"]
        if c <= 0:
            raise Violation("INV-REF-1", f"refcount underflow on {o.gname()} (i_count)")
        self.core.set(cx, o, "i_count", c - 1)
        if c == 1:
            self._check_unpinned(o, "i_count dropped to 0")
        return c - 1

    @op
    def iput_final(self, cx: Step, inode: Ref) -> bool:
        """E2/E3 under i_lock: an inode that still has links stays cached with i_count 0; an
        unlinked one is marked I_FREEING and evicted. Like the kernel, eviction does not look
        at i_count again: whoever raised it meanwhile without igrab is not noticed here."""
        o = self.core.deref(cx, inode)
        if o.f["nlink"] > 0:
            return False
        self.core.set(cx, o, "i_state", I_FREEING)
        return True

    @op
    def destroy_inode(self, cx: Step, inode: Ref) -> None:
        """E5 destroy_inode -> call_rcu(i_callback): the inode and its i_data stay readable by
        RCU readers until the grace period ends, then are FREE and reusable by any inode."""
        o = self.core.deref(cx, inode)
        self._check_unpinned(o, "destroy_inode")
        m = self.core.objs[o.f["i_mapping"]]
        self.rcu.call_rcu(cx, self.core.ref(m))
        self.rcu.call_rcu(cx, inode)

    @op
    def alloc_inode(self, cx: Step, size: int, nlink: int) -> Ref:
        """alloc_inode for another file: may hand back the memory of an inode freed by RCU."""
        inode = self.core.alloc(
            cx,
            "inode",
            {"i_count": 1, "i_state": "", "nlink": nlink, "i_size": size, "i_mapping": None},
        )
        mapping = self.core.alloc(
            cx, "address_space", {"host": inode.oid, "tree": {}, "nrpages": 0, "i_mmap": []}
        )
        inode.f["i_mapping"] = mapping.oid
        return self.core.ref(inode)
