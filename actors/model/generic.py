"""Generic steps on any object (kernel-scenarios.md 2.2): READ_ONCE / WRITE_ONCE, atomics, the
commit of a pointer loaded earlier, op brackets, retries (livelock detection), labelled notes
and scenario-level reports.

Whoever must know that an actor committed to a pointer (anon_vma's INV-AV-1 bookkeeping)
registers in ``commit_hooks``; they run after the generic INV-ID-1 check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actors.model.core import Core, Step
from actors.model.locks import Locks
from actors.model.ops import op
from actors.objects import POINTERS, REFCOUNTS, Ref
from emulator.engine import facts as F
from emulator.engine.livelock import RetryMonitor
from emulator.engine.violations import Violation

ALL_DONE = 1 << 30  # complete_all: UINT_MAX in the kernel


class Generic:
    def __init__(self, core: Core, locks: Locks, reuse_diagnosis: bool = False) -> None:
        self.core = core
        self.locks = locks
        self.reuse_diagnosis = reuse_diagnosis
        self.retries = RetryMonitor()
        self.ended_ops: list[tuple[int, str]] = []
        self.commit_hooks: list[Callable[[Step, Ref, str], None]] = []
        self._waiters: dict[int, list[int]] = {}  # completion oid -> parked actors

    @op
    def read(self, cx: Step, ref: Ref, fld: str) -> Any:
        """READ_ONCE(obj->field)."""
        return self.core.read_value(self.core.deref(cx, ref), fld)

    @op
    def write(self, cx: Step, ref: Ref, fld: str, value: Any) -> None:
        """WRITE_ONCE(obj->field, value); pointer values are given as refs."""
        o = self.core.deref(cx, ref)
        if isinstance(value, (tuple, list)) and fld in POINTERS:
            value = value[0]
        self.core.set(cx, o, fld, value)

    @op
    def atomic_read(self, cx: Step, ref: Ref, fld: str) -> int:
        return int(self._atomic(cx, ref, fld, "read"))

    @op
    def atomic_inc(self, cx: Step, ref: Ref, fld: str) -> int:
        return int(self._atomic(cx, ref, fld, "inc"))

    @op
    def atomic_dec(self, cx: Step, ref: Ref, fld: str) -> int:
        return int(self._atomic(cx, ref, fld, "dec"))

    @op
    def atomic_inc_not_zero(self, cx: Step, ref: Ref, fld: str) -> bool:
        return bool(self._atomic(cx, ref, fld, "inc_not_zero"))

    @op
    def atomic_dec_and_test(self, cx: Step, ref: Ref, fld: str) -> bool:
        return bool(self._atomic(cx, ref, fld, "dec_and_test"))

    def _atomic(self, cx: Step, ref: Ref, fld: str, how: str) -> Any:
        o = self.core.deref(cx, ref)
        v = o.f[fld]
        if how == "read":
            return v
        if how == "inc_not_zero":
            if v == 0:
                return False
            self.core.set(cx, o, fld, v + 1)
            return True
        if how == "inc":
            if v == 0 and fld in REFCOUNTS:
                raise Violation("INV-REF-2", f"get on zero-count {o.gname()} (resurrection)")
            self.core.set(cx, o, fld, v + 1)
            return v + 1
        if how in ("dec", "dec_and_test"):
            if v <= 0 and fld in REFCOUNTS:
                raise Violation("INV-REF-1", f"refcount underflow on {o.gname()} ({fld})")
            self.core.set(cx, o, fld, v - 1)
            return v - 1 == 0 if how == "dec_and_test" else v - 1
        raise ValueError(how)

    @op
    def cmpxchg(self, cx: Step, ref: Ref, fld: str, old: Any, new: Any) -> Any:
        """cmpxchg(&obj->field, old, new): the value found; the store happened iff it equals
        ``old``. Pointer fields take and return refs."""
        o = self.core.deref(cx, ref)
        cur = self.core.read_value(o, fld)
        if cur == old or (fld in POINTERS and isinstance(old, (tuple, list)) and cur == tuple(old)):
            value = new[0] if fld in POINTERS and isinstance(new, (tuple, list)) else new
            self.core.set(cx, o, fld, value)
        return cur

    @op
    def test_and_set_bit(self, cx: Step, ref: Ref, fld: str, bit: int) -> bool:
        """test_and_set_bit(bit, &obj->field): the old bit; the bit is set either way."""
        o = self.core.deref(cx, ref)
        v = int(o.f.get(fld, 0))
        if not v >> bit & 1:
            self.core.set(cx, o, fld, v | 1 << bit)
        return bool(v >> bit & 1)

    @op
    def clear_bit(self, cx: Step, ref: Ref, fld: str, bit: int) -> None:
        """clear_bit(bit, &obj->field) (clear_bit_unlock: the same here, SC)."""
        o = self.core.deref(cx, ref)
        v = int(o.f.get(fld, 0))
        if v >> bit & 1:
            self.core.set(cx, o, fld, v & ~(1 << bit))

    # -- a generic completion (include/linux/completion.h) ----------------------------------

    @op
    def wait_for_completion(self, cx: Step, ref: Ref) -> Any:
        """wait_for_completion(&obj->done): sleep until complete() has been called more often
        than it was consumed, then consume one (complete_all: never consumed)."""
        o = self.core.deref(cx, ref)
        if not cx.resumed:
            self.locks.sleeps(cx, "wait_for_completion")
        done = int(o.f.get("done", 0))
        if done > 0:
            if done < ALL_DONE:
                self.core.set(cx, o, "done", done - 1)
            return None
        self._waiters.setdefault(o.oid, []).append(cx.actor)
        return self.core.park(cx, f"wait_for_completion({o.name()})", None)

    @op
    def complete(self, cx: Step, ref: Ref, all_waiters: bool = False) -> None:
        """complete(&obj->done) wakes one waiter; complete_all (``all_waiters``) wakes every
        waiter and every later wait returns at once."""
        o = self.core.deref(cx, ref)
        done = int(o.f.get("done", 0))
        self.core.set(cx, o, "done", ALL_DONE if all_waiters else min(done + 1, ALL_DONE))
        waiters = self._waiters.get(o.oid, [])
        while waiters:
            self.core.wake(waiters.pop(0))
            if not all_waiters:
                break

    @op
    def commit(self, cx: Step, ref: Ref, what: str) -> None:
        """The actor acts on a pointer it loaded earlier (returns it, keys on it, unlocks through
        it). If the object was reallocated since the load, that is INV-ID-1."""
        oid, gen = ref
        o = self.core.objs[oid]
        if o.gen != gen:
            if self.core.facts_on:  # the use of a stale pointer is the fact the report needs
                self.core.fact(F.STALE, o, what, gen=gen)
            text = (
                f"type-safe reuse: {o.kind}#{oid} was gen {gen} when loaded, gen {o.gen} at use "
                f"{cx.label} ({what})"
            )
            if not self.reuse_diagnosis:
                raise Violation("INV-ID-1", text)
            self.core.diagnoses.append(f"INV-ID-1 (diagnosis) at step {cx.step}: {text}")
        for hook in self.commit_hooks:
            hook(cx, ref, what)

    @op
    def begin(self, cx: Step, name: str) -> None:
        self.core.frames[cx.actor].ops.append((name, cx.step))

    @op
    def end(self, cx: Step, name: str) -> None:
        core = self.core
        fr = core.frames[cx.actor]
        opname, begin = fr.ops.pop()
        for key, (step, label) in fr.held.items():
            if step >= begin:
                raise Violation(
                    "INV-LOCK-2",
                    f"lock {core.lock_name(key)} leaked by {fr.name} at end of {opname} "
                    f"(taken at {label}, step {step})",
                )
        self.ended_ops.append((cx.actor, opname))

    @op
    def might_sleep(self, cx: Step, what: str) -> None:
        self.locks.sleeps(cx, what)

    @op
    def retry(self, cx: Step, detail: str = "") -> None:
        """`goto again`: INV-LIVE-1 if nothing another actor wrote to what we examined."""
        core = self.core
        actor = cx.actor
        fr = core.frames[actor]
        base = fr.retry_wseq
        changed = any(
            core.objs[oid].wseq > base and core.objs[oid].wactor != actor for oid in fr.touched
        )
        fr.touched.clear()
        fr.retry_wseq = core.wseq
        self.retries.note(actor, cx.label, changed, detail)

    @op
    def report(self, cx: Step, oracle: str, message: str) -> None:
        """A scenario-level oracle decided from actor-side results (e.g. a spurious EFAULT)."""
        raise Violation(oracle, message)

    @op
    def note(self, cx: Step, what: str, value: Any = None) -> Any:
        """A labelled local event (no shared state): shows up in the interleaving."""
        return value
