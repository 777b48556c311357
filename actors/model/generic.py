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


class Generic:
    def __init__(self, core: Core, locks: Locks, reuse_diagnosis: bool = False) -> None:
        self.core = core
        self.locks = locks
        self.reuse_diagnosis = reuse_diagnosis
        self.retries = RetryMonitor()
        self.ended_ops: list[tuple[int, str]] = []
        self.commit_hooks: list[Callable[[Step, Ref, str], None]] = []

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
