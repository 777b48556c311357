"""anon_vma objects on a SLAB_TYPESAFE_BY_RCU cache (kernel-scenarios.md 1.4, 2.4)."""

from __future__ import annotations

from actors.mm import MmMixin
from actors.objects import anon_vma_fields
from actors.state import Ref
from emulator.violations import Violation


class AnonMixin(MmMixin):
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
        if lk is not None and lk.owner is not None:
            who = self.names[lk.owner] if lk.owner >= 0 else "IO"
            raise Violation("INV-AV-1", f"anon_vma {o.gname()} freed while locked by {who}")
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
        self._root_locked(actor, av, "rmap walk")
        return tuple(o.f["chain"])

    def op_page_add_anon_rmap(self, actor: int, page: Ref, av: Ref) -> None:
        """__page_set_anon_rmap on a new, exclusively owned page: mapping := anon_vma|ANON."""
        p = self.deref(actor, page)
        self.set(p, "mapping", av[0])
        p.f["anon"] = 1
