"""The baton runtime: actors as trio tasks, one hub, exactly one task running at any moment.

Every actor is a trio task with a one-slot mailbox. An actor runs local code until it calls
``Port.call`` (one step = one msgpack request to the hub), which hands the baton back to the hub
and parks the actor's task. The hub is the page-cache actor: it asks the strategy which pending
request to apply next (recording every choice), applies it atomically to the model, and hands
the baton, with the encoded reply, to that actor only. At most one trio task is ever runnable,
so trio's run-queue order (which trio deliberately randomises) can never influence a run.

Blocking primitives park the actor inside the model; the model wakes it later through
``Control.wake`` and the actor's same request is applied again as a *resume* step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import msgpack
import outcome
import trio

from emulator.engine.choices import Divergence, Recorder, ReplayCursor
from emulator.engine.config import RunConfig, RunResult
from emulator.engine.events import PARKED_REPLY, VIOLATED_REPLY, StepEvent, trace_hash
from emulator.engine.facts import Fact
from emulator.engine.model import PARKED, Control, Model, WaitInfo
from emulator.engine.port import ActorProgram, ActorSpec, Port, SitePort, Slot, abort
from emulator.engine.sites import Site
from emulator.engine.strategies import (
    DELAY_BUCKETS,
    STEP_NS,
    DirectedStrategy,
    ReplayStrategy,
    delay_ns,
)
from emulator.engine.violations import (
    CLEAN,
    ERROR,
    HANG,
    VIOLATION,
    Crash,
    Outcome,
    Violation,
    ViolationReport,
)
from emulator.engine.waits import at_quiescence, cycle_from

__all__ = [
    "PARKED",
    "ActorProgram",
    "ActorSpec",
    "Control",
    "Model",
    "Port",
    "RunConfig",
    "RunResult",
    "Runtime",
    "WaitInfo",
    "run_actors",
    "run_sync",
    "trace_hash",
]

_new_event = tuple.__new__  # the hot path builds events without NamedTuple's Python __new__


class _Stop(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


class Runtime:
    def __init__(self, model: Model, actors: Sequence[ActorSpec], cfg: RunConfig) -> None:
        self.model = model
        self.cfg = cfg
        self.slots = [Slot(i, a.name, a.program, a.daemon) for i, a in enumerate(actors)]
        self.names = [a.name for a in actors]
        strategy = cfg.strategy
        if cfg.directed:
            strategy = DirectedStrategy(strategy, cfg.directed)
        if cfg.replay is not None:
            strategy = ReplayStrategy(strategy, ReplayCursor(cfg.replay))
        strategy.wants(self.names)
        self.strategy = strategy
        self.src = Recorder(cfg.replay.records if cfg.replay is not None else None)
        self._now = 0
        self._steps = 0
        self._current = -1
        self.hub_task: Any = None
        self.events: list[StepEvent] = []
        self._win_start = {s for s, _ in cfg.windows}
        self._win_end = {e for _, e in cfg.windows}
        self.divergence: str | None = None
        # Who woke whom: explain draws wake-up arrows from it (a parked step does not say).
        self.wakes: list[tuple[int, int]] = []
        self._facts_on = cfg.facts
        self._step_facts: list[Fact] = []
        self.facts: list[tuple[Fact, ...]] = []
        self.sites: list[Site | None] = []

    # -- Control ---------------------------------------------------------------------------

    @property
    def now(self) -> int:
        return self._now

    @property
    def steps(self) -> int:
        return self._steps

    @property
    def facts_on(self) -> bool:
        return self._facts_on

    def fact(self, f: Fact) -> None:
        if self._facts_on:
            self._step_facts.append(f)

    def actor_name(self, actor: int) -> str:
        return self.names[actor]

    def choose(self, n: int, kind: str) -> int:
        if n <= 1:
            return 0
        slot = self.slots[self._current]
        try:
            v = self.strategy.other(kind, n)
            self.src.record(v, n, kind, (self._steps, slot.name, slot.label))
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
            self.hub_task = trio.lowlevel.current_task()
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
            choices=self.src.records,
            divergence=self.divergence,
            model=self.model,
            wakes=self.wakes,
            facts=self.facts,
            sites=self.sites,
        )

    async def _actor_main(
        self, slot: Slot, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        slot.task = trio.lowlevel.current_task()
        task_status.started()
        await trio.lowlevel.wait_task_rescheduled(abort)
        port = SitePort(self, slot) if self.cfg.sites else Port(self, slot)
        try:
            await slot.program(port)
        except trio.Cancelled:
            raise
        except BaseException as exc:  # scenario code failed: report it, don't crash the run
            slot.error = exc
        slot.done = True
        slot.has_request = False
        trio.lowlevel.reschedule(self.hub_task)

    async def _hand(self, slot: Slot, reply: bytes) -> None:
        """Give the baton to ``slot`` and wait until it sends its next request or ends."""
        self._current = slot.idx
        trio.lowlevel.reschedule(slot.task, outcome.Value(reply))
        await trio.lowlevel.wait_task_rescheduled(abort)
        if slot.done:
            self._exited(slot)

    def _exited(self, slot: Slot) -> None:
        if slot.error is not None:
            exc = slot.error
            if isinstance(exc, Violation):
                self._violation(exc, slot)
            crash = Crash.of(slot.name, exc)
            raise _Stop(self._outcome(ERROR, error=f"{slot.name}: {crash.traceback}", crash=crash))
        try:
            self.model.actor_exit(slot.idx)
        except Violation as v:
            self._violation(v, slot)

    def _noted(self, slot: Slot) -> None:
        """Keep the facts and the site of the step just recorded (runs that asked for them)."""
        if self._facts_on:
            self.facts.append(tuple(self._step_facts))
            self._step_facts.clear()
        if self.cfg.sites:
            self.sites.append(slot.site)

    async def _loop(self) -> Outcome:
        slots = self.slots
        record = self.src.record
        strategy = self.strategy
        model = self.model
        budget = self.cfg.budget
        win_start = self._win_start
        win_end = self._win_end
        events = self.events
        append = events.append
        packb = msgpack.packb
        unpackb = msgpack.unpackb
        use_delays = strategy.delays
        noting = self.cfg.facts or self.cfg.sites
        while True:
            steps = self._steps
            if steps >= budget:
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
                    slot = slots[runnable[0]]
                else:
                    pos = strategy.pick(runnable, steps)
                    slot = slots[runnable[pos]]
                    record(pos, n, "sched", (steps + 1, slot.name, slot.label))
                if use_delays:
                    b = strategy.delay(slot.idx, slot.in_window)
                    record(b, DELAY_BUCKETS, "delay", (steps + 1, slot.name, slot.label))
                    if b:
                        slot.ready_at = now + delay_ns(b)
                        continue
            except Divergence as d:
                d = self._asked_among(d, runnable)
                self.divergence = str(d)
                return self._outcome(HANG, error=f"replay diverged: {d}")
            self._steps = steps = steps + 1
            self._now = vtime = now + STEP_NS
            self._current = idx = slot.idx
            args = slot.args
            if args is None:
                req = unpackb(slot.raw, use_list=False)
                args = slot.args = req[5]
            try:
                res = model.apply(idx, slot.op, slot.label, args, slot.resumed)
            except Violation as v:
                append(_new_event(StepEvent, (idx, vtime, slot.raw, VIOLATED_REPLY)))
                if noting:
                    self._noted(slot)
                self._violation(v, slot)
            except Divergence as d:
                self.divergence = str(d)
                return self._outcome(HANG, error=f"replay diverged: {d}")
            if res is PARKED:
                slot.parked = True
                slot.resumed = False
                append(_new_event(StepEvent, (idx, vtime, slot.raw, PARKED_REPLY)))
                if noting:
                    self._noted(slot)
                cycle = cycle_from(model, slots, idx)
                if cycle is not None:
                    self._violation(cycle, slot)
                continue
            reply = packb((0, res))
            append(_new_event(StepEvent, (idx, vtime, slot.raw, reply)))
            if noting:
                self._noted(slot)
            label = slot.label
            strategy.stepped(idx, label)
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

    def _quiescent(self) -> Outcome:
        if self._all_done():
            return self._outcome(CLEAN)
        v, slot = at_quiescence(self.model, self.slots)
        return self._report(v, self.slots[slot.idx] if slot is not None else None)

    # -- outcomes ----------------------------------------------------------------------------

    def _violation(self, v: Violation, slot: Slot | None) -> None:
        raise _Stop(self._report(v, slot))

    def _report(self, v: Violation, slot: Slot | None) -> Outcome:
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
        self,
        status: str,
        violation: ViolationReport | None = None,
        error: str | None = None,
        crash: Crash | None = None,
    ) -> Outcome:
        return Outcome(
            status=status,
            steps=self._steps,
            vtime=self._now,
            trace_hash=trace_hash(self.events),
            violation=violation,
            error=error,
            crash=crash,
        )


async def run_actors(model: Model, actors: Sequence[ActorSpec], cfg: RunConfig) -> RunResult:
    return await Runtime(model, actors, cfg).run()


def run_sync(model: Model, actors: Sequence[ActorSpec], cfg: RunConfig) -> RunResult:
    async def main() -> RunResult:
        return await run_actors(model, actors, cfg)

    return trio.run(main)
