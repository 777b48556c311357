"""Memory modes for scenario actors (weak-memory.md section 2): weak locations, barriers,
atomics with their orderings, and what locks do to memory under TSO and WEAK.

A *weak location* is one field of one object, declared at setup with ``Memory.weak(obj, fld)``
(``PageCacheModel.weak``). Every access to it goes through the run's memory model
(``actors/memory``, mode from ``ModelOptions.mem``): the ops of this component, the generic ops
``read``/``write``/``atomic_*`` when they name a weak location, and ``page_mapped`` of a page
whose ``_mapcount`` is weak (the ordering protocol's count of 004c; the field ``mapcount`` stays
the pte count that compound steps check). The model routes them here; on any other field they
are what they always were. Fields that are not declared weak stay SC.

In TSO and WEAK every acquisition and release done by ``actors/model/locks.py`` (spin, mutex,
page lock, trylocks, hand-overs) also acts on the lock word in the memory model, as an
acquire RMW and a release store; Locks still decides who owns a lock, the lock word follows it.
Reads of a lock word (``spin_is_locked``, ``mutex_is_locked``, ``page_locked``) read the memory
model and may be stale. In SC nothing is routed or wrapped, so every SC run of a scenario without
weak locations is exactly the run it was before this component existed.

Strengthenings (the model may miss an outcome LKMM allows, never the reverse):

- Dependencies of actor code live in Python and cannot be seen, so every store and RMW of a CPU
  is ordered after everything its earlier loads read (it is placed after the views of the
  messages they returned): a store is never placed before an earlier load of the same CPU.
- Compound steps of the model (pte install, page-cache delete, kmem_cache_free ...) stay atomic
  and read the newest message: ``obj.f[field]`` always holds it (under TSO: memory, not the
  store buffers). A compound step that writes a weak field directly (pte_zap's
  page_remove_rmap) changes only that newest value, not the memory model.
- A trylock reads the newest lock word (it succeeds exactly when the lock is free).
- RCU read-side sections and grace periods of actors/model/rcu.py move no views.

Every weak behaviour is a choice of the memory model (``mm.read``, ``mm.place``,
``tso.drain``), value 0 = the SC answer. A load that returns something older than the newest
store is noted (fact ``stale_read``, the report's memory section, and the violation message):
which load, which store it missed, and why (store buffer under TSO, no barrier pair under WEAK);
``stale.py`` keeps who wrote each store and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actors.memory import TSO, MemoryModel, make_memory
from actors.memory.base import Loc, RmwOrder, Update, Value
from actors.model.core import Core, LockKey, Step
from actors.model.locks import Locks
from actors.model.options import ModelOptions
from actors.model.stale import StaleReads
from actors.objects import POINTERS, REFCOUNTS, Obj, Ref
from emulator.engine import facts as F
from emulator.engine.runtime import Control
from emulator.engine.violations import Violation

# Generic ops that name (ref, field) and go to the memory model when the field is weak.
FIELD_OPS = (
    "read",
    "write",
    "atomic_read",
    "atomic_inc",
    "atomic_dec",
    "atomic_inc_not_zero",
    "atomic_dec_and_test",
    "cmpxchg",
)
# Reads of lock words answered by the memory model outside SC.
LOCK_READS = ("mutex_is_locked", "mutex_is_locked_via", "page_locked", "spin_is_locked")

Fn = Callable[..., Any]


def lock_loc(key: LockKey) -> Loc:
    return ("lock", key[0], key[1])


class Memory:
    def __init__(self, core: Core, locks: Locks, options: ModelOptions) -> None:
        self.core = core
        self.locks = locks
        self.mode = options.mem.upper()
        self.mem: MemoryModel = make_memory(self.mode)
        self.weak_locs: dict[Loc, None] = {}
        self.seen: dict[int, object] = {}  # cpu -> join of the tokens its loads returned
        self.stale = StaleReads(core, self.mem, self.mode)  # who wrote what; stale reads

    @property
    def weak_mode(self) -> bool:
        return self.mode != "SC"

    # -- setup ---------------------------------------------------------------------------------

    def weak(self, o: Obj, fld: str) -> None:
        """Declare ``o.fld`` a weak location; its current value is the initial one. At setup
        only: binding the run decides whether field ops are routed at all."""
        loc = (o.oid, fld)
        self.weak_locs[loc] = None
        v = o.f[fld]
        self.mem.init(loc, 0 if v is None else v)

    def bind(self, ctl: Control) -> None:
        self.mem.bind(ctl.choose, ctl.fact if ctl.facts_on else None)
        if self.weak_mode:
            for key, lk in sorted(self.locks.locks.items()):
                if lk.owner is not None:  # locked at setup (a page under IO)
                    self.mem.init(lock_loc(key), 1)

    def unbind(self) -> None:
        self.mem.unbind()

    def finish(self) -> None:
        self.mem.finish()

    # -- routing (wired by PageCacheModel) -------------------------------------------------------

    ROUTED = (*FIELD_OPS, "page_mapped")
    """The ops ``routes`` replaces in SC (in weak modes it wraps every op)."""

    def routes(self, ops: dict[str, Fn]) -> dict[str, Fn]:
        """Replacements for existing ops: field ops on weak locations come here; outside SC,
        lock-word reads read the memory model and every op's lock acquisitions and releases
        act on it. Ops not concerned are returned unchanged."""
        out = dict(ops)
        for name in FIELD_OPS:
            out[name] = self._field_route(name, ops[name])
        out["page_mapped"] = self._page_mapped_route(ops["page_mapped"])
        if self.weak_mode:
            out["mutex_is_locked"] = lambda cx, ref: self.is_locked(cx, (ref[0], "lock"))
            out["page_locked"] = lambda cx, page: self.is_locked(cx, (page[0], "PG_locked"))
            out["mutex_is_locked_via"] = self.is_locked_via
            out = {name: self._lock_effects(fn) for name, fn in out.items()}
        return out

    def _field_route(self, name: str, orig: Fn) -> Fn:
        def route(cx: Step, ref: Ref, fld: str, *rest: Any) -> Any:
            if (ref[0], fld) not in self.weak_locs:
                return orig(cx, ref, fld, *rest)
            if name == "read":
                return self.load(cx, ref, fld, "once")
            if name == "write":
                return self.store(cx, ref, fld, rest[0], "once")
            if name == "atomic_read":
                return int(self.load(cx, ref, fld, "once"))
            if name == "atomic_inc":
                return int(self.rmw(cx, ref, fld, lambda v: int(v) + 1, "relaxed", True)[0]) + 1
            if name == "atomic_dec":
                return int(self.rmw(cx, ref, fld, lambda v: int(v) - 1, "relaxed", True)[0]) - 1
            if name == "cmpxchg":  # the value found; a failed cmpxchg is a plain read
                want, new = (x[0] if isinstance(x, (tuple, list)) else x for x in rest[:2])
                found = self.rmw(cx, ref, fld, lambda v: new if v == want else None, "full")[0]
                return self.out(fld, found)
            if name == "atomic_inc_not_zero":
                return self.rmw(cx, ref, fld, lambda v: None if v == 0 else int(v) + 1)[1]
            old = self.rmw(cx, ref, fld, lambda v: int(v) - 1)[0]  # atomic_dec_and_test
            return int(old) - 1 == 0

        return route

    def _page_mapped_route(self, orig: Fn) -> Fn:
        def route(cx: Step, page: Ref) -> Any:
            if (page[0], "_mapcount") not in self.weak_locs:
                return orig(cx, page)
            return int(self.load(cx, page, "_mapcount", "once")) >= 0

        return route

    def _lock_effects(self, fn: Fn) -> Fn:
        core = self.core

        def wrapped(cx: Step, *args: Any) -> Any:
            frames = core.frames  # bound per run
            before = dict(frames[cx.actor].held)
            try:
                res = fn(cx, *args)
            except Violation as v:
                raise self.stale.explained(v) from None
            after = frames[cx.actor].held
            if before.keys() != after.keys():
                self._moved(cx, before, after)
            return res

        return wrapped

    def _moved(self, cx: Step, before: dict[LockKey, Any], after: dict[LockKey, Any]) -> None:
        mem = self.mem
        for key in before:
            if key not in after:
                loc = lock_loc(key)
                mem.unlock(cx.actor, loc)
                self.stale.noted_store(cx, loc, 0)
                owner = self.locks.owner(key)
                if owner is not None and owner >= 0:  # handed over to a waiter
                    mem.lock(owner, loc)
                    self.stale.noted_store(cx, loc, 1, owner)
        for key in after:
            if key not in before:
                mem.lock(cx.actor, lock_loc(key))
                self.stale.noted_store(cx, lock_loc(key), 1)

    # -- the accesses ----------------------------------------------------------------------------

    def _obj(self, cx: Step, ref: Ref) -> Obj:
        return self.core.deref(cx, ref)

    def _loc(self, ref: Ref, fld: str) -> Loc:
        loc = (ref[0], fld)
        if loc not in self.weak_locs:
            raise ValueError(f"{self.core.objs[ref[0]].name()}.{fld} is not a weak location")
        return loc

    def _seen(self, cpu: int, tok: object) -> None:
        self.seen[cpu] = self.mem.join(self.seen.get(cpu), tok)

    def out(self, fld: str, v: Value) -> Any:
        if fld in POINTERS and isinstance(v, int) and v in self.core.objs:
            return (v, self.core.objs[v].gen)
        return v

    def load(self, cx: Step, ref: Ref, fld: str, order: str, keep: bool = True) -> Any:
        o = self._obj(cx, ref)
        loc = self._loc(ref, fld)
        v, tok = self.mem.load(cx.actor, loc, "acquire" if order == "acquire" else "once")
        if keep:
            self._seen(cx.actor, tok)
        self.stale.check(cx, loc, f"{o.name()}->{fld}", v, tok, o)
        if self.core.facts_on:
            self.core.fact(F.READ, o, fld, v)
        return self.out(fld, v)

    def store(self, cx: Step, ref: Ref, fld: str, value: Any, order: str) -> None:
        o = self._obj(cx, ref)
        loc = self._loc(ref, fld)
        if isinstance(value, (tuple, list)):
            value = value[0]  # a pointer, given as a ref
        v: Value = 0 if value is None else value
        dep = self.seen.get(cx.actor)
        self.mem.store(cx.actor, loc, v, "release" if order == "release" else "once", dep)
        self.stale.noted_store(cx, loc, v)
        self._newest(cx, o, fld, loc)

    def rmw(
        self,
        cx: Step,
        ref: Ref,
        fld: str,
        update: Update,
        order: RmwOrder = "full",
        void: bool = False,
    ) -> tuple[Value, bool]:
        o = self._obj(cx, ref)
        loc = self._loc(ref, fld)
        dep = self.seen.get(cx.actor)
        old, wrote, tok = self.mem.rmw(cx.actor, loc, update, order, void, dep)
        self._seen(cx.actor, tok)
        if fld in REFCOUNTS and wrote:
            new = update(old)
            if old == 0 and new == 1:
                raise Violation("INV-REF-2", f"get on zero-count {o.gname()} (resurrection)")
            if isinstance(new, int) and new < 0:
                raise Violation("INV-REF-1", f"refcount underflow on {o.gname()} ({fld})")
        if wrote:
            self.stale.noted_store(cx, loc, update(old) or 0)
            self._newest(cx, o, fld, loc)
        else:
            self.stale.check(cx, loc, f"{o.name()}->{fld}", old, tok, o)
            if self.core.facts_on:
                self.core.fact(F.READ, o, fld, old)
        return old, wrote

    def _newest(self, cx: Step, o: Obj, fld: str, loc: Loc) -> None:
        """Compound steps read the newest message: keep it in the object's field."""
        v = self._newest_value(loc)
        self.core.set(cx, o, fld, v)

    def _newest_value(self, loc: Loc) -> Value:
        mem = self.mem
        if isinstance(mem, TSO):
            best: tuple[int, Value] | None = None
            for b in mem.buf.values():
                for seq, lc, value in b:
                    if lc == loc and (best is None or seq > best[0]):
                        best = (seq, value)
            if best is not None:
                return best[1]
        return mem.final(loc)

    def last_note(self, actor: int) -> str | None:
        return self.stale.last_note(actor)

    def snapshot(self) -> list[str]:
        return self.stale.snapshot()

    # -- lock words ------------------------------------------------------------------------------

    def is_locked_via(self, cx: Step, ref: Ref, fld: str) -> bool:
        """mutex_is_locked(&av->root->mutex): the pointer is read as compound state."""
        target = self.core.deref(cx, ref).f[fld]
        return self.is_locked(cx, (target, "lock"))

    def is_locked(self, cx: Step, key: LockKey) -> bool:
        o = self.core.deref(cx, (key[0], self.core.objs[key[0]].gen))
        loc = lock_loc(key)
        v, tok = self.mem.is_locked(cx.actor, loc)
        self._seen(cx.actor, tok)
        self.stale.check(cx, loc, f"{self.core.lock_name(key)} locked", v, tok, o)
        return bool(v)
