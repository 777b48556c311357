"""Futex keys and the futex oracles INV-FUTEX-1/2/3 (kernel-scenarios.md 1.3, 4; threads 000
and 001).

A shared futex on a file or shmem mapping is keyed by (inode, page index) and the key pins the
inode with one ``i_count`` reference for as long as it lives (INV-FUTEX-1; the check runs where
the inode could die: i_count reaching zero and destroy_inode). A private anonymous futex is keyed
by (mm, address). INV-FUTEX-2 (resurrection by ihold) lives in actors/inode.py.

INV-FUTEX-3 is decided when get_futex_key returns -EFAULT, from the state of the address and of
the page the key was being built from (still pinned by the caller at that step): failing is right
for an address with no vma, the ZERO_PAGE, a gate-area or special page, a read-only anonymous
page, and a page that truncation, invalidate2 or eviction took out of its file. It is wrong for a
page that is still in its mapping, one sitting in swap cache (shmem swap-out, e6780f7243ed), or
one that drop_caches removed while the futex held a reference (S001: "Someone doing an echo to
/proc/sys/vm/drop_caches at the wrong moment causing this futex path to fail?").
"""

from __future__ import annotations

from actors.inode import I_FREEING, REMOVED_BY
from actors.objects import LIVE, SPECIAL, ZERO, Obj
from actors.shmem import ShmemMixin
from actors.state import Ref
from emulator.engine.violations import Violation

# Ways a page can lose its mapping that must never fail a valid futex.
SPURIOUS_REMOVALS = ("swapout", "drop_caches")


class FutexMixin(ShmemMixin):
    """Builds on inodes (key pins) and shmem (PG_swapcache decides INV-FUTEX-3)."""

    def __init__(self) -> None:
        super().__init__()
        self.futex_keys: dict[int, Obj] = {}  # live keys by oid, in creation order

    def inode_key_users(self, inode_oid: int) -> list[str]:
        return [
            f"{k.name()} of {self.names[k.f['owner']]}"
            for k in self.futex_keys.values()
            if k.f["inode"] == inode_oid
        ]

    # -- keys --------------------------------------------------------------------------------

    def op_futex_key_inode(self, actor: int, inode: Ref, page: Ref) -> int:
        """key->shared = (inode, page->index): the caller already took the key's i_count
        reference (ihold under the page lock, or atomic_inc_not_zero under RCU)."""
        o = self.deref(actor, inode)
        p = self.deref(actor, page)
        if o.state != LIVE or o.f["i_count"] <= 0 or o.f["i_state"] == I_FREEING:
            raise Violation(
                "INV-FUTEX-1",
                f"futex key outlives inode {o.name()}: key built on an inode that is "
                f"{o.f['i_state'] or o.state} with i_count {o.f['i_count']}",
            )
        key = self.new(
            "futex_key", {"inode": o.oid, "mm": None, "index": p.f["index"], "owner": actor}
        )
        self.futex_keys[key.oid] = key
        return key.oid

    def op_futex_key_mm(self, actor: int, mm: Ref, addr: int) -> int:
        """key->private = (mm, address) for an anonymous page (mm_count pin not modelled)."""
        self.deref(actor, mm)
        key = self.new("futex_key", {"inode": None, "mm": mm[0], "index": addr, "owner": actor})
        self.futex_keys[key.oid] = key
        return key.oid

    def op_futex_key_drop(self, actor: int, key: int) -> Ref | None:
        """put_futex_key, first half: the key dies; returns the inode whose reference the
        caller must now iput (None for an mm key)."""
        k = self.futex_keys.pop(key)
        inode = k.f["inode"]
        if inode is None:
            return None
        return (inode, self.objs[inode].gen)

    # -- INV-FUTEX-3 -------------------------------------------------------------------------

    def op_futex_efault(self, actor: int, mm: Ref, addr: int, page: Ref | None) -> None:
        """get_futex_key is about to return -EFAULT having examined ``page`` (None: gup
        failed). Raise INV-FUTEX-3 unless the failure is one the kernel allows."""
        why = self._spurious_efault(self.deref(actor, mm), addr, page)
        if why is not None:
            raise Violation("INV-FUTEX-3", f"spurious EFAULT at {addr:#x}: {why}")

    def _spurious_efault(self, m: Obj, addr: int, page: Ref | None) -> str | None:
        if self.vma_at(m, addr) is None or page is None:
            return None  # munmapped, or gup itself refused the access (no page to blame)
        p = self.objs[page[0]]
        f = p.f
        if f["ptype"] in (ZERO, SPECIAL) or f["anon"]:
            return None
        if f["swapcache"]:
            return f"page {p.name()} is in swap cache (shmem swap-out)"
        if f["mapping"] is not None:
            return f"page {p.name()} is still in {self.objs[f['mapping']].name()}"
        reason = f.get(REMOVED_BY)
        if reason in SPURIOUS_REMOVALS:
            return f"page {p.name()} lost its mapping to {reason} while pinned"
        return None
