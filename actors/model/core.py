"""The state every primitive family shares: the object table and its slabs, one frame per actor,
and the generic helpers that read, write, allocate and free objects (kernel-scenarios.md 1).

A request is applied with a ``Step``: who sent it, under which label, at which step, and whether
it is the resume of a parked request. Helpers that record history or check an oracle take it
explicitly; nothing about the request in flight is kept in a hidden field.

When the run asks for facts (``Control.facts_on``), the helpers also state what the step did
(kernel-scenarios.md has no such notion: this is for explain). Facts never change a reply or the
state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from actors.objects import FREE, LIVE, NEVER_FREED, POINTERS, RCU_PENDING, TYPESAFE, Obj, Ref
from emulator.engine import facts as F
from emulator.engine.runtime import PARKED, Control
from emulator.engine.violations import Violation

LockKey = tuple[int, str]

HISTORY = 5  # last writes kept per field, for reports


class Step(NamedTuple):
    """The request being applied (one per step: a tuple, which ``PageCacheModel.apply`` makes
    without a Python ``__init__``)."""

    actor: int
    label: str
    resumed: bool
    step: int


@dataclass
class Frame:
    """What the page-cache actor knows about one actor."""

    name: str
    rcu: int = 0
    rcu_label: str = ""
    rcu_step: int = -1  # step at which the outermost read-side section opened
    held: dict[LockKey, tuple[int, str]] = field(default_factory=dict)
    ops: list[tuple[str, int]] = field(default_factory=list)  # (op name, step at begin)
    waiting: tuple[str, LockKey | None, bool] | None = None  # (what, lock, idle)
    touched: dict[int, None] = field(default_factory=dict)
    retry_wseq: int = 0
    sleeping_ok: bool = True
    fatal: bool = False  # fatal_signal_pending(): a SIGKILL was sent to this actor
    killable: bool = False  # parked in a TASK_KILLABLE wait


def plain(v: Any) -> Any:
    """A fact's value as plain data."""
    if v is None or isinstance(v, (int, str, bool)):
        return v
    return repr(v)


