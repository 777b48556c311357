"""The interface every memory model offers, and what the three modes share.

A memory model owns the shared memory of a run: locations (opaque, hashable, orderable by
``repr``: ``(oid, field)`` tuples or litmus variable names) and the per-CPU state a mode needs
(store buffers, views). CPUs are actor indices. Every nondeterministic decision goes through the
``choose(n, kind)`` callable handed to ``bind`` (value 0 = the sequentially consistent answer),
so a run whose memory choices are all 0 is an SC run.

A mode may also state facts (``emulator.engine.facts``) about what the caller cannot see, such
as TSO's store buffers; they go to the run's fact sink, found on the run's ``Control`` whose
``choose`` is bound (or passed to ``bind`` as ``fact``), and only when the run asked for facts.
Stating them changes nothing a run does.

Blocking primitives never block here: ``lock`` and ``gp_end`` return False when the CPU must wait,
and the caller parks the actor and calls again when something changed (any ``unlock`` or
``rcu_read_unlock``), exactly as the hub does with its other wait objects.

A load returns its value together with a *dependency token*: pass the join of the tokens of the
registers an address (or a stored value) was computed from as ``dep`` to later accesses, and the
access is ordered after those loads (address and data dependencies). SC and TSO ignore tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Literal

from emulator.engine.facts import Fact

Loc = Hashable
Value = int | str  # str: a pointer, i.e. the name of the location pointed to
Choose = Callable[[int, str], int]
Update = Callable[[Value], Value | None]  # an RMW's new value from the old one; None = fails

LoadOrder = Literal["once", "acquire"]
StoreOrder = Literal["once", "release"]
RmwOrder = Literal["full", "acquire", "release", "relaxed"]
FENCES = ("mb", "rmb", "wmb", "before_atomic", "after_atomic", "after_spinlock", "barrier")
STRONG_FENCES = ("mb", "before_atomic", "after_atomic", "after_spinlock")


def _never(n: int, kind: str) -> int:
    raise RuntimeError(f"memory model asked a {kind} choice before bind()")


def loc_key(loc: Loc) -> str:
    """A total, hash-independent order on locations (for digests and deterministic loops)."""
    return repr(loc)


class MemoryModel:
    """Base class: one subclass per mode (SC, TSO, WEAK). See the module docstring."""

    mode = "?"

    def __init__(self) -> None:
        self.choose: Choose = _never
        self.init_values: dict[Loc, Value] = {}
        self.rcu = Rcu()
        self.srcu: dict[Loc, Rcu] = {}  # SRCU: one domain per srcu_struct, apart from RCU's
        self.fact: Callable[[Fact], None] | None = None  # the run's fact sink, when it asked

    def bind(self, choose: Choose, fact: Callable[[Fact], None] | None = None) -> None:
        """Take choices from ``choose``; facts go to ``fact`` (None: the run keeps none)."""
        self.choose = choose
        self.fact = fact

    def unbind(self) -> None:
        """The run has ended: keep no reference to it (see ``Model.unbind``)."""
        self.choose = _never
        self.fact = None

    # -- setup ----------------------------------------------------------------------------------
    def init(self, loc: Loc, value: Value) -> None:
        """The value ``loc`` holds before the run (default 0). Call before any access."""
        self.init_values[loc] = value

    # -- accesses (each one step of the caller) -------------------------------------------------
    def load(
        self, cpu: int, loc: Loc, order: LoadOrder = "once", dep: object = None
    ) -> tuple[Value, object]:
        raise NotImplementedError

    def store(
        self,
        cpu: int,
        loc: Loc,
        value: Value,
        order: StoreOrder = "once",
        dep: object = None,
        ctrl: object = None,
    ) -> None:
        """A store. ``dep``: the token of what its address and value were computed from (data
        and address dependencies); ``ctrl``: the token of what the ``if`` conditions around it
        were computed from (a control dependency orders a load before a store, LKMM's
        ``ctrl ; [W]``). Models without views ignore both."""
        raise NotImplementedError

    def fence(self, cpu: int, kind: str) -> None:
        raise NotImplementedError

    def rmw(
        self,
        cpu: int,
        loc: Loc,
        update: Update,
        order: RmwOrder = "full",
        void: bool = False,
        dep: object = None,
        ctrl: object = None,
    ) -> tuple[Value, bool, object]:
        """Atomic read-modify-write: returns (old value, whether it wrote, token). A failing
        update (cmpxchg, add_unless) is a plain read without any barrier."""
        raise NotImplementedError

    def lock(self, cpu: int, loc: Loc) -> bool:
        """spin_lock: True when taken; False: held, park and call again after an unlock."""
        raise NotImplementedError

    def trylock(self, cpu: int, loc: Loc) -> bool:
        raise NotImplementedError

    def unlock(self, cpu: int, loc: Loc) -> None:
        raise NotImplementedError

    def is_locked(self, cpu: int, loc: Loc) -> tuple[Value, object]:
        v, tok = self.load(cpu, loc)
        return int(v != 0), tok

    # RCU, and SRCU when ``domain`` names an srcu_struct: a grace period of a domain waits
    # only for the read-side sections of that domain. An SRCU section is the one its lock
    # returned (``Srcu``); ``section`` None ends the CPU's innermost one.
    def rcu_read_lock(self, cpu: int, domain: Loc | None = None) -> int:
        """rcu_read_lock / srcu_read_lock: the section begun (SRCU; 0 for RCU)."""
        raise NotImplementedError

    def rcu_read_unlock(
        self, cpu: int, domain: Loc | None = None, section: int | None = None
    ) -> None:
        raise NotImplementedError

    def gp_start(self, cpu: int, domain: Loc | None = None) -> None:
        """synchronize_rcu (synchronize_srcu), first half: the grace period starts."""
        raise NotImplementedError

    def gp_end(self, cpu: int, domain: Loc | None = None) -> bool:
        """synchronize_rcu, second half: False while a reader that started before the grace
        period is still inside its section (park; call again after an rcu_read_unlock)."""
        raise NotImplementedError

    def tracker(self, domain: Loc | None) -> Rcu:
        """The grace-period bookkeeping of RCU (None) or of one SRCU domain."""
        if domain is None:
            return self.rcu
        t = self.srcu.get(domain)
        if t is None:
            t = self.srcu[domain] = Srcu()
        return t

    def rcu_key(self) -> Hashable:
        """The state of every grace-period domain (for digests)."""
        return (
            self.rcu.key(),
            tuple((loc_key(d), t.key()) for d, t in sorted(self.srcu.items(), key=_first_key)),
        )

    # -- end of run -----------------------------------------------------------------------------
    def finish(self) -> None:
        """Every CPU is done: settle what is still in flight (TSO drains its buffers)."""

    def final(self, loc: Loc) -> Value:
        """The value ``loc`` ends with (the last store in coherence order)."""
        raise NotImplementedError

    def locations(self) -> list[Loc]:
        raise NotImplementedError

    # -- dependencies and digests ---------------------------------------------------------------
    def join(self, a: object, b: object) -> object:
        """Join of two dependency tokens (None = no dependency)."""
        return None

    def token_key(self, tok: object) -> Hashable:
        """A hashable, history-independent form of a token, for state digests."""
        return None

    def digest(self) -> Hashable:
        """Everything that decides the model's future behaviour, hashable and independent of
        the order objects were created in (state-hash pruning in exhaustive exploration)."""
        raise NotImplementedError


class Rcu:
    """Grace-period bookkeeping shared by the modes: which CPUs are inside a read-side critical
    section, and in which epoch (number of grace periods started before it) it began."""

    def __init__(self) -> None:
        self.epoch = 0
        self.depth: dict[int, int] = {}
        self.section_epoch: dict[int, int] = {}
        self.waits_for: dict[int, int] = {}  # GP waiter -> sections of epochs <= this matter
        self.started = 0  # the section the last enter began (SRCU's; RCU's is always 0)

    def enter(self, cpu: int) -> bool:
        """True when this is the outermost rcu_read_lock."""
        d = self.depth.get(cpu, 0)
        self.depth[cpu] = d + 1
        if d == 0:
            self.section_epoch[cpu] = self.epoch
            return True
        return False

    def leave(self, cpu: int, section: int | None = None) -> int | None:
        """The epoch of the section that ends, when this is the outermost rcu_read_unlock
        (``section`` is SRCU's; RCU sections nest)."""
        d = self.depth.get(cpu, 0)
        if d <= 0:
            raise ValueError(f"rcu_read_unlock without rcu_read_lock on CPU {cpu}")
        self.depth[cpu] = d - 1
        if d == 1:
            return self.section_epoch.pop(cpu)
        return None

    def start(self, cpu: int) -> int:
        """A grace period starts: sections begun so far (epoch <= the result) must end first."""
        e = self.epoch
        self.waits_for[cpu] = e
        self.epoch = e + 1
        return e

    def blocking(self, cpu: int) -> bool:
        e = self.waits_for[cpu]
        return any(ep <= e for c, ep in self.section_epoch.items() if c != cpu)

    def end(self, cpu: int) -> int:
        return self.waits_for.pop(cpu)

    def key(self) -> Hashable:
        return (
            self.epoch,
            tuple(sorted((c, d) for c, d in self.depth.items() if d)),
            tuple(sorted(self.section_epoch.items())),
            tuple(sorted(self.waits_for.items())),
        )


class Srcu(Rcu):
    """SRCU's sections: each srcu_read_lock begins its own, and an srcu_read_unlock ends the
    one whose lock returned the index it is given (LKMM's srcu-rscs match them by the index's
    data flow), so two sections of one CPU may overlap without nesting. An unlock given no
    such index ends the CPU's latest open section."""

    def __init__(self) -> None:
        super().__init__()
        self.open: dict[tuple[int, int], int] = {}  # (cpu, section) -> epoch it began in
        self.begun: dict[int, int] = {}  # sections begun per CPU (the next one's number)
        self.started = 0  # the section the last enter began

    def enter(self, cpu: int) -> bool:
        n = self.begun.get(cpu, 0)
        self.begun[cpu] = n + 1
        self.open[(cpu, n)] = self.epoch
        self.depth[cpu] = self.depth.get(cpu, 0) + 1
        self.started = n
        return True

    def is_open(self, cpu: int, section: int) -> bool:
        return (cpu, section) in self.open

    def leave(self, cpu: int, section: int | None = None) -> int | None:
        if section is None or (cpu, section) not in self.open:
            mine = [n for c, n in self.open if c == cpu]
            if not mine:
                raise ValueError(f"srcu_read_unlock without srcu_read_lock on CPU {cpu}")
            section = max(mine)
        self.depth[cpu] -= 1
        return self.open.pop((cpu, section))

    def blocking(self, cpu: int) -> bool:
        e = self.waits_for[cpu]
        return any(ep <= e for (c, _), ep in self.open.items() if c != cpu)

    def key(self) -> Hashable:
        return (
            self.epoch,
            tuple(sorted(self.open.items())),
            tuple(sorted(self.begun.items())),
            tuple(sorted(self.waits_for.items())),
        )


def _first_key(item: tuple[Loc, object]) -> str:
    return loc_key(item[0])


_MODELS: dict[str, type[MemoryModel]] = {}


def make_memory(mode: str) -> MemoryModel:
    """SC, TSO or WEAK (case-insensitive)."""
    table = _MODELS
    if not table:  # the modules import this one: looked up on first use (once per process)
        from actors.memory.sc import SC
        from actors.memory.tso import TSO
        from actors.memory.weak import WEAK

        table.update(SC=SC, TSO=TSO, WEAK=WEAK)
    m = mode.upper()
    if m not in table:
        raise ValueError(f"unknown memory model {mode!r}; use sc, tso or weak")
    return table[m]()
