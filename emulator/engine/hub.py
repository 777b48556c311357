"""The hub: the task that owns the model and applies every step (``Runtime``).

The hub is the page-cache actor. It asks the strategy which pending request to apply next
(recording every choice), applies it atomically to the model, and hands the baton, with the
reply, to that actor only; the actor's task runs until its next ``Port.call`` and hands the
baton back. Actor tasks come from the hub's ``Pool``, so a run starts and ends without
spawning or cancelling tasks. ``control.py`` holds what the model sees of the hub and how a run
ends; ``enabled.py`` the requests applied without a choice.

Blocking primitives park the actor inside the model; the model wakes it later through
``Control.wake`` and the actor's same request is applied again as a *resume* step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack

from emulator.engine.baton import wait
from emulator.engine.choices import ChoiceRecord, Divergence, Recorder, ReplayCursor
from emulator.engine.config import STOP_EVERY, RunConfig, RunResult
from emulator.engine.control import HubControl, Stop
from emulator.engine.coverage import Tracker
from emulator.engine.enabled import LOCAL_RUN, Enabled
from emulator.engine.events import PARKED_REPLY, VIOLATED_REPLY, StepEvent
from emulator.engine.facts import Fact
from emulator.engine.model import PARKED, Model
from emulator.engine.pool import Pool, Worker
from emulator.engine.port import IDLE, ActorSpec, Port, SitePort, Slot
from emulator.engine.sites import Site
from emulator.engine.strategies import (
    DELAY_BUCKETS,
    STEP_NS,
    DirectedStrategy,
    ReplayStrategy,
    Strategy,
    delay_ns,
)
from emulator.engine.violations import ERROR, HANG, Crash, Outcome, Violation
from emulator.engine.waits import cycle_from

__all__ = ["LOCAL_RUN", "Runtime"]

# The hot path builds records without NamedTuple's Python __new__ and calls msgpack through
# module globals.
_new_event = _new_record = tuple.__new__
_unpackb = msgpack.unpackb
_SCALARS = frozenset((int, str, bool, type(None)))

# The replies most steps give, packed once: (0, None), (0, False), (0, True) and (0, i) for
# small non-negative ints (the bytes are exactly what packing them again would give).
_REPLY_NONE = msgpack.packb((0, None))
_REPLY_BOOL = (msgpack.packb((0, False)), msgpack.packb((0, True)))
_REPLY_INT = tuple(msgpack.packb((0, i)) for i in range(128))


class Runtime(HubControl, Enabled):
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
        strategy.attach(self)
        self.strategy = strategy
        self.src = Recorder(cfg.replay.records if cfg.replay is not None else None)
        self.now = 0
        self.steps = 0
        self._current = -1
        # The actor listed first in a choice ("keep going"): the last one chosen or alone,
        # not one applied without a choice (a local step or a park does not switch).
        self.lead = -1
        self._live = sum(1 for a in actors if not a.daemon)  # non-daemon actors not finished
        self.hub_task: Any = None
        self.reschedule: Any = None
        self.packer: Any = None
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
        self._init_enabled(model)
        self.tracker: Tracker | None = (
            Tracker() if (cfg.coverage or strategy.wants_coverage) else None
        )

    def port(self, slot: Slot) -> Port:
        return SitePort(self, slot) if self.cfg.sites else Port(self, slot)

    async def run(self, pool: Pool) -> RunResult:
        """Run to the end on ``pool``'s tasks; the calling task is the hub."""
        self.hub_task = pool.hub
        self.reschedule = pool.reschedule
        self.packer = pool.packer
        self.model.bind(self, self.names)
        self.strategy.start(len(self.slots))
        workers = await pool.borrow(len(self.slots))
        result: Outcome
        try:
            await self._start(workers)
            result = await self._loop()
        except Stop as stop:
            result = stop.outcome
        await pool.release(self.slots, workers)
        cov = self.tracker.cov if self.tracker is not None else None
        if cov is not None and self.cfg.coverage is not None:
            self.cfg.coverage.add(cov)
        self.strategy.finish(result, self.src.records, cov)
        # The strategy (which the run's config keeps) refers to this runtime: let go, so that a
        # dropped result is freed by reference counting, not by the cyclic collector.
        self.strategy.attach(None)
        # A model that holds this run's control (so, this runtime) may let go of it now: the
        # result keeps the model for reports, and without the cycle a dropped result is freed
        # at once instead of by the cyclic collector (suspended during batches).
        unbind = getattr(self.model, "unbind", None)
        if unbind is not None:
            unbind()
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
            forced=self.forced,
            coverage=cov,
        )

    async def _start(self, workers: Sequence[Worker]) -> None:
        """Each actor runs its local code up to its first request, one at a time, in slot
        order: each hands the baton on to the next, the last one back to the hub (one trio
        pass per actor, not two). An actor that ended or failed on the way is dealt with
        afterwards, in slot order, before any step."""
        slots = self.slots
        if not slots:
            return
        ports = [self.port(slot) for slot in slots]
        for slot, w, port, nxt in zip(slots, workers, ports, [*workers[1:], None], strict=True):
            slot.task = w.task
            w.job = (port, slot)
            if nxt is not None:
                port.hands_to = nxt.task
        self.reschedule(workers[0].task, (b"",))
        await wait()
        hub = self.hub_task
        for port in ports:
            port.hands_to = hub
        for slot in slots:
            if slot.done:
                self._exited(slot)

    def _exited(self, slot: Slot) -> None:
        if slot.error is not None:
            exc = slot.error
            if isinstance(exc, Violation):
                self._violation(exc, slot)
            crash = Crash.of(slot.name, exc)
            raise Stop(self._outcome(ERROR, error=f"{slot.name}: {crash.traceback}", crash=crash))
        if not slot.daemon:
            self._live -= 1
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
        # Everything the loop reads per step is a local; what the model, the strategies or the
        # end of the run read (now, steps, _current, lead, forced) is kept on self as it changes.
        slots = self.slots
        record = self.src.record
        # Outside strict replay a choice is only appended: no method call, no checks.
        fast_append = self.src.records.append if not self.src.verifying else None
        strategy = self.strategy
        pick = strategy.pick
        delay = strategy.delay if strategy.delays else None
        stepped = None if type(strategy).stepped is Strategy.stepped else strategy.stepped
        model = self.model
        apply = model.apply
        budget = self.cfg.budget
        stop = self.cfg.stop
        # One comparison a step for both: the budget, and when to ask ``stop`` next.
        limit = budget if stop is None else min(budget, self.steps + STOP_EVERY)
        win_start = self._win_start
        win_end = self._win_end
        windows = bool(win_start or win_end)
        append = self.events.append
        pack = self.packer.pack
        reschedule = self.reschedule
        noting = self.cfg.facts or self.cfg.sites
        forced_of = self._forced if self.aware else None
        applied = None if type(strategy).applied is Strategy.applied else strategy.applied
        tracker = self.tracker
        steps = self.steps
        now = self.now
        while True:
            if steps >= limit:
                if steps >= budget:
                    return self._outcome(HANG, error=f"step budget {budget} exhausted")
                assert stop is not None
                if stop():
                    return self._outcome(HANG, error=f"stopped after {steps} steps")
                limit = min(budget, steps + STOP_EVERY)
            runnable = [s.idx for s in slots if s.at <= now]
            n = len(runnable)
            forced = forced_of(runnable) if forced_of is not None and n else None
            try:
                if forced is not None:
                    slot = forced
                    where = None
                    self.forced += 1
                elif n == 1:
                    slot = slots[runnable[0]]
                    where = None
                elif n == 0:
                    if self._advance_time():
                        now = self.now
                        continue
                    return self._quiescent()
                else:
                    cur = self.lead
                    if runnable[0] != cur and cur in runnable:
                        runnable.remove(cur)
                        runnable.insert(0, cur)
                    pos = pick(runnable, steps)
                    slot = slots[runnable[pos]]
                    where = (steps + 1, slot.name, slot.label)
                    if fast_append is not None:
                        fast_append(_new_record(ChoiceRecord, (pos, n, "sched", where)))
                    else:
                        record(pos, n, "sched", where)
                # A local step may still be delayed (in virtual time its actor falls behind);
                # a request that parks may not (nothing observable happens before it wakes).
                if delay is not None and (forced is None or not self._parks):
                    b = delay(slot.idx, slot.in_window)
                    if where is None:
                        where = (steps + 1, slot.name, slot.label)
                    if fast_append is not None:
                        fast_append(_new_record(ChoiceRecord, (b, DELAY_BUCKETS, "delay", where)))
                    else:
                        record(b, DELAY_BUCKETS, "delay", where)
                    if b:
                        slot.at = now + delay_ns(b)
                        continue
            except Divergence as d:
                d = self._asked_among(d, runnable)
                self.divergence = str(d)
                return self._outcome(HANG, error=f"replay diverged: {d}")
            self.steps = steps = steps + 1
            self.now = now = now + STEP_NS
            self._current = idx = slot.idx
            if forced is None:
                self.lead = idx
            args = slot.args
            if args is None:
                args = slot.args = _unpackb(slot.raw, use_list=False)[5]
            try:
                res = apply(idx, slot.op, slot.label, args, slot.resumed)
            except Violation as v:
                append(_new_event(StepEvent, (idx, now, slot.raw, VIOLATED_REPLY)))
                if noting:
                    self._noted(slot)
                self._violation(v, slot)
            except Divergence as d:
                self.divergence = str(d)
                return self._outcome(HANG, error=f"replay diverged: {d}")
            if applied is not None:
                applied(idx, forced is not None)
            if res is PARKED:
                slot.parked = True
                slot.resumed = False
                slot.at = IDLE
                append(_new_event(StepEvent, (idx, now, slot.raw, PARKED_REPLY)))
                if noting:
                    self._noted(slot)
                cycle = cycle_from(model, slots, idx)
                if cycle is not None:
                    self._violation(cycle, slot)
                continue
            t = type(res)
            if res is None:
                reply = _REPLY_NONE
            elif t is bool:
                reply = _REPLY_BOOL[res]
            elif t is int and 0 <= res < 128:
                reply = _REPLY_INT[res]
            else:
                reply = pack((0, res))
            append(_new_event(StepEvent, (idx, now, slot.raw, reply)))
            if noting:
                self._noted(slot)
            if tracker is not None:
                tracker.step(idx, slot.label, self.footprint(idx))
            if stepped is not None:
                stepped(idx, slot.label)
            if windows:
                label = slot.label
                if label in win_end:
                    slot.in_window = False
                if label in win_start:
                    slot.in_window = True
            slot.at = IDLE
            slot.resumed = False
            # Hand the baton and the reply to this actor; it returns with its next request. The
            # actor gets the reply decoded from its bytes, as a copy; an immutable scalar is
            # its own copy, so it is passed as it is.
            if t not in _SCALARS:
                res = _unpackb(reply, use_list=False)[1]
            reschedule(slot.task, (res,))
            await wait()
            if slot.done:
                self._exited(slot)
            if not self._live:
                return self._finished()