class Core:
    """Object table, slabs and actor frames."""

    def __init__(self) -> None:
        self.objs: dict[int, Obj] = {}
        self.free_lists: dict[str, list[int]] = {}
        self.frames: list[Frame] = []
        self.names: list[str] = []
        self.ctl: Control | None = None
        self.wseq = 0
        self.facts_on = False
        self._fact: Callable[[F.Fact], None] | None = None
        self.diagnoses: list[str] = []  # findings that are not kernel symptoms (reports only)
        # A freed SLAB_TYPESAFE_BY_RCU object read by an actor that has not been inside one RCU
        # read-side section since before the free: its slab page may have gone back to the page
        # allocator (INV-UAF-2). Off by default: scenarios that model that opt in.
        self.typesafe_uaf = False

    def bind(self, control: Control, actor_names: Sequence[str]) -> None:
        self.ctl = control
        self.names = list(actor_names)
        self.frames = [Frame(n) for n in actor_names]
        sink = getattr(control, "fact", None)
        self.facts_on = bool(getattr(control, "facts_on", False)) and callable(sink)
        self._fact = sink if self.facts_on else None

    def unbind(self) -> None:
        """The run has ended: drop the control (reports read the state only)."""
        self.ctl = None
        self._fact = None

    def fact(
        self,
        kind: str,
        o: Obj | None = None,
        name: str = "",
        value: Any = None,
        other: int = -1,
        gen: int | None = None,
    ) -> None:
        """State one fact (callers test ``facts_on`` first: a soak pays nothing)."""
        assert self._fact is not None
        if o is None:
            self._fact(F.Fact(kind, name=name, value=plain(value), other=other))
            return
        g = o.gen if gen is None else gen
        self._fact(F.Fact(kind, o.oid, g, o.kind, name, plain(value), other))

    # -- objects -------------------------------------------------------------------------------

    def new(self, kind: str, fields: dict[str, Any]) -> Obj:
        oid = len(self.objs) + 1
        o = Obj(oid, kind, 1, fields)
        self.objs[oid] = o
        if self.facts_on:
            self.fact(F.ALLOC, o)
        return o

    def ref(self, o: Obj) -> Ref:
        return (o.oid, o.gen)

    def alloc(self, cx: Step, kind: str, fields: dict[str, Any]) -> Obj:
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
                self.wrote(cx, o, "(alloc)", "reused")
                if self.facts_on:
                    self.fact(F.REUSE, o)
                return o
        return self.new(kind, fields)

    def free(self, cx: Step, o: Obj) -> None:
        o.state = FREE
        o.freed_step = cx.step
        self.free_lists.setdefault(o.kind, []).append(o.oid)
        self.wrote(cx, o, "(free)", "FREE")
        if self.facts_on:
            self.fact(F.FREE, o)

    def gp_free(self, cx: Step, o: Obj) -> None:
        """A call_rcu'd object at the end of its grace period: FREE and back in its slab."""
        o.state = FREE
        o.gp_end_step = cx.step
        self.free_lists.setdefault(o.kind, []).append(o.oid)
        self.wrote(cx, o, "(gp end)", "FREE")
        if self.facts_on:
            self.fact(F.FREE, o, "(gp end)")

    def deref(self, cx: Step, ref: Ref, why: str = "") -> Obj:
        """Use a pointer an actor loaded earlier. Use after free is INV-UAF-1/2; a typesafe
        object may be read after free (it is still of its type) but not after its memory went
        back to the page allocator; a struct page is never freed (NEVER_FREED)."""
        oid, gen = ref
        o = self.objs[oid]
        actor = cx.actor
        self.frames[actor].touched[oid] = None
        if o.gen == gen and o.state != FREE:
            if self.facts_on:
                self.fact(F.READ, o, why)
            return o
        if (
            self.typesafe_uaf
            and o.kind in TYPESAFE
            and o.state == FREE
            and (self.frames[actor].rcu == 0 or self.frames[actor].rcu_step > o.freed_step)
        ):
            raise Violation(
                "INV-UAF-2",
                f"use after free of {o.kind}#{oid} gen {gen} by {self.names[actor]} at "
                f"{cx.label}: freed at step {o.freed_step}, and no RCU read-side section held "
                f"since then keeps its slab page",
            )
        if o.kind in TYPESAFE or o.kind in NEVER_FREED:
            if self.facts_on:
                self.fact(F.STALE, o, why, gen=gen)
            return o
        if o.gp_end_step >= 0 or o.state == RCU_PENDING:
            raise Violation(
                "INV-UAF-2",
                f"use after free of {o.kind}#{oid} gen {gen} by {self.names[actor]} at "
                f"{cx.label}: freed at step {o.freed_step}, GP ended at step {o.gp_end_step}",
            )
        raise Violation(
            "INV-UAF-1",
            f"use after free of {o.kind}#{oid} gen {gen} by {self.names[actor]} at {cx.label}",
        )

    def wrote(self, cx: Step, o: Obj, fld: str, value: Any) -> None:
        self.wseq += 1
        o.wseq = self.wseq
        o.wactor = cx.actor
        h = o.history
        h.append((fld, repr(value), cx.label, cx.step))
        if len(h) > HISTORY * 4:
            del h[: len(h) - HISTORY * 4]
        if self.facts_on and not fld.startswith("("):
            self.fact(F.WRITE, o, fld, value)

    def set(self, cx: Step, o: Obj, fld: str, value: Any) -> None:
        o.f[fld] = value
        self.wrote(cx, o, fld, value)

    def read_value(self, o: Obj, fld: str) -> Any:
        v = o.f[fld]
        if fld in POINTERS and v is not None:
            t = self.objs[v]
            v = (v, t.gen)
        if self.facts_on:
            self.fact(F.READ, o, fld, v)
        return v

    # -- parking -------------------------------------------------------------------------------

    def park(self, cx: Step, what: str, key: LockKey | None, idle: bool = False) -> Any:
        self.frames[cx.actor].waiting = (what, key, idle)
        return PARKED

    def wake(self, actor: int) -> None:
        self.frames[actor].waiting = None
        assert self.ctl is not None
        self.ctl.wake(actor)
        if self.facts_on:
            self.fact(F.WAKE, other=actor)

    # -- names ---------------------------------------------------------------------------------

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

    def show(self, k: str, v: Any) -> str:
        if k in POINTERS and isinstance(v, int):
            t = self.objs.get(v)
            return t.name() if t else f"#{v}"
        if isinstance(v, dict) and len(v) > 6:
            return f"{{{len(v)} entries}}"
        return repr(v)
