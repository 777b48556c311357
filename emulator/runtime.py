"""The baton runtime: actors as trio tasks, one hub, exactly one task running at any moment.

Every actor is a trio task with a one-slot mailbox. An actor runs local code until it calls
``Port.call`` (one step = one msgpack request to the hub), which hands the baton back to the hub
and parks the actor's task. The hub is the page-cache actor: it asks the strategy (through the
choice source) which pending request to apply next, applies it atomically to the model, and hands
the baton, with the encoded reply, to that actor only. At most one trio task is ever runnable, so
trio's run-queue order (which trio deliberately randomises) can never influence a run.

Blocking primitives park the actor inside the model; the model wakes it later through
``Control.wake`` and the actor's same request is applied again as a *resume* step.
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import msgpack
import outcome
import trio

from emulator.choices import ChoiceSource, Divergence, Where
from emulator.strategies import (
    DELAY_BUCKETS,
    STEP_NS,
    DirectedStrategy,
    Strategy,
    delay_ns,
)
from emulator.violations import (
    CLEAN,
    ERROR,
    HANG,
    VIOLATION,
    Outcome,
    Violation,
    ViolationReport,
)


class _Parked:
    __slots__ = ()

    def __repr__(self) -> str:
        return "PARKED"


PARKED: Any = _Parked()
"""Returned by ``Model.apply`` when the request cannot proceed and the actor now waits."""


@dataclass(frozen=True)
class WaitInfo:
    """What a parked actor waits for. ``owner`` is the actor that must act to release it (None if
    nobody can: e.g. a wakeup that was lost); ``idle`` marks a daemon waiting for work."""

    what: str
    owner: int | None
    idle: bool = False


class Control(Protocol):
    """What the runtime offers the model while it applies a step."""

    @property
    def now(self) -> int: ...

    @property
    def steps(self) -> int: ...

    def choose(self, n: int, kind: str) -> int: ...

    def wake(self, actor: int) -> None: ...

    def actor_name(self, actor: int) -> str: ...


class Model(Protocol):
    """The page-cache actor's state machine. Domain code implements it; the runtime drives it."""

    def bind(self, control: Control, actor_names: Sequence[str]) -> None: ...

    def apply(self, actor: int, op: str, label: str, args: tuple[Any, ...], resumed: bool) -> Any:
        """Apply one request atomically; return the reply, or PARKED. May raise Violation."""
        ...

    def wait_info(self, actor: int) -> WaitInfo: ...

    def actor_exit(self, actor: int) -> None:
        """The actor's program returned. May raise Violation (locks leaked, RCU unbalanced)."""
        ...

    def finish(self) -> None:
        """End-of-run checks once every non-daemon actor has finished. May raise Violation."""
        ...

    def describe(self, op: str, args: tuple[Any, ...], result: Any) -> str:
        """One line of kernel vocabulary for a step, for reports."""
        ...


class Port:
    """An actor's endpoint. ``call`` is the only way actor code may block."""

    __slots__ = ("_rt", "_seq", "_slot", "name")

    def __init__(self, rt: Runtime, slot: _Slot) -> None:
        self._rt = rt
        self._slot = slot
        self._seq = 0
        self.name = slot.name

    async def call(self, op: str, label: str, *args: Any) -> Any:
        self._seq += 1
        slot = self._slot
        slot.raw = msgpack.packb((self._seq, slot.idx, 0, op, label, args))
        slot.op = op
        slot.label = label
        slot.args = None  # decoded lazily by the hub, from the bytes (no shared references)
        slot.has_request = True
        trio.lowlevel.reschedule(self._rt._hub_task)
        reply = await trio.lowlevel.wait_task_rescheduled(_abort)
        return msgpack.unpackb(reply, use_list=False)[1]


def _abort(_: Any) -> trio.lowlevel.Abort:
    return trio.lowlevel.Abort.SUCCEEDED


ActorProgram = Callable[[Port], Awaitable[None]]


@dataclass(frozen=True)
class ActorSpec:
    name: str
    program: ActorProgram
    daemon: bool = False  # kernel threads that loop forever; the run ends without them


