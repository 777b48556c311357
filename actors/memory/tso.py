"""TSO (x86): one memory plus a FIFO store buffer per CPU (weak-memory.md section 4).

- A store (WRITE_ONCE, release, unlock, atomic_set) appends to its CPU's buffer.
- A load reads the CPU's newest buffered store to the location, else memory.
- ``smp_mb``, the ``smp_mb__*`` fences and every lock-prefixed operation (all RMWs, value-
  returning and void, failed or not; spin_lock; spin_trylock) drain the CPU's own buffer first.
  rmb, wmb, acquire and release are compiler barriers only.
- Drains are choices made when they can be observed: before a CPU reads a location that another
  CPU has buffered, ``tso.drain`` decides, one buffer head at a time, which other buffers drain
  (0 = drain everything, oldest store first: the SC answer; the last value = stop draining).
  Remaining buffers drain at the end of the run, again by choice (0 = the oldest store first).
- A CPU that waits for a lock has drained its buffer (parking is a context switch); a spinning
  locker sees the holder's buffered unlock (it spins until it drains).
- A grace period ends only after every other CPU drained its buffer (the quiescent state that
  reports it is a full barrier).

Facts (runs that ask for them): ``tso_buffer`` where a store enters its CPU's buffer and
``tso_drain`` where it reaches memory (stated in the step that drained it: the CPU's own fence,
RMW or lock, or another CPU's load that chose the drain; drains at the end of the run belong to
no step and are not stated). Both name the location (``oid``, ``name``; ``okind`` "lock" for a
lock word), the buffering CPU (``other``) and the value stored. A buffer is FIFO, so the n-th
drain of a CPU is its n-th buffered store.

Known deviation from the design page: a CPU's buffer is not drained when its actor finishes (that
would make every store of a thread's last step visible at once and hide store buffering); the
end of the run drains instead.
"""

from __future__ import annotations

from collections.abc import Hashable

from actors.memory.base import STRONG_FENCES, LoadOrder, Loc, StoreOrder, Value, loc_key
from actors.memory.flat import FlatMemory
from emulator.engine.facts import Fact

TSO_BUFFER = "tso_buffer"  # fact: a store entered its CPU's store buffer
TSO_DRAIN = "tso_drain"  # fact: a buffered store reached memory (visible to every CPU)

Entry = tuple[int, Loc, Value]  # (issue number, location, value)


