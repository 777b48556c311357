"""Stale reads under TSO and WEAK, in words: who issued each store to a weak location or lock
word, and, for a load that returned something older than the newest store, which store it
missed and why (still in another CPU's store buffer; no barrier pair under WEAK). The notes go
into the violation message, the report's memory section and the ``stale_read`` fact.

``Memory`` (``memory.py``) does the accesses and calls this after each one."""

from __future__ import annotations

from actors.memory import TSO, WEAK, MemoryModel
from actors.memory.base import Loc, Value
from actors.memory.weak import Msg
from actors.model.core import Core, Step
from actors.objects import Obj
from emulator.engine.violations import Violation

STALE_READ = "stale_read"  # fact: a load returned an older value than the newest store

Origin = tuple[int, int, str, Value]  # (actor, step, label, value) of a store


class StaleReads:
    def __init__(self, core: Core, mem: MemoryModel, mode: str) -> None:
        self.core = core
        self.mem = mem
        self.mode = mode
        self.origin_msg: dict[Msg, Origin] = {}  # WEAK: who wrote a message, where
        self.origin_seq: dict[int, Origin] = {}  # TSO: who issued a buffered store
        self.notes: list[str] = []  # stale reads, in words

    def explained(self, v: Violation) -> Violation:
        if not self.notes:
            return v
        return Violation(v.oracle, f"{v.message} [weak memory: {'; '.join(self.notes)}]")

    def noted_store(self, cx: Step, loc: Loc, v: Value, cpu: int | None = None) -> None:
        mem = self.mem
        who = cx.actor if cpu is None else cpu
        origin = (who, cx.step, cx.label, v)
        if isinstance(mem, WEAK):
            c = mem.cpus.get(who)
            if c is not None and loc in c.own:
                self.origin_msg[c.own[loc]] = origin
        elif isinstance(mem, TSO):
            b = mem.buf.get(who)
            if b and b[-1][1] == loc:
                self.origin_seq[b[-1][0]] = origin

    def missed(self, cpu: int, loc: Loc, got: Value, tok: object) -> tuple[Origin, str] | None:
        """The newest store the load did not see, and why, or None if it saw the newest."""
        mem = self.mem
        if isinstance(mem, WEAK):
            co = mem.co.get(loc)
            read = tok.get(loc) if isinstance(tok, dict) else None
            if co and read is None:
                read = co[0]  # the initial message carries no view
            if not co or read is co[-1]:
                return None
            newest = co[-1]
            origin = self.origin_msg.get(newest)
            if origin is None or origin[0] == cpu:
                return None
            return origin, "no barrier pair orders that store before this load (WEAK)"
        if isinstance(mem, TSO):
            for c in sorted(mem.buf):
                if c == cpu:
                    continue
                hits = [e for e in mem.buf[c] if e[1] == loc]
                if hits and hits[-1][2] != got:
                    origin = self.origin_seq.get(hits[-1][0])
                    if origin is None:
                        return None
                    return (
                        origin,
                        f"it is still in {self.core.names[c]}'s store buffer ({self.buffer(c)})",
                    )
        return None

    def buffer(self, cpu: int) -> str:
        mem = self.mem
        assert isinstance(mem, TSO)
        return ", ".join(f"{self.loc_name(lc)} = {v}" for _s, lc, v in mem.buf.get(cpu, ()))

    def loc_name(self, loc: Loc) -> str:
        if isinstance(loc, tuple) and len(loc) == 3:
            o = self.core.objs.get(loc[1])
            base = o.name() if o else f"#{loc[1]}"
            return f"{base}.{loc[2]}"
        if isinstance(loc, tuple) and len(loc) == 2:
            o = self.core.objs.get(loc[0])
            base = o.name() if o else f"#{loc[0]}"
            return f"{base}->{loc[1]}"
        return repr(loc)

    def check(self, cx: Step, loc: Loc, what: str, got: Value, tok: object, o: Obj | None) -> None:
        if self.mode == "SC":
            return
        hit = self.missed(cx.actor, loc, got, tok)
        if hit is None:
            return
        (writer, step, label, value), why = hit
        names = self.core.names
        note = (
            f"{names[cx.actor]} read {what} = {got} at {cx.label} (step {cx.step}); "
            f"{names[writer]}'s store of {value} at step {step} [{label}] was not yet visible "
            f"to it: {why}"
        )
        self.notes.append(note)
        if self.core.facts_on:
            self.core.fact(STALE_READ, o, what, got, other=writer)

    def last_note(self, actor: int) -> str | None:
        """The last stale read of this actor, in words."""
        name = self.core.names[actor] + " read "
        for n in reversed(self.notes):
            if n.startswith(name):
                return n
        return None

    def snapshot(self) -> list[str]:
        if self.mode == "SC":
            return []
        out = [f"memory ({self.mode}):"]
        mem = self.mem
        if isinstance(mem, TSO):
            for c in sorted(mem.buf):
                if mem.buf[c]:
                    out.append(f"  {self.core.names[c]} store buffer: {self.buffer(c)}")
        out.extend(f"  stale: {n}" for n in self.notes)
        return out if len(out) > 1 else []
