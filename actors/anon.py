"""anon_vma objects on a SLAB_TYPESAFE_BY_RCU cache (kernel-scenarios.md 1.4, 2.4)."""

from __future__ import annotations

from actors.mm import MmMixin
from actors.objects import anon_vma_fields
from actors.state import Ref
from emulator.engine.violations import Violation


class AnonMixin(MmMixin):
    def __init__(self) -> None:
        super().__init__()
        # (actor, anon_vma oid) pairs an actor committed to (returned locked as a page's
        # anon_vma) and has not unlocked yet; anon_vmas freed while a trylocker held the lock.
        self.committed: dict[tuple[int, int], int] = {}
        self.freed_locked: dict[int, tuple[int, int]] = {}

    def used_after_locked_free(self, actor: int, oid: int, what: str) -> None:
        hit = self.freed_locked.get(oid)
        if hit is not None and hit[0] == actor:
            o = self.objs[oid]
            raise Violation(
                "INV-AV-1",
                f"anon_vma {o.name()} was freed at step {hit[1]} while {self.names[actor]} held "
                f"its lock; {self.names[actor]} then {what}",
            )

    def op_commit(self, actor: int, ref: Ref, what: str) -> None:
        super().op_commit(actor, ref, what)
        if self.objs[ref[0]].kind == "anon_vma":
            self.used_after_locked_free(actor, ref[0], f"used it ({what})")
            self.committed[(actor, ref[0])] = self.step

    def op_mutex_unlock_via(self, actor: int, ref: Ref, fld: str) -> Ref:
        self.committed.pop((actor, ref[0]), None)
        target = super().op_mutex_unlock_via(actor, ref, fld)
        self.freed_locked.pop(ref[0], None)
        return target

    def op_mutex_unlock(self, actor: int, ref: Ref) -> None:
        self.committed.pop((actor, ref[0]), None)
        super().op_mutex_unlock(actor, ref)
        self.freed_locked.pop(ref[0], None)

    def new_anon_vma(self, root: int | None = None) -> int:
        o = self.new("anon_vma", anon_vma_fields())
        o.f["root"] = o.oid if root is None else root
        o.f["refcount"] = 1
        return o.oid

    def op_anon_vma_alloc(self, actor: int) -> Ref:
        """anon_vma_alloc: the typesafe slab may hand back a just-freed object (gen + 1),
        refcount := 1, root := self. The lock is the constructor's and is not touched."""
        o = self.alloc("anon_vma", anon_vma_fields())
        o.f["root"] = o.oid
        o.f["refcount"] = 1
        self.wrote(o, "root", o.oid)
        return (o.oid, o.gen)

    def op_anon_vma_free(self, actor: int, av: Ref) -> None:
        """kmem_cache_free(anon_vma_cachep): immediately reusable. INV-AV-1 if the object is
        still referenced or its (own) lock is held."""
        o = self.deref(actor, av)
        if o.f["refcount"] > 0:
            raise Violation(
                "INV-AV-1", f"anon_vma {o.gname()} freed with refcount {o.f['refcount']}"
            )
        lk = self.locks.get((o.oid, "lock"))
        if lk is not None and lk.owner is not None and lk.owner >= 0:
            # A trylocker that has not yet validated (page_mapped / refcount) will bail out and
            # unlock: legal on a SLAB_TYPESAFE_BY_RCU object. Only a holder that committed to
            # the object (returned it, walks it) is hurt; remember the free for that case.
            if (lk.owner, o.oid) in self.committed:
                raise Violation(
                    "INV-AV-1",
                    f"anon_vma {o.gname()} freed while locked by {self.names[lk.owner]}, which "
                    f"holds it as a page's anon_vma",
                )
            self.freed_locked[o.oid] = (lk.owner, self.step)
        self.free(o)

    def _root_locked(self, actor: int, av: Ref, what: str) -> None:
        o = self.objs[av[0]]
        root = o.f["root"]
        if not self.holds(actor, (root, "lock")):
            raise Violation(
                "INV-LOCK-3",
                f"{what} of {o.name()} without its root lock (anon_vma#{root}.lock)",
            )

    def op_avc_link(self, actor: int, av: Ref, vma: Ref) -> None:
        """anon_vma_chain_link under the root lock."""
        o = self.deref(actor, av)
        self._root_locked(actor, av, "chain insert")
        self.set(o, "chain", (*o.f["chain"], vma[0]))

    def op_avc_unlink(self, actor: int, av: Ref, vma: Ref) -> bool:
        """Remove vma's chain entry under the root lock; True if the anon_vma is now empty."""
        o = self.deref(actor, av)
        self._root_locked(actor, av, "chain removal")
        chain = tuple(v for v in o.f["chain"] if v != vma[0])
        self.set(o, "chain", chain)
        return not chain

    def op_avc_walk(self, actor: int, av: Ref) -> tuple[int, ...]:
        """Walk the anon_vma's interval tree (rmap walk) under the root lock."""
        o = self.deref(actor, av)
        self.used_after_locked_free(actor, av[0], "walked its anon_vma_chain")
        self._root_locked(actor, av, "rmap walk")
        return tuple(o.f["chain"])

    def op_page_add_anon_rmap(self, actor: int, page: Ref, av: Ref) -> None:
        """__page_set_anon_rmap on a new, exclusively owned page: mapping := anon_vma|ANON."""
        p = self.deref(actor, page)
        self.set(p, "mapping", av[0])
        p.f["anon"] = 1