@dataclass
class _Slot:
    idx: int
    name: str
    program: ActorProgram
    daemon: bool
    task: Any = None
    raw: bytes = b""
    op: str = ""
    label: str = ""
    args: tuple[Any, ...] | None = None
    has_request: bool = False
    parked: bool = False
    resumed: bool = False
    done: bool = False
    ready_at: int = 0
    in_window: bool = False
    error: BaseException | None = None


@dataclass(frozen=True)
class RunConfig:
    strategy: Strategy
    budget: int = 20_000
    windows: Sequence[tuple[str, str]] = ()
    directed: Sequence[tuple[str, str]] = ()
    replay: tuple[list[int], list[int], list[str]] | None = None
    lenient: bool = False
    replay_where: Sequence[Where] | None = None  # recorded contexts, verified in strict replay


@dataclass
class RunResult:
    outcome: Outcome
    actor_names: list[str]
    events: list[tuple[int, int, bytes, bytes]] = field(default_factory=list)
    choices: tuple[list[int], list[int], list[str]] = ([], [], [])
    divergence: str | None = None
    model: Model | None = None
    where: list[Where] = field(default_factory=list)  # per choice: (step, actor, label)
    wakes: list[tuple[int, int]] = field(default_factory=list)  # (waking step, woken actor)