class TSO(FlatMemory):
    mode = "TSO"

    def __init__(self) -> None:
        super().__init__()
        self.buf: dict[int, list[Entry]] = {}
        self.seq = 0

    # -- memory and buffers ---------------------------------------------------------------------
    def _buffer(self, cpu: int) -> list[Entry]:
        b = self.buf.get(cpu)
        if b is None:
            b = self.buf[cpu] = []
        return b

    def _state(self, kind: str, cpu: int, loc: Loc, value: Value) -> None:
        if self.fact is None:
            return
        oid, okind, name = 0, "", str(loc)
        if isinstance(loc, tuple) and len(loc) == 2 and isinstance(loc[0], int):
            oid, name = loc[0], str(loc[1])
        elif isinstance(loc, tuple) and len(loc) == 3 and isinstance(loc[1], int):
            oid, okind, name = loc[1], str(loc[0]), str(loc[2])
        self.fact(Fact(kind, oid, 0, okind, name, value, cpu))

    def _drain_head(self, cpu: int) -> None:
        _seq, loc, value = self.buf[cpu].pop(0)
        self.mem[loc] = value
        self._state(TSO_DRAIN, cpu, loc, value)

    def _drain_own(self, cpu: int) -> None:
        b = self.buf.get(cpu)
        while b:
            self._drain_head(cpu)

    def _drain_all(self, cpus: list[int]) -> None:
        """Drain these CPUs' buffers completely, oldest store first (the SC order)."""
        while True:
            heads = [(self.buf[c][0][0], c) for c in cpus if self.buf.get(c)]
            if not heads:
                return
            self._drain_head(min(heads)[1])

    def _nonempty(self, exclude: int) -> list[int]:
        """Other CPUs with buffered stores, oldest head first."""
        heads = [(b[0][0], c) for c, b in self.buf.items() if b and c != exclude]
        return [c for _s, c in sorted(heads)]

    def _settle(self, cpu: int, loc: Loc) -> None:
        """Before ``cpu`` reads ``loc`` from memory: choose which other buffers have drained."""
        while True:
            others = self._nonempty(cpu)
            if not any(e[1] == loc for c in others for e in self.buf[c]):
                return
            v = self.choose(len(others) + 2, "tso.drain")
            if v == 0:
                self._drain_all(others)
                return
            if v == len(others) + 1:
                return
            self._drain_head(others[v - 1])

    def _forced(self, cpu: int, loc: Loc) -> None:
        """Drain the other CPUs up to their last buffered store to ``loc`` (a spinner waits for
        it anyway)."""
        for c in self._nonempty(cpu):
            b = self.buf[c]
            while any(e[1] == loc for e in b):
                self._drain_head(c)

    # -- accesses -------------------------------------------------------------------------------
    def load(
        self, cpu: int, loc: Loc, order: LoadOrder = "once", dep: object = None
    ) -> tuple[Value, object]:
        for _s, lc, value in reversed(self.buf.get(cpu, ())):
            if lc == loc:
                return value, None
        self._settle(cpu, loc)
        return self._get(loc), None

    def store(
        self,
        cpu: int,
        loc: Loc,
        value: Value,
        order: StoreOrder = "once",
        dep: object = None,
        ctrl: object = None,
    ) -> None:
        self.seq += 1
        self._buffer(cpu).append((self.seq, loc, value))
        self._state(TSO_BUFFER, cpu, loc, value)

    def fence(self, cpu: int, kind: str) -> None:
        # x86's srcu_read_unlock has a full barrier inside; draining at the fence after it is
        # at least as strong as LKMM's [Srcu-unlock] ; fencerel(After-srcu-read-unlock).
        if kind in STRONG_FENCES or kind == "after_srcu_read_unlock":
            self._drain_own(cpu)

    def _before_rmw(self, cpu: int, loc: Loc) -> None:
        # A lock prefix drains the own buffer; what others buffered is a drain choice as for
        # any read of memory.
        self._drain_own(cpu)
        self._settle(cpu, loc)

    def lock(self, cpu: int, loc: Loc) -> bool:
        self._drain_own(cpu)
        self._forced(cpu, loc)
        return self._take(loc)

    def trylock(self, cpu: int, loc: Loc) -> bool:
        self._before_rmw(cpu, loc)
        return self._take(loc)

    def unlock(self, cpu: int, loc: Loc) -> None:
        self.store(cpu, loc, 0, "release")

    def gp_start(self, cpu: int, domain: Loc | None = None) -> None:
        self._drain_own(cpu)
        self.tracker(domain).start(cpu)

    def gp_end(self, cpu: int, domain: Loc | None = None) -> bool:
        self._drain_own(cpu)
        rcu = self.tracker(domain)
        if rcu.blocking(cpu):
            return False
        rcu.end(cpu)
        self._drain_all(self._nonempty(cpu))
        return True

    def finish(self) -> None:
        while True:
            others = self._nonempty(-1)
            if not others:
                return
            self._drain_head(others[self.choose(len(others), "tso.drain")])

    def _locs(self) -> set[Loc]:
        locs = super()._locs()
        for b in self.buf.values():
            locs.update(e[1] for e in b)
        return locs

    def digest(self) -> Hashable:
        # Issue numbers only matter by their order: rank them so equal states hash equal.
        seqs = sorted(e[0] for b in self.buf.values() for e in b)
        rank = {s: i for i, s in enumerate(seqs)}
        bufs = tuple(
            (c, tuple((rank[s], loc_key(lc), v) for s, lc, v in b))
            for c, b in sorted(self.buf.items())
            if b
        )
        return (self._mem_key(), bufs, self.rcu_key())
