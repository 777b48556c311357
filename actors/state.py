"""The page-cache actor's state: object table, slabs, per-actor frames, generic steps, oracles.

``KernelState`` is the core every primitive family builds on (locks, RCU, mm, anon_vma ...). It
applies one request at a time; each ``op_*`` method is one row of kernel-scenarios.md table 2.2
(or a labelled compound step of 2.4) and checks the oracles it can affect, incrementally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from actors.objects import FREE, LIVE, POINTERS, RCU_PENDING, REFCOUNTS, TYPESAFE, Obj
from emulator.engine.livelock import RetryMonitor
from emulator.engine.runtime import PARKED, Control, WaitInfo
from emulator.engine.violations import Violation

Ref = tuple[int, int]
LockKey = tuple[int, str]

HISTORY = 5  # last writes kept per field, for reports


@dataclass
class Lock:
    kind: str  # "page", "mutex", "spin"
    owner: int | None = None  # actor index; IO_OWNER for pages locked for IO
    step: int = 0
    label: str = ""
    waiters: list[int] = field(default_factory=list)


IO_OWNER = -2


@dataclass
class Frame:
    """What the page-cache actor knows about one actor."""

    name: str
    rcu: int = 0
    rcu_label: str = ""
    held: dict[LockKey, tuple[int, str]] = field(default_factory=dict)
    ops: list[tuple[str, int]] = field(default_factory=list)  # (op name, step at begin)
    waiting: tuple[str, LockKey | None, bool] | None = None  # (what, lock, idle)
    touched: dict[int, None] = field(default_factory=dict)
    retry_wseq: int = 0
    sleeping_ok: bool = True


class KernelState:
    """Object table and generic steps. Subclass mixins add primitive families."""

    def __init__(self) -> None:
        self.objs: dict[int, Obj] = {}
        self.locks: dict[LockKey, Lock] = {}
        self.free_lists: dict[str, list[int]] = {}
        self.frames: list[Frame] = []
        self.names: list[str] = []
        self.ctl: Control | None = None
        self.wseq = 0
        self.retries = RetryMonitor()
        self.io_actor: int | None = None
        self._ops: dict[str, Callable[..., Any]] = {
            n[3:]: getattr(self, n) for n in sorted(dir(self)) if n.startswith("op_")
        }
        self._resumed = False
        self._label = ""
        self._actor = -1
        self.end_checks: list[Callable[[], None]] = []
        self.ended_ops: list[tuple[int, str]] = []

    # -- Model protocol ----------------------------------------------------------------------

    def bind(self, control: Control, actor_names: Sequence[str]) -> None:
        self.ctl = control
        self.names = list(actor_names)
        self.frames = [Frame(n) for n in actor_names]
        if "IO" in self.names:
            self.io_actor = self.names.index("IO")

    def apply(self, actor: int, op: str, label: str, args: tuple[Any, ...], resumed: bool) -> Any:
        self._actor = actor
        self._label = label
        self._resumed = resumed
        return self._ops[op](actor, *args)

    def wait_info(self, actor: int) -> WaitInfo:
        w = self.frames[actor].waiting
        if w is None:
            return WaitInfo("nothing", None)
        what, key, idle = w
        owner = None
        if key is not None:
            lk = self.locks.get(key)
            if lk is not None and lk.owner is not None:
                owner = self.io_actor if lk.owner == IO_OWNER else lk.owner
                if lk.owner >= 0:
                    step, lab = self.frames[lk.owner].held.get(key, (lk.step, lk.label))
                    what = f"{what} (held by {self.names[lk.owner]} since {lab}, step {step})"
        return WaitInfo(what, owner, idle)

    def actor_exit(self, actor: int) -> None:
        fr = self.frames[actor]
        if fr.rcu:
            raise Violation("INV-RCU-2", f"unbalanced RCU: {fr.name} exits with nesting {fr.rcu}")
        for key, (step, label) in fr.held.items():
            raise Violation(
                "INV-LOCK-2",
                f"lock {self.lock_name(key)} leaked by {fr.name} at exit "
                f"(taken at {label}, step {step})",
            )

    def finish(self) -> None:
        for check in self.end_checks:
            check()

    def describe(self, op: str, args: tuple[Any, ...], result: Any) -> str:
        shown = ", ".join(self.fmt(a) for a in args)
        text = f"{op}({shown})"
        if result is not None:
            text += f" = {self.fmt(result)}"
        return text

    def snapshot(self) -> list[str]:
        """The state at the end of the run, for failure reports: every actor's locks, RCU
        nesting and wait; every object with its key fields and its last writes."""
        out = ["actors:"]
        for i, fr in enumerate(self.frames):
            parts = []
            if fr.held:
                held = ", ".join(
                    f"{self.lock_name(k)} (at {lab}, step {st})" for k, (st, lab) in fr.held.items()
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
        for o in self.objs.values():
            fields = ", ".join(
                f"{k}={self._show(k, v)}" for k, v in o.f.items() if k not in ("holders",)
            )
            out.append(f"  {o.gname()} {o.state}: {fields}")
            for fld, val, label, step in o.history[-HISTORY:]:
                out.append(f"      step {step} [{label}] {fld} := {val}")
        return out

    def _show(self, k: str, v: Any) -> str:
        if k in POINTERS and isinstance(v, int):
            t = self.objs.get(v)
            return t.name() if t else f"#{v}"
        if isinstance(v, dict) and len(v) > 6:
            return f"{{{len(v)} entries}}"
        return repr(v)

    # -- helpers for subclasses --------------------------------------------------------------

    @property
    def step(self) -> int:
        assert self.ctl is not None
        return self.ctl.steps

    def fmt(self, v: Any) -> str:
        if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, int) for x in v):
            o = self.objs.get(v[0])
            if o is not None:
                return f"{o.kind}#{v[0]} gen {v[1]}"
        if isinstance(v, tuple):
            return "(" + ", ".join(self.fmt(x) for x in v) + ")"
        return repr(v)

    def lock_name(self, key: LockKey) -> str:
        oid, what = key
        o = self.objs.get(oid)
        base = o.name() if o else f"#{oid}"
        return base if what == "PG_locked" else f"{base}.{what}"

    def new(self, kind: str, fields: dict[str, Any]) -> Obj:
        oid = len(self.objs) + 1
        o = Obj(oid, kind, 1, fields)
        self.objs[oid] = o
        return o

    def ref(self, o: Obj) -> Ref:
        return (o.oid, o.gen)

    def alloc(self, kind: str, fields: dict[str, Any]) -> Obj:
        """Allocate from the kind's slab: reuse a free slot (chosen through the choice source,
        0 = most recently freed) or carve a new object."""
        free = self.free_lists.get(kind)
        if free:
            assert self.ctl is not None
            # Choice 0 = the most recently freed slot; n = len(free) means a fresh object.
            c = self.ctl.choose(len(free) + 1, "slab")
            if c < len(free):
                oid = free.pop(len(free) - 1 - c)
                o = self.objs[oid]
                o.gen += 1
                # freed_step / gp_end_step keep describing the previous life: a stale pointer
                # into it is reported with them.
                o.state = LIVE
                keep = {k: v for k, v in o.f.items() if k == "lock"}
                o.f = dict(fields)
                o.f.update(keep)
                self.wrote(o, "(alloc)", "reused")
                return o
        return self.new(kind, fields)

    def free(self, o: Obj) -> None:
        o.state = FREE
        o.freed_step = self.step
        self.free_lists.setdefault(o.kind, []).append(o.oid)
        self.wrote(o, "(free)", "FREE")

    def deref(self, actor: int, ref: Ref, why: str = "") -> Obj:
        """Use a pointer an actor loaded earlier. Use after free is INV-UAF-1/2; a typesafe
        object may be read after free (it is still of its type) but not after its memory went
        back to the page allocator."""
        oid, gen = ref
        o = self.objs[oid]
        self.frames[actor].touched[oid] = None
        if o.gen == gen and o.state != FREE:
            return o
        if o.kind in TYPESAFE:
            return o
        if o.gp_end_step >= 0 or o.state == RCU_PENDING:
            raise Violation(
                "INV-UAF-2",
                f"use after free of {o.kind}#{oid} gen {gen} by {self.names[actor]} at "
                f"{self._label}: freed at step {o.freed_step}, GP ended at step {o.gp_end_step}",
            )
        raise Violation(
            "INV-UAF-1",
            f"use after free of {o.kind}#{oid} gen {gen} by {self.names[actor]} at {self._label}",
        )

    def wrote(self, o: Obj, fld: str, value: Any) -> None:
        self.wseq += 1
        o.wseq = self.wseq
        o.wactor = self._actor
        h = o.history
        h.append((fld, repr(value), self._label, self.step))
        if len(h) > HISTORY * 4:
            del h[: len(h) - HISTORY * 4]

    def set(self, o: Obj, fld: str, value: Any) -> None:
        o.f[fld] = value
        self.wrote(o, fld, value)

    def read_value(self, o: Obj, fld: str) -> Any:
        v = o.f[fld]
        if fld in POINTERS and v is not None:
            t = self.objs[v]
            return (v, t.gen)
        return v

    def holds(self, actor: int, key: LockKey) -> bool:
        return key in self.frames[actor].held

    def sleeps(self, actor: int, what: str) -> None:
        """A primitive that may sleep: forbidden inside RCU read-side sections (INV-RCU-1)."""
        fr = self.frames[actor]
        if fr.rcu:
            raise Violation(
                "INV-RCU-1",
                f"sleeping primitive {what} inside RCU read-side section opened at {fr.rcu_label}",
            )
        for key in fr.held:
            lk = self.locks[key]
            if lk.kind == "spin":
                raise Violation(
                    "INV-RCU-1",
                    f"sleeping primitive {what} while holding spinlock {self.lock_name(key)}",
                )

    def park(self, actor: int, what: str, key: LockKey | None, idle: bool = False) -> Any:
        self.frames[actor].waiting = (what, key, idle)
        return PARKED

    def wake(self, actor: int) -> None:
        self.frames[actor].waiting = None
        assert self.ctl is not None
        self.ctl.wake(actor)

    # -- generic steps -----------------------------------------------------------------------

    def op_read(self, actor: int, ref: Ref, fld: str) -> Any:
        """READ_ONCE(obj->field)."""
        return self.read_value(self.deref(actor, ref), fld)

    def op_write(self, actor: int, ref: Ref, fld: str, value: Any) -> None:
        """WRITE_ONCE(obj->field, value); pointer values are given as refs."""
        o = self.deref(actor, ref)
        if isinstance(value, (tuple, list)) and fld in POINTERS:
            value = value[0]
        self.set(o, fld, value)

    def op_atomic(self, actor: int, ref: Ref, fld: str, how: str) -> Any:
        """atomic_read / atomic_inc / atomic_dec / atomic_inc_not_zero / atomic_dec_and_test."""
        o = self.deref(actor, ref)
        v = o.f[fld]
        if how == "read":
            return v
        if how == "inc_not_zero":
            if v == 0:
                return False
            self.set(o, fld, v + 1)
            return True
        if how == "inc":
            if v == 0 and fld in REFCOUNTS:
                raise Violation("INV-REF-2", f"get on zero-count {o.gname()} (resurrection)")
            self.set(o, fld, v + 1)
            return v + 1
        if how in ("dec", "dec_and_test"):
            if v <= 0 and fld in REFCOUNTS:
                raise Violation("INV-REF-1", f"refcount underflow on {o.gname()} ({fld})")
            self.set(o, fld, v - 1)
            return v - 1 == 0 if how == "dec_and_test" else v - 1
        raise ValueError(how)

    def op_commit(self, actor: int, ref: Ref, what: str) -> None:
        """The actor acts on a pointer it loaded earlier (returns it, keys on it, unlocks through
        it). If the object was reallocated since the load, that is INV-ID-1."""
        oid, gen = ref
        o = self.objs[oid]
        if o.gen != gen:
            raise Violation(
                "INV-ID-1",
                f"type-safe reuse: {o.kind}#{oid} was gen {gen} when loaded, gen {o.gen} at use "
                f"{self._label} ({what})",
            )

    def op_begin(self, actor: int, name: str) -> None:
        self.frames[actor].ops.append((name, self.step))

    def op_end(self, actor: int, name: str) -> None:
        fr = self.frames[actor]
        opname, begin = fr.ops.pop()
        for key, (step, label) in fr.held.items():
            if step >= begin:
                raise Violation(
                    "INV-LOCK-2",
                    f"lock {self.lock_name(key)} leaked by {fr.name} at end of {opname} "
                    f"(taken at {label}, step {step})",
                )
        self.ended_ops.append((actor, opname))

    def op_might_sleep(self, actor: int, what: str) -> None:
        self.sleeps(actor, what)

    def op_retry(self, actor: int, detail: str) -> None:
        """`goto again`: INV-LIVE-1 if nothing another actor wrote to what we examined."""
        fr = self.frames[actor]
        base = fr.retry_wseq
        changed = any(
            self.objs[oid].wseq > base and self.objs[oid].wactor != actor for oid in fr.touched
        )
        fr.touched.clear()
        fr.retry_wseq = self.wseq
        self.retries.note(actor, self._label, changed, detail)

    def op_report(self, actor: int, oracle: str, message: str) -> None:
        """A scenario-level oracle decided from actor-side results (e.g. a spurious EFAULT)."""
        raise Violation(oracle, message)

    def op_note(self, actor: int, what: str, value: Any) -> Any:
        """A labelled local event (no shared state): shows up in the interleaving."""
        return value