class _Stop(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


class Runtime:
    def __init__(self, model: Model, actors: Sequence[ActorSpec], cfg: RunConfig) -> None:
        self.model = model
        self.cfg = cfg
        self.slots = [_Slot(i, a.name, a.program, a.daemon) for i, a in enumerate(actors)]
        self.names = [a.name for a in actors]
        strategy = cfg.strategy
        if cfg.directed:
            strategy = DirectedStrategy(strategy, cfg.directed)
        strategy.wants(self.names)
        self.strategy = strategy
        self.src = ChoiceSource(cfg.replay, cfg.lenient, cfg.replay_where)
        self._now = 0
        self._steps = 0
        self._current = -1
        self._hub_task: Any = None
        self.events: list[tuple[int, int, bytes, bytes]] = []
        self._win_start = {s for s, _ in cfg.windows}
        self._win_end = {e for _, e in cfg.windows}
        self.divergence: str | None = None
        # Who woke whom: explain draws wake-up arrows from it (a parked step does not say).
        self.wakes: list[tuple[int, int]] = []

    # -- Control ---------------------------------------------------------------------------

    @property
    def now(self) -> int:
        return self._now

    @property
    def steps(self) -> int:
        return self._steps

    def actor_name(self, actor: int) -> str:
        return self.names[actor]

    def choose(self, n: int, kind: str) -> int:
        if n <= 1:
            return 0
        src = self.src
        slot = self.slots[self._current]
        try:
            v = src.choose(n, kind, lambda: self.strategy.other(kind, n))
            src.place(self._steps, slot.name, slot.label)
        except Divergence as d:
            if d.step >= 0:
                raise
            found = f"{d.found} for {slot.name} [{slot.label}]"
            raise replace(d, found=found, step=self._steps) from None
        return v

    def wake(self, actor: int) -> None:
        slot = self.slots[actor]
        if slot.parked:
            slot.parked = False
            slot.resumed = True
            self.wakes.append((self._steps, actor))

    # -- running -----------------------------------------------------------------------------

    async def run(self) -> RunResult:
        self.model.bind(self, self.names)
        self.strategy.start(len(self.slots))
        result: Outcome
        async with trio.open_nursery() as nursery:
            self._hub_task = trio.lowlevel.current_task()
            # Start actor tasks one at a time; each parks before the next starts, so no actor
            # code runs until the hub hands it the baton.
            for slot in self.slots:
                await nursery.start(self._actor_main, slot, name=f"pcemu-actor-{slot.name}")
            try:
                for slot in self.slots:
                    await self._hand(slot, b"")
                result = await self._loop()
            except _Stop as stop:
                result = stop.outcome
            nursery.cancel_scope.cancel()
        return RunResult(
            outcome=result,
            actor_names=self.names,
            events=self.events,
            choices=(self.src.values, self.src.ns, self.src.kinds),
            divergence=self.divergence,
            model=self.model,
            where=self.src.where,
            wakes=self.wakes,
        )

    async def _actor_main(
        self, slot: _Slot, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        slot.task = trio.lowlevel.current_task()
        task_status.started()
        await trio.lowlevel.wait_task_rescheduled(_abort)
        try:
            await slot.program(Port(self, slot))
        except trio.Cancelled:
            raise
        except BaseException as exc:  # scenario code failed: report it, don't crash the run
            slot.error = exc
        slot.done = True
        slot.has_request = False
        trio.lowlevel.reschedule(self._hub_task)

    async def _hand(self, slot: _Slot, reply: bytes) -> None:
        """Give the baton to ``slot`` and wait until it sends its next request or ends."""
        self._current = slot.idx
        trio.lowlevel.reschedule(slot.task, outcome.Value(reply))
        await trio.lowlevel.wait_task_rescheduled(_abort)
        if slot.done:
            self._exited(slot)

    def _exited(self, slot: _Slot) -> None:
        if slot.error is not None:
            exc = slot.error
            if isinstance(exc, Violation):
                self._violation(exc, slot)
            tb = "".join(traceback.format_exception(exc)).strip()
            raise _Stop(self._outcome(ERROR, error=f"{slot.name}: {tb}"))
        try:
            self.model.actor_exit(slot.idx)
        except Violation as v:
            self._violation(v, slot)

    async def _loop(self) -> Outcome:
        slots = self.slots
        src = self.src
        strategy = self.strategy
        model = self.model
        budget = self.cfg.budget
        win_start = self._win_start
        win_end = self._win_end
        events = self.events
        packb = msgpack.packb
        unpackb = msgpack.unpackb
        use_delays = strategy.delays
        replaying = src.replaying
        while True:
            if self._steps >= budget:
                return self._outcome(HANG, error=f"step budget {budget} exhausted")
            cur = self._current
            runnable: list[int] = []
            now = self._now
            for s in slots:
                if s.has_request and not s.parked and s.ready_at <= now:
                    if s.idx == cur:
                        runnable.insert(0, cur)
                    else:
                        runnable.append(s.idx)
            if not runnable:
                if self._advance_time():
                    continue
                return self._quiescent()
            try:
                n = len(runnable)
                if n == 1:
                    pos = 0
                elif replaying:
                    pos = src.replayed(n, "sched")
                else:
                    pos = src.record(n, "sched", strategy.pick(runnable, self._steps))
                slot = slots[runnable[pos]]
                if n > 1:
                    src.place(self._steps + 1, slot.name, slot.label)
                if use_delays:
                    if replaying:
                        b = src.replayed(DELAY_BUCKETS, "delay")
                    else:
                        b = src.record(
                            DELAY_BUCKETS, "delay", strategy.delay(slot.idx, slot.in_window)
                        )
                    src.place(self._steps + 1, slot.name, slot.label)
                    if b:
                        slot.ready_at = now + delay_ns(b)
                        continue
            except Divergence as d:
                d = self._asked_among(d, runnable)
                self.divergence = str(d)
                return self._outcome(HANG, error=f"replay diverged: {d}")
            self._steps += 1
            self._now = now + STEP_NS
            self._current = slot.idx
            args = slot.args
            if args is None:
                req = unpackb(slot.raw, use_list=False)
                args = slot.args = req[5]
            try:
                res = model.apply(slot.idx, slot.op, slot.label, args, slot.resumed)
            except Violation as v:
                events.append((slot.idx, self._now, slot.raw, b"!"))
                self._violation(v, slot)
            except Divergence as d:
                self.divergence = str(d)
                return self._outcome(HANG, error=f"replay diverged: {d}")
            if res is PARKED:
                slot.parked = True
                slot.resumed = False
                events.append((slot.idx, self._now, slot.raw, b""))
                self._check_cycle(slot)
                continue
            reply = packb((0, res))
            events.append((slot.idx, self._now, slot.raw, reply))
            label = slot.label
            strategy.stepped(slot.idx, label)
            if label in win_end:
                slot.in_window = False
            if label in win_start:
                slot.in_window = True
            slot.has_request = False
            slot.resumed = False
            await self._hand(slot, reply)
            if self._all_done():
                try:
                    model.finish()
                except Violation as v:
                    self._violation(v, None)
                return self._outcome(CLEAN)

    def _asked_among(self, d: Divergence, runnable: list[int]) -> Divergence:
        """A kind/range mismatch is found before any actor is picked: name the live candidates
        (error path only, so the hot loop builds no strings)."""
        if d.step >= 0:
            return d
        cands = ", ".join(f"{self.slots[i].name} [{self.slots[i].label}]" for i in runnable)
        return replace(d, found=f"{d.found} among {cands}", step=self._steps + 1)

    def _all_done(self) -> bool:
        return all(s.done or s.daemon for s in self.slots)

    def _advance_time(self) -> bool:
        pending = [s.ready_at for s in self.slots if s.has_request and not s.parked]
        if not pending:
            return False
        self._now = max(self._now, min(pending))
        return True

    # -- deadlock and quiescence -------------------------------------------------------------

    def _check_cycle(self, slot: _Slot) -> None:
        """Eager INV-DL-1: follow waits-for edges from the actor that just parked."""
        chain = [slot.idx]
        a = slot.idx
        for _ in range(len(self.slots)):
            info = self.model.wait_info(a)
            owner = info.owner
            if owner is None or not self.slots[owner].parked:
                return
            if owner == slot.idx:
                raise _Stop(self._deadlock(chain))
            chain.append(owner)
            a = owner

    def _deadlock(self, chain: list[int]) -> Outcome:
        parts = []
        for a in chain:
            info = self.model.wait_info(a)
            parts.append(f"{self.names[a]} waits {info.what}")
        first = self.slots[chain[0]]
        v = Violation("INV-DL-1", "deadlock: " + "; ".join(parts))
        return self._report(v, first)

    def _quiescent(self) -> Outcome:
        if self._all_done():
            return self._outcome(CLEAN)
        waiting = [s for s in self.slots if s.parked and not s.done]
        for s in waiting:
            info = self.model.wait_info(s.idx)
            if info.idle:
                continue
            # A cycle would have been caught when it closed; a waiter whose owner is runnable
            # cannot exist at quiescence. What is left is a wait nobody will ever end.
            try:
                self._check_cycle(s)
            except _Stop as stop:
                return stop.outcome
            v = Violation(
                "INV-WAKE-1",
                f"lost wakeup: {s.name} parked on {info.what} at {s.label} and nothing can wake it",
            )
            return self._report(v, s)
        # Only idle daemons remain while some non-daemon actor has not finished: impossible
        # unless the model parks a non-daemon actor as idle.
        names = ", ".join(s.name for s in self.slots if not s.done and not s.daemon)
        return self._report(Violation("INV-WAKE-1", f"hang: {names} never finished"), None)

    # -- outcomes ----------------------------------------------------------------------------

    def _violation(self, v: Violation, slot: _Slot | None) -> None:
        raise _Stop(self._report(v, slot))

    def _report(self, v: Violation, slot: _Slot | None) -> Outcome:
        rep = ViolationReport(
            oracle=v.oracle,
            message=v.message,
            step=self._steps,
            vtime=self._now,
            actor=slot.name if slot else "-",
            label=slot.label if slot else "-",
        )
        return self._outcome(VIOLATION, violation=rep)

    def _outcome(
        self, status: str, violation: ViolationReport | None = None, error: str | None = None
    ) -> Outcome:
        return Outcome(
            status=status,
            steps=self._steps,
            vtime=self._now,
            trace_hash=trace_hash(self.events),
            violation=violation,
            error=error,
        )


def trace_hash(events: Sequence[tuple[int, int, bytes, bytes]]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(msgpack.packb(list(events)))
    return h.hexdigest()


async def run_actors(model: Model, actors: Sequence[ActorSpec], cfg: RunConfig) -> RunResult:
    return await Runtime(model, actors, cfg).run()


def run_sync(model: Model, actors: Sequence[ActorSpec], cfg: RunConfig) -> RunResult:
    async def main() -> RunResult:
        return await run_actors(model, actors, cfg)

    return trio.run(main)
