"""Futex keys and the futex oracles INV-FUTEX-1/3 (kernel-scenarios.md 1.3, 4; threads 000
and 001).

A shared futex on a file or shmem mapping is keyed by (inode, page index) and the key pins the
inode with one ``i_count`` reference for as long as it lives (INV-FUTEX-1; the check runs where
the inode could die: i_count reaching zero and destroy_inode, through ``Inodes.key_users``). A
private anonymous futex is keyed by (mm, address). INV-FUTEX-2 (resurrection by ihold) lives in
actors/model/inodes.py.

INV-FUTEX-3 is decided when get_futex_key returns -EFAULT, from the state of the address and of
the page the key was being built from (still pinned by the caller at that step): failing is right
for an address with no vma, the ZERO_PAGE, a gate-area or special page, a read-only anonymous
page, and a page that truncation, invalidate2 or eviction took out of its file. It is wrong for a
page that is still in its mapping, one sitting in swap cache (shmem swap-out, e6780f7243ed), or
one that drop_caches removed while the futex held a reference (S001: "Someone doing an echo to
/proc/sys/vm/drop_caches at the wrong moment causing this futex path to fail?").
"""

from __future__ import annotations

from actors.model.core import Core, Step
from actors.model.inodes import I_FREEING
from actors.model.mm import Mm
from actors.model.ops import op
from actors.model.pagecache import REMOVED_BY
from actors.objects import DRIVER, GATE, LIVE, SPECIAL, ZERO, Obj, Ref
from emulator.engine.violations import Violation

# Ways a page can lose its mapping that must never fail a valid futex.
SPURIOUS_REMOVALS = ("swapout", "drop_caches")


class Futex:
    def __init__(self, core: Core, mm: Mm) -> None:
        self.core = core
        self.mm = mm
        self.futex_keys: dict[int, Obj] = {}  # live keys by oid, in creation order

    def key_users(self, inode_oid: int) -> list[str]:
        return [
            f"{k.name()} of {self.core.names[k.f['owner']]}"
            for k in self.futex_keys.values()
            if k.f["inode"] == inode_oid
        ]

    # -- keys --------------------------------------------------------------------------------

    @op
    def futex_key_inode(self, cx: Step, inode: Ref, page: Ref) -> int:
        """key->shared = (inode, page->index): the caller already took the key's i_count
        reference (ihold under the page lock, or atomic_inc_not_zero under RCU)."""
        o = self.core.deref(cx, inode)
        p = self.core.deref(cx, page)
        if o.state != LIVE or o.f["i_count"] <= 0 or o.f["i_state"] == I_FREEING:
            raise Violation(
                "INV-FUTEX-1",
                f"futex key outlives inode {o.name()}: key built on an inode that is "
                f"{o.f['i_state'] or o.state} with i_count {o.f['i_count']}",
            )
        key = self.core.new(
            "futex_key",
            {"inode": o.oid, "mm": None, "index": p.f["index"], "owner": cx.actor},
        )
        self.futex_keys[key.oid] = key
        return key.oid

    @op
    def futex_key_mm(self, cx: Step, mm: Ref, addr: int) -> int:
        """key->private = (mm, address) for an anonymous page (mm_count pin not modelled)."""
        self.core.deref(cx, mm)
        key = self.core.new(
            "futex_key", {"inode": None, "mm": mm[0], "index": addr, "owner": cx.actor}
        )
        self.futex_keys[key.oid] = key
        return key.oid

    @op
    def futex_key_drop(self, cx: Step, key: int) -> Ref | None:
        """put_futex_key, first half: the key dies; returns the inode whose reference the
        caller must now iput (None for an mm key)."""
        k = self.futex_keys.pop(key)
        inode = k.f["inode"]
        if inode is None:
            return None
        return (inode, self.core.objs[inode].gen)

    # -- INV-FUTEX-3 -------------------------------------------------------------------------

    @op
    def futex_efault(self, cx: Step, mm: Ref, addr: int, page: Ref | None) -> None:
        """get_futex_key is about to return -EFAULT having examined ``page`` (None: gup
        failed). Raise INV-FUTEX-3 unless the failure is one the kernel allows."""
        why = self._spurious_efault(self.core.deref(cx, mm), addr, page)
        if why is not None:
            raise Violation("INV-FUTEX-3", f"spurious EFAULT at {addr:#x}: {why}")

    def _spurious_efault(self, m: Obj, addr: int, page: Ref | None) -> str | None:
        if self.mm.vma_at(m, addr) is None or page is None:
            return None  # munmapped, or gup itself refused the access (no page to blame)
        objs = self.core.objs
        p = objs[page[0]]
        f = p.f
        if f["ptype"] in (ZERO, SPECIAL, GATE, DRIVER) or f["anon"]:
            return None
        if f["swapcache"]:
            return f"page {p.name()} is in swap cache (shmem swap-out)"
        if f["mapping"] is not None:
            return f"page {p.name()} is still in {objs[f['mapping']].name()}"
        reason = f.get(REMOVED_BY)
        if reason in SPURIOUS_REMOVALS:
            return f"page {p.name()} lost its mapping to {reason} while pinned"
        return None
