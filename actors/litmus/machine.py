"""Litmus threads as actors: the hub-side interpreter and the ``Model`` the engine drives.

Each thread is one actor whose program is a loop of ``step`` requests; the hub interprets the
thread: it runs register arithmetic and ``if`` locally, then performs exactly one memory access
per step on the memory model (SC, TSO or WEAK). The reply names what was done and the label of
the thread's next step (None: the thread is finished).

Early stores (weak-memory.md section 3, WEAK only): at each step the interpreter may instead
issue a later plain store of the thread (choice ``ooo.issue``, 0 = in order) among those
``early.early_candidates`` allows. This is what produces load buffering. Expressions are
evaluated by ``evaluate``.

The check can be stopped between steps (a signal): ``stop`` is asked before every step, and
when it says so the step raises ``Stopped`` instead, which ends the run and the search.

At the end of the run the final state is checked: the ``filter`` first, then the condition; an
``exists`` (or ``~exists``) whose proposition holds, or a ``forall`` whose proposition fails,
raises the violation ``LITMUS-EXISTS`` / ``LITMUS-FORALL`` — so a witness is an ordinary failing
run that replay, shrink and explain understand.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from actors.litmus.early import early_candidates, passable_brackets
from actors.litmus.evaluate import Reg, evaluate, truth
from actors.litmus.primitives import rmw_apply
from actors.litmus.syntax import (
    Expr,
    LitmusSyntaxError,
    LitmusTest,
    Name,
    Op,
    State,
    Stop,
    Stopped,
    Thread,
    Undefined,
    Unsupported,
    atoms,
    holds,
)
from actors.memory.base import MemoryModel, Srcu, Value
from emulator.engine.runtime import PARKED, ActorSpec, Control, Port, WaitInfo
from emulator.engine.violations import Violation


class ThreadState:
    __slots__ = ("cont", "ctrl", "done", "issued", "parked", "regs", "srcu", "waits")

    def __init__(self, cont: tuple[int, ...], regs: dict[str, Reg]) -> None:
        self.cont = cont
        self.regs = regs
        # Per pending op inside a taken branch: the token of the conditions of the ifs around
        # it (its control dependency; herd7 ends one at the end of the if).
        self.ctrl: dict[int, object] = {}
        # Registers holding an index srcu_read_lock returned: the SRCU section it names.
        self.srcu: dict[str, int] = {}
        self.issued: frozenset[int] = frozenset()
        self.done = False
        self.waits: str | None = None  # what it waits for (set from parking to the retry)
        self.parked = False  # parked and not woken yet (mirrors the runtime's flag)


class LitmusModel:
    """The hub: owns the memory model and every thread's interpreter state."""

    def __init__(
        self,
        test: LitmusTest,
        memory: MemoryModel,
        early_stores: bool,
        stop: Stop | None = None,
    ) -> None:
        self.test = test
        self.mem = memory
        self.early = early_stores
        self.passable = passable_brackets(test.threads)  # op kinds an early store may pass
        self.stop = stop
        for var, v in test.init.items():
            memory.init(var, v)
        self.threads: list[ThreadState] = []
        for th in test.threads:
            regs: dict[str, Reg] = {
                r: (v, None) for (t, r), v in test.reg_init.items() if t == th.tid
            }
            ts = ThreadState(th.body, regs)
            self.threads.append(ts)
            self._locals(th, ts)
        # What is being applied: None between steps; else the actor and the op under way. With
        # it, the state at a choice inside a step is still described exactly by the digest.
        self._doing: tuple[object, ...] | None = None
        self.final_state: State | None = None
        self.passed_filter = False
        self.observed = False  # the condition's proposition holds in the final state
        self.satisfied = False

    # -- the engine's Model protocol ------------------------------------------------------------
    def bind(self, control: Control, actor_names: Sequence[str]) -> None:
        self.ctl = control
        self.mem.bind(control.choose, control.fact if control.facts_on else None)

    def first_label(self, tid: int) -> str | None:
        return self._label(self.test.threads[tid], self.threads[tid])

    def apply(self, actor: int, op: str, label: str, args: tuple[Any, ...], resumed: bool) -> Any:
        if self.stop is not None and self.stop():
            raise Stopped()
        self._doing = (actor, "issue")
        try:
            return self._step(actor, resumed)
        finally:
            self._doing = None

    def wait_info(self, actor: int) -> WaitInfo:
        return WaitInfo(self.threads[actor].waits or "?", None)

    def actor_exit(self, actor: int) -> None:
        pass

    def finish(self) -> None:
        self._doing = ("finish",)
        try:
            self.mem.finish()
        finally:
            self._doing = None
        state = self.state()
        self.final_state = state
        t = self.test
        if t.filter is not None and not holds(t.filter, state):
            return
        self.passed_filter = True
        p = self.observed = holds(t.cond, state)
        shown = " ".join(f"{_where(k)}={v}" for k, v in _shown(state, t))
        if t.quantifier == "forall":
            self.satisfied = not p
            if not p:
                raise Violation("LITMUS-FORALL", f"forall ({t.cond_text}) fails: {shown}")
        else:
            self.satisfied = p
            if p:
                raise Violation("LITMUS-EXISTS", f"exists {t.cond_text} holds: {shown}")

    def describe(self, op: str, args: tuple[Any, ...], result: Any) -> str:
        if isinstance(result, list | tuple) and result:
            return str(result[0])
        return f"{op}{tuple(args)!r}"

    # -- state ------------------------------------------------------------------------------------
    def state(self) -> State:
        out: State = {}
        for var in self.test.variables:
            out[(None, var)] = self.mem.final(var)
        for th, ts in zip(self.test.threads, self.threads, strict=True):
            for r in sorted(th.registers):
                if not r.startswith("%"):
                    out[(th.tid, r)] = ts.regs.get(r, (0, None))[0]
        return out

    def digest(self) -> Hashable | None:
        """The whole state: memory, every thread's program and registers, and the op under way
        when asked from inside a step (the memory models make their choices before changing
        anything, so the state plus the op under way decide the rest of the step)."""
        key = self.mem.token_key
        threads = tuple(
            (
                ts.cont,
                tuple(sorted(ts.issued)),
                tuple((i, key(tok)) for i, tok in sorted(ts.ctrl.items())),
                tuple(sorted(ts.srcu.items())),
                tuple((r, v, key(tok)) for r, (v, tok) in sorted(ts.regs.items())),
                ts.done,
                ts.waits,
                ts.parked,
            )
            for ts in self.threads
        )
        return (self.mem.digest(), threads, self._doing)

    # -- interpretation ---------------------------------------------------------------------------
    def _step(self, tid: int, resumed: bool) -> Any:
        th = self.test.threads[tid]
        ts = self.threads[tid]
        op = th.ops[ts.cont[0]]
        if self.early and not resumed:
            cands = early_candidates(
                th, ts.cont, ts.issued, lambda e: self._eval(th, ts, e)[0], self.passable
            )
            if cands:
                v = self.ctl.choose(len(cands) + 1, "ooo.issue")
                if v:
                    early = th.ops[cands[v - 1]]
                    self._doing = (tid, early.id, "early")
                    done = self._store(tid, th, ts, early)
                    ts.issued = ts.issued | {early.id}
                    ts.ctrl.pop(early.id, None)
                    return [f"{done} (issued early)", self._label(th, ts)]
        self._doing = (tid, op.id)
        text = self._access(tid, th, ts, op)
        if text is None:
            ts.waits = f"{op.text} [{op.kind}]"
            ts.parked = True
            return PARKED
        ts.waits = None
        ts.cont = ts.cont[1:]
        ts.ctrl.pop(op.id, None)
        self._locals(th, ts)
        return [text, self._label(th, ts)]

    def _label(self, th: Thread, ts: ThreadState) -> str | None:
        if not ts.cont:
            ts.done = True
            return None
        op = th.ops[ts.cont[0]]
        return f"P{th.tid}:{op.line}"

    def _locals(self, th: Thread, ts: ThreadState) -> None:
        """Run register arithmetic and ifs up to the next access not issued early."""
        while ts.cont:
            oid = ts.cont[0]
            op = th.ops[oid]
            if oid in ts.issued:
                ts.cont = ts.cont[1:]
            elif op.kind == "local":
                assert op.dst is not None and op.expr is not None
                ts.regs[op.dst] = self._eval(th, ts, op.expr, op)
                # A copy of an SRCU index names the same section; anything else names none.
                e = op.expr
                section = ts.srcu.get(e.name) if isinstance(e, Name) else None
                if section is None:
                    ts.srcu.pop(op.dst, None)
                else:
                    ts.srcu[op.dst] = section
                ts.cont = ts.cont[1:]
            elif op.kind == "if":
                assert op.expr is not None
                value, tok = self._eval(th, ts, op.expr, op)
                branch = op.then if truth(value) else op.orelse
                tok = self.mem.join(ts.ctrl.pop(oid, None), tok)
                if tok is not None:
                    for i in branch:
                        ts.ctrl[i] = tok
                ts.cont = branch + ts.cont[1:]
            else:
                return

    def _eval(self, th: Thread, ts: ThreadState, e: Expr, op: Op | None = None) -> Reg:
        try:
            return evaluate(e, th.registers, ts.regs, self.mem.join)
        except Undefined as exc:
            where = f"P{th.tid}" if op is None else f"P{th.tid} line {op.line}"
            raise LitmusSyntaxError(f"{where}: {exc}") from None

    def _addr(self, th: Thread, ts: ThreadState, op: Op) -> tuple[str, object]:
        assert op.addr is not None
        v, tok = self._eval(th, ts, op.addr, op)
        if not isinstance(v, str):
            raise Violation("LITMUS-DEREF", f"P{th.tid}: {op.text}: dereferences {v!r}")
        return v, tok

    def _store(self, tid: int, th: Thread, ts: ThreadState, op: Op) -> str:
        loc, atok = self._addr(th, ts, op)
        assert op.expr is not None
        v, vtok = self._eval(th, ts, op.expr, op)
        release = op.order == "release"
        deps = self.mem.join(atok, vtok)
        self.mem.store(tid, loc, v, "release" if release else "once", deps, ts.ctrl.get(op.id))
        return f"{op.text}  [{loc} := {v}]"

    def _access(self, tid: int, th: Thread, ts: ThreadState, op: Op) -> str | None:
        """Perform ``op``; a description, or None when the thread must wait."""
        mem = self.mem
        k = op.kind
        if op.dst is not None:
            ts.srcu.pop(op.dst, None)  # overwritten (an srcu_read_lock sets it again below)
        if k == "store":
            return self._store(tid, th, ts, op)
        if k == "load":
            loc, atok = self._addr(th, ts, op)
            acq = op.order == "acquire"
            v, tok = mem.load(tid, loc, "acquire" if acq else "once", atok)
            assert op.dst is not None
            ts.regs[op.dst] = (v, tok)
            return f"{op.text}  [{loc} = {v}]"
        if k == "fence":
            mem.fence(tid, op.order)
            return op.text
        if k == "rmw":
            loc, atok = self._addr(th, ts, op)
            args = [self._eval(th, ts, a, op)[0] for a in op.args]
            deps = atok
            for a in op.args:
                deps = mem.join(deps, self._eval(th, ts, a, op)[1])
            order = {"acquire": "acquire", "release": "release", "relaxed": "relaxed"}.get(
                op.order, "full"
            )
            old, wrote, tok = mem.rmw(
                tid,
                loc,
                lambda o: rmw_apply(op.fn, o, args)[0],
                order,  # type: ignore[arg-type]
                op.void,
                deps,
                ts.ctrl.get(op.id),
            )
            new, ret = rmw_apply(op.fn, old, args)  # ret: what the primitive returns
            if op.dst is not None:
                ts.regs[op.dst] = (ret, tok)
            what = f"{loc}: {old} -> {new}" if wrote else f"{loc} = {old}, no write"
            return f"{op.text}  [{what}]"
        if k in ("lock", "unlock", "trylock", "islocked"):
            loc, _tok = self._addr(th, ts, op)
            if k == "lock":
                if not mem.lock(tid, loc):
                    return None
                return f"{op.text}  [{loc} taken]"
            if k == "unlock":
                mem.unlock(tid, loc)
                self._wake_all()
                return op.text
            assert op.dst is not None
            if k == "trylock":
                ok = mem.trylock(tid, loc)
                ts.regs[op.dst] = (int(ok), None)
                return f"{op.text}  [{'taken' if ok else 'busy'}]"
            held, tok = mem.is_locked(tid, loc)
            ts.regs[op.dst] = (held, tok)
            return f"{op.text}  [{loc} {'locked' if held else 'unlocked'}]"
        # RCU, or SRCU with the srcu_struct the op names as its domain.
        domain = self._addr(th, ts, op)[0] if op.addr is not None else None
        if k == "rcu_lock":
            section = mem.rcu_read_lock(tid, domain)
            if op.dst is not None:
                ts.regs[op.dst] = (0, None)  # srcu_read_lock's index
                if domain is not None:
                    ts.srcu[op.dst] = section
            return op.text
        if k == "rcu_unlock":
            tracker = mem.tracker(domain)
            if not tracker.depth.get(tid, 0):
                # herd7 flags it (unbalanced-rcu-locking); LKMM gives it no meaning.
                raise Unsupported(f"{op.text.rstrip(';')} outside a read-side section (P{tid})")
            idx = op.args[0] if op.args else None
            ended = ts.srcu.get(idx.name) if isinstance(idx, Name) else None
            if ended is not None and isinstance(tracker, Srcu) and not tracker.is_open(tid, ended):
                raise Unsupported(f"{op.text.rstrip(';')} ends a section that has ended (P{tid})")
            mem.rcu_read_unlock(tid, domain, ended)
            self._wake_all()
            return op.text
        if k == "gp_start":
            mem.gp_start(tid, domain)
            return f"{op.text}  [grace period starts]"
        if k == "gp_end":
            if not mem.gp_end(tid, domain):
                return None
            return f"{op.text}  [grace period ends]"
        raise Unsupported(f"op {k}")

    def _wake_all(self) -> None:
        for i, ts in enumerate(self.threads):
            if ts.parked:
                ts.parked = False
                self.ctl.wake(i)


def _where(k: tuple[int | None, str]) -> str:
    return k[1] if k[0] is None else f"{k[0]}:{k[1]}"


def _shown(state: State, t: LitmusTest) -> list[tuple[tuple[int | None, str], Value]]:
    keys: list[tuple[int | None, str]] = []
    for a in atoms(t.cond):
        for k in ((a.tid, a.name), a.other):
            if k is not None and k not in keys:
                keys.append(k)
    return [(k, state.get(k, 0)) for k in keys]


def thread_actors(model: LitmusModel) -> list[ActorSpec]:
    """One actor per thread: it asks the hub for steps until the thread is finished."""
    specs = []
    for th in model.test.threads:
        first = model.first_label(th.tid)

        async def program(port: Port, first: str | None = first) -> None:
            label = first
            while label is not None:
                reply = await port.call("step", label)
                label = reply[1]

        specs.append(ActorSpec(f"P{th.tid}", program))
    return specs
