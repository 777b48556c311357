"""The page-cache actor: one component per primitive family, composed explicitly, behind the
engine's Model protocol (emulator/runtime.py).

Each component owns its state and declares its ops with ``@op``; the op table (op name ->
component) is built once, when this module is imported. Cross-family checks are wired here, in
one place: the order of the pte checks, who hears of a commit or a mutex unlock, who answers
"who still uses this inode".
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from actors.model import footprints
from actors.model.anon import AnonVma
from actors.model.barriers import Barriers
from actors.model.core import HISTORY, Core, Step
from actors.model.fuse import Fuse
from actors.model.futex import Futex
from actors.model.futex_hb import FutexHb
from actors.model.generic import Generic
from actors.model.inodes import Inodes
from actors.model.locks import Locks
from actors.model.memory import Memory
from actors.model.mm import Mm
from actors.model.mutex_via import PointerLocks
from actors.model.ops import op_table
from actors.model.options import ModelOptions
from actors.model.pagecache import PageCache
from actors.model.pages import Pages
from actors.model.rcu import Rcu
from actors.model.rmap_order import RmapOrder
from actors.model.rwsem import Rwsems
from actors.model.shmem import Shmem
from actors.model.swap import Swap
from actors.model.truncate import Truncate
from actors.model.waits import PageWaits
from actors.objects import Obj, Ref
from emulator.engine.runtime import Control, WaitInfo
from emulator.engine.violations import Violation

COMPONENTS: tuple[tuple[str, type], ...] = (
    ("generic", Generic),
    ("locks", Locks),
    ("pointer_locks", PointerLocks),
    ("rcu", Rcu),
    ("pages", Pages),
    ("mm", Mm),
    ("cache", PageCache),
    ("truncate", Truncate),
    ("anon", AnonVma),
    ("inodes", Inodes),
    ("shmem", Shmem),
    ("futex", Futex),
    ("fuse", Fuse),
    ("waits", PageWaits),
    ("rwsems", Rwsems),
    # -- memory modes (weak-memory.md): weak locations, barriers, the barrier scenarios' state
    ("memory", Memory),
    ("barriers", Barriers),
    ("futex_hb", FutexHb),
    ("rmap_order", RmapOrder),
    # -- anonymous swap, reclaim's __remove_mapping, the block layer (actors/model/swap.py)
    ("swap", Swap),
)

_new_step = tuple.__new__  # a Step without NamedTuple's Python __new__ (one per step)

OPS: dict[str, str] = op_table(COMPONENTS)
"""Every op of the wire protocol -> the component attribute that implements it."""


class PageCacheModel:
    """All kernel state of one run; owns every object and applies every primitive atomically."""

    def __init__(self, options: ModelOptions | None = None) -> None:
        self.options = opts = options or ModelOptions()
        self.core = core = Core()
        core.typesafe_uaf = opts.typesafe_uaf
        self.locks = locks = Locks(core, opts)
        self.pointer_locks = PointerLocks(core, locks)
        self.generic = Generic(core, locks, opts.reuse_diagnosis)
        self.rcu = rcu = Rcu(core, locks, opts)
        self.pages = pages = Pages(core, locks)
        self.mm = mm = Mm(core, locks, pages)
        self.cache = cache = PageCache(core, locks, pages)
        self.truncate = truncate = Truncate(core, locks, mm, cache)
        self.anon = anon = AnonVma(core, locks, opts.reuse_diagnosis)
        self.inodes = inodes = Inodes(core, rcu, opts)
        self.shmem = Shmem(core, locks, pages, cache, opts)
        self.futex = futex = Futex(core, mm)
        self.fuse = Fuse(core, locks)
        self.waits = PageWaits(core, locks)
        self.rwsems = Rwsems(core, locks)
        # Cross-family wiring.
        mm.pte_checks = [
            truncate.check_not_invalidated,  # INV-INVAL-1 first: the more precise diagnosis
            mm.check_in_cache,  # INV-MAP-1
            truncate.check_inside_eof,  # INV-EOF-1
        ]
        self.generic.commit_hooks.append(anon.on_commit)
        locks.mutex_hooks.append((anon.unlocking, anon.unlocked))
        inodes.key_users = futex.key_users
        # User oracles: each raises a Violation when its invariant fails; step_checks run after
        # every applied step (not after a step that parked), end_checks once at the end.
        self.step_checks: list[Callable[[], None]] = []
        self.end_checks: list[Callable[[], None]] = []
        # -- memory modes: the weak-memory components, and the routing of existing ops on weak
        # locations (and, outside SC, of lock words) through them; in SC with no weak location
        # declared every op is exactly what it was.
        self.memory = memory = Memory(core, locks, opts)
        self.barriers = Barriers(memory)
        self.futex_hb = FutexHb(core, locks, memory)
        self.rmap_order = RmapOrder(core, mm)
        self.end_checks.append(memory.finish)
        # -- end of memory modes
        self.swap = Swap(core, locks, pages, cache, mm, self.shmem)
        # Outside SC every op is routed, so all are bound now; in SC only the field ops on
        # weak locations are, once setup has declared them (``bind``). Every other op is bound
        # on its first use in the run (``_op``): a run uses a few dozen of the 170 ops, and
        # binding them all was 1-4 % of a short run.
        self._ops: dict[str, Callable[..., Any]] = (
            memory.routes(
                {name: getattr(getattr(self, name_of), name) for name, name_of in OPS.items()}
            )
            if memory.weak_mode
            else {}
        )

    def _op(self, op: str) -> Callable[..., Any]:
        """The callable applying ``op`` (KeyError for an op no component declares)."""
        fn = self._ops.get(op)
        if fn is None:
            fn = self._ops[op] = getattr(getattr(self, OPS[op]), op)
        return fn

    # -- Model protocol ----------------------------------------------------------------------

    def bind(self, control: Control, actor_names: Sequence[str]) -> None:
        self.core.bind(control, actor_names)
        self.locks.bind()
        memory = self.memory
        memory.bind(control)  # memory modes
        if not memory.weak_mode and memory.weak_locs:
            # SC with weak locations (declared at setup): their field ops go through the
            # memory model. Without any, a route would only pass each field op on (it was
            # ~1 % of a run's CPU time), so the ops stay as they are.
            ops = {name: getattr(getattr(self, OPS[name]), name) for name in memory.ROUTED}
            self._ops.update(memory.routes(ops))

    def unbind(self) -> None:
        """The run has ended: keep no reference to its control, so that the model and the
        run's records it reaches form no reference cycle and go with their result, by
        reference counting, instead of waiting for the cyclic collector."""
        self.core.unbind()
        self.memory.unbind()
        # The cross-family wiring: bound methods kept by a component that they refer back to
        # (mm's pte checks are mm's own; locks calls anon, which holds locks). Not used once
        # the run has ended.
        self.mm.pte_checks = []
        self.locks.mutex_hooks = []

    def apply(self, actor: int, op: str, label: str, args: tuple[Any, ...], resumed: bool) -> Any:
        ctl = self.core.ctl
        assert ctl is not None
        fn = self._ops.get(op)
        if fn is None:
            fn = self._op(op)
        res = fn(_new_step(Step, (actor, label, resumed, ctl.steps)), *args)
        if self.step_checks:
            for check in self.step_checks:
                check()
        return res

    def op_signature(self, op: str) -> inspect.Signature | None:
        """A primitive's parameters as actor code passes them (reports use it to tell which
        arguments are addresses and which results may be None)."""
        if op not in OPS and op not in self._ops:
            return None
        sig = inspect.signature(self._op(op))
        return sig.replace(parameters=list(sig.parameters.values())[1:])  # drop the Step

    # Footprints and enabledness for the engine's strategies (declared in footprints.py).
    blocking_ops = footprints.BLOCKING_OPS
    local_ops = footprints.LOCAL_OPS

    def footprint(self, actor: int, op: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return footprints.footprint(op, args)

    def would_block(self, actor: int, op: str, args: tuple[Any, ...], resumed: bool) -> bool:
        return footprints.would_block(self.locks, op, args, resumed)

    def wait_info(self, actor: int) -> WaitInfo:
        info = self.fuse.wait_info(actor)
        return info if info is not None else self.locks.wait_info(actor)

    def actor_exit(self, actor: int) -> None:
        fr = self.core.frames[actor]
        if fr.rcu:
            raise Violation("INV-RCU-2", f"unbalanced RCU: {fr.name} exits with nesting {fr.rcu}")
        for key, (step, label) in fr.held.items():
            raise Violation(
                "INV-LOCK-2",
                f"lock {self.core.lock_name(key)} leaked by {fr.name} at exit "
                f"(taken at {label}, step {step})",
            )

    def finish(self) -> None:
        for check in self.end_checks:
            check()

    def describe(self, op: str, args: tuple[Any, ...], result: Any) -> str:
        fmt = self.core.fmt
        text = f"{op}({', '.join(fmt(a) for a in args)})"
        if result is not None:
            text += f" = {fmt(result)}"
        return text

    def snapshot(self) -> list[str]:
        """The state at the end of the run, for failure reports: every actor's locks, RCU
        nesting and wait; every object with its key fields and its last writes."""
        core = self.core
        out = [f"diagnosis: {d}" for d in core.diagnoses]
        out.append("actors:")
        for i, fr in enumerate(core.frames):
            parts = []
            if fr.held:
                held = ", ".join(
                    f"{core.lock_name(k)} (at {lab}, step {st})" for k, (st, lab) in fr.held.items()
                )
                parts.append(f"holds {held}")
            if fr.rcu:
                parts.append(
                    f"in RCU read-side section (nesting {fr.rcu}, opened at {fr.rcu_label})"
                )
            if fr.waiting is not None:
                parts.append(f"parked on {self.wait_info(i).what}")
            out.append(f"  {fr.name}: " + ("; ".join(parts) if parts else "holds nothing"))
        out.append("objects:")
        for o in core.objs.values():
            fields = ", ".join(
                f"{k}={core.show(k, v)}" for k, v in o.f.items() if k not in ("holders",)
            )
            out.append(f"  {o.gname()} {o.state}: {fields}")
            for fld, val, label, step in o.history[-HISTORY:]:
                out.append(f"      step {step} [{label}] {fld} := {val}")
        out.extend(self.memory.snapshot())  # memory modes: store buffers, stale reads
        return out

    # -- initial state (setup helpers, not steps) --------------------------------------------

    @property
    def objs(self) -> dict[int, Obj]:
        return self.core.objs

    def new(self, kind: str, fields: dict[str, Any]) -> Obj:
        return self.core.new(kind, fields)

    def ref(self, o: Obj) -> Ref:
        return self.core.ref(o)

    def new_page(self, ptype: str, index: int = 0, holders: tuple[str, ...] = ()) -> Obj:
        return self.pages.new_page(ptype, index, holders)

    def new_zero_page(self) -> Obj:
        return self.pages.new_zero_page()

    def new_special_page(self, ptype: str = "SPECIAL") -> Obj:
        return self.pages.new_special_page(ptype)

    def new_mm(self) -> Obj:
        return self.mm.new_mm()

    def new_vma(self, mm: Obj, start: int, end: int, **kw: Any) -> Obj:
        return self.mm.new_vma(mm, start, end, **kw)

    def new_file_vma(
        self,
        mm: Obj,
        inode: Obj,
        start: int,
        npages: int,
        shared: bool,
        pgoff: int = 0,
        **kw: Any,
    ) -> Obj:
        return self.mm.new_file_vma(mm, inode, start, npages, shared, pgoff, **kw)

    def map_initial(self, mm: Obj, addr: int, page: Obj, writable: int = 1) -> None:
        self.mm.map_initial(mm, addr, page, writable)

    def new_file(self, size: int, nlink: int = 1) -> tuple[Obj, Obj]:
        return self.cache.new_file(size, nlink)

    def cache_initial(self, mapping: Obj, page: Obj, index: int) -> None:
        self.cache.cache_initial(mapping, page, index)

    def cache_file_page(self, mapping: Obj, index: int, uptodate: int = 1) -> Obj:
        return self.cache.cache_file_page(mapping, index, uptodate)

    def new_anon_vma(self, root: int | None = None) -> int:
        return self.anon.new_anon_vma(root)

    def new_shmem_file(self, size: int) -> tuple[Obj, Obj]:
        return self.shmem.new_shmem_file(size)

    def new_shmem_page(self, mapping: Obj, index: int, holders: tuple[str, ...] = ()) -> Obj:
        return self.shmem.new_shmem_page(mapping, index, holders)

    # -- anonymous swap (setup helpers) ------------------------------------------------------

    def new_anon_page(self, mm: Obj, addr: int) -> Obj:
        return self.swap.new_anon_page(mm, addr)

    def new_swapped_page(self, mm: Obj, addr: int, cached: bool) -> tuple[int, Obj | None]:
        return self.swap.new_swapped_page(mm, addr, cached)

    def fork_swap_pte(self, parent: Obj, child: Obj, addr: int) -> None:
        self.swap.fork_swap_pte(parent, child, addr)

    # -- memory modes (setup helpers) ----------------------------------------------------------

    def weak(self, o: Obj, fld: str) -> None:
        """Declare ``o.fld`` a weak location (accessed through the run's memory model)."""
        self.memory.weak(o, fld)

    def new_futex_hb(self) -> Obj:
        return self.futex_hb.new_futex_hb()

    def new_futex_word(self, value: int) -> Obj:
        return self.futex_hb.new_futex_word(value)
