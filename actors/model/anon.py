"""anon_vma objects on a SLAB_TYPESAFE_BY_RCU cache (kernel-scenarios.md 1.4, 2.4).

INV-AV-1 needs to know which actor committed to an anon_vma (returned it locked as a page's
anon_vma) and has not unlocked it yet: the model registers ``on_commit`` with the generic commit
step and ``unlocking`` / ``unlocked`` with every mutex unlock.

The lock INV-AV-1 watches is the one the kernel takes and anon_vma_free syncs on: the ROOT's.
From 2.6.36 (012f18004da3 "mm: always lock the root (oldest) anon_vma") anon_vma_lock() is
``spin_lock(&anon_vma->root->lock)`` (2.6.39.3 include/linux/rmap.h), then
``mutex_lock(&anon_vma->root->mutex)`` (3.0.1 include/linux/rmap.h:106), and 3.0.1
mm/rmap.c:85 anon_vma_free tests ``mutex_is_locked(&anon_vma->root->mutex)``; a forked child's
anon_vma never has its own lock taken (only a stale ->root load can reach it, 003a).
"""

from __future__ import annotations

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from actors.objects import Ref, anon_vma_fields
from emulator.engine.violations import Violation


class AnonVma:
    def __init__(self, core: Core, locks: Locks, reuse_diagnosis: bool = False) -> None:
        self.core = core
        self.locks = locks
        self.reuse_diagnosis = reuse_diagnosis
        # (actor, anon_vma oid) pairs an actor committed to and has not unlocked yet;
        # anon_vmas freed while a trylocker held their root lock: oid -> (actor, step, root oid).
        self.committed: dict[tuple[int, int], int] = {}
        self.freed_locked: dict[int, tuple[int, int, int]] = {}

    # -- hooks -------------------------------------------------------------------------------

    def on_commit(self, cx: Step, ref: Ref, what: str) -> None:
        if self.core.objs[ref[0]].kind == "anon_vma":
            self.used_after_locked_free(cx.actor, ref[0], f"used it ({what})")
            self.committed[(cx.actor, ref[0])] = cx.step

    def unlocking(self, actor: int, oid: int) -> None:
        self.committed.pop((actor, oid), None)

    def unlocked(self, oid: int) -> None:
        """``oid``'s mutex was released (or the lock reached through ``oid``'s root field)."""
        for av in [av for av, hit in self.freed_locked.items() if oid in (av, hit[2])]:
            del self.freed_locked[av]

    def used_after_locked_free(self, actor: int, oid: int, what: str) -> None:
        hit = self.freed_locked.get(oid)
        if hit is not None and hit[0] == actor:
            o = self.core.objs[oid]
            name = self.core.names[actor]
            raise Violation(
                "INV-AV-1",
                f"anon_vma {o.name()} was freed at step {hit[1]} while {name} held "
                f"its root lock (anon_vma#{hit[2]}); {name} then {what}",
            )

    # -- setup helper ------------------------------------------------------------------------

    def new_anon_vma(self, root: int | None = None) -> int:
        o = self.core.new("anon_vma", anon_vma_fields())
        o.f["root"] = o.oid if root is None else root
        o.f["refcount"] = 1
        return o.oid

    # -- steps -------------------------------------------------------------------------------

    @op
    def anon_vma_alloc(self, cx: Step) -> Ref:
        """anon_vma_alloc: the typesafe slab may hand back a just-freed object (gen + 1),
        refcount := 1, root := self. The lock is the constructor's and is not touched."""
        o = self.core.alloc(cx, "anon_vma", anon_vma_fields())
        o.f["root"] = o.oid
        o.f["refcount"] = 1
        self.core.wrote(cx, o, "root", o.oid)
        return (o.oid, o.gen)

    @op
    def kmem_cache_free(self, cx: Step, av: Ref) -> None:
        """kmem_cache_free(anon_vma_cachep): immediately reusable. INV-AV-1 if the object is
        still referenced or its ROOT's lock is held by an actor that holds it as a page's
        anon_vma (the lock anon_vma_lock takes: anon_vma->root->mutex, 3.0.1
        include/linux/rmap.h:106; 2.6.36+ 012f18004da3). The root is read here by the oracle,
        not by the kernel path: no step of the freeing actor depends on it."""
        o = self.core.deref(cx, av)
        if o.f["refcount"] > 0:
            raise Violation(
                "INV-AV-1", f"anon_vma {o.gname()} freed with refcount {o.f['refcount']}"
            )
        root = o.f["root"] if o.f["root"] is not None else o.oid
        owner = self.locks.owner((root, "lock"))
        if owner is not None and owner >= 0:
            # A trylocker that has not yet validated (page_mapped / refcount) will bail out and
            # unlock: legal on a SLAB_TYPESAFE_BY_RCU object. Only a holder that committed to
            # the object (returned it, walks it) is hurt; remember the free for that case.
            if (owner, o.oid) in self.committed:
                held = "its" if root == o.oid else f"its root anon_vma#{root}'s"
                raise Violation(
                    "INV-AV-1",
                    f"anon_vma {o.gname()} freed while {held} lock is held by "
                    f"{self.core.names[owner]}, which holds it as a page's anon_vma",
                )
            self.freed_locked[o.oid] = (owner, cx.step, root)
        self.core.free(cx, o)

    def _root_locked(self, cx: Step, av: Ref, what: str) -> None:
        o = self.core.objs[av[0]]
        root = o.f["root"]
        if not self.locks.holds(cx.actor, (root, "lock")):
            raise Violation(
                "INV-LOCK-3",
                f"{what} of {o.name()} without its root lock (anon_vma#{root}.lock)",
            )

    @op
    def anon_vma_chain_link(self, cx: Step, av: Ref, vma: Ref) -> None:
        """anon_vma_chain_link under the root lock."""
        o = self.core.deref(cx, av)
        self._root_locked(cx, av, "chain insert")
        self.core.set(cx, o, "chain", (*o.f["chain"], vma[0]))

    @op
    def avc_unlink(self, cx: Step, av: Ref, vma: Ref) -> bool:
        """Remove vma's chain entry under the root lock; True if the anon_vma is now empty."""
        o = self.core.deref(cx, av)
        self._root_locked(cx, av, "chain removal")
        chain = tuple(v for v in o.f["chain"] if v != vma[0])
        self.core.set(cx, o, "chain", chain)
        return not chain

    @op
    def avc_walk(self, cx: Step, av: Ref) -> tuple[int, ...]:
        """Walk the anon_vma's interval tree (rmap walk) under the root lock."""
        o = self.core.deref(cx, av)
        self.used_after_locked_free(cx.actor, av[0], "walked its anon_vma_chain")
        if self.reuse_diagnosis and av[1] != o.gen:
            # A walk of a recycled object: its chain belongs to the new owner. The kernel walks
            # it (the rmap_one callbacks check each vma's address and find nothing); the harm
            # comes at the unlock. A diagnosis, not a failure.
            self.core.diagnoses.append(
                f"rmap walk at {cx.label} of {o.kind}#{o.oid} gen {av[1]}, now gen {o.gen} "
                f"(root anon_vma#{o.f['root']})"
            )
            return tuple(o.f["chain"])
        self._root_locked(cx, av, "rmap walk")
        return tuple(o.f["chain"])

    @op
    def page_add_anon_rmap(self, cx: Step, page: Ref, av: Ref) -> None:
        """__page_set_anon_rmap on a new, exclusively owned page: mapping := anon_vma|ANON."""
        p = self.core.deref(cx, page)
        self.core.set(cx, p, "mapping", av[0])
        p.f["anon"] = 1
