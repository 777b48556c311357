"""The hub as the model sees it during a step (``Control``: choose, wake, fact) and how a run's
end becomes an ``Outcome`` (a part of ``hub.Runtime``)."""

from __future__ import annotations

from dataclasses import replace

from emulator.engine.choices import Divergence, Recorder
from emulator.engine.events import StepEvent
from emulator.engine.facts import Fact
from emulator.engine.model import Model
from emulator.engine.port import IDLE, Slot
from emulator.engine.strategies import Strategy
from emulator.engine.violations import CLEAN, VIOLATION, Crash, Outcome, Violation, ViolationReport
from emulator.engine.waits import at_quiescence


class Stop(Exception):
    """The run ended inside a step (an oracle, an actor's crash): its outcome."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


class HubControl:
    """``Control`` for the model, and the run's outcomes. ``now`` and ``steps`` are plain
    attributes the hub keeps current (the model reads ``steps`` on every step)."""

    model: Model
    slots: list[Slot]
    names: list[str]
    strategy: Strategy
    src: Recorder
    events: list[StepEvent]
    wakes: list[tuple[int, int]]
    now: int
    steps: int
    _current: int
    _live: int
    _facts_on: bool
    _step_facts: list[Fact]

    # -- Control ---------------------------------------------------------------------------

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
            self.src.record(v, n, kind, (self.steps, slot.name, slot.label))
        except Divergence as d:
            if d.step >= 0:
                raise
            found = f"{d.found} for {slot.name} [{slot.label}]"
            raise replace(d, found=found, step=self.steps) from None
        return v

    def wake(self, actor: int) -> None:
        slot = self.slots[actor]
        if slot.parked:
            slot.parked = False
            slot.resumed = True
            slot.at = 0  # its parked request is applied again, as a resume step
            self.wakes.append((self.steps, actor))

    # -- the end of a run ----------------------------------------------------------------------

    def _asked_among(self, d: Divergence, runnable: list[int]) -> Divergence:
        """A kind/range mismatch is found before any actor is picked: name the live candidates
        (error path only, so the hot loop builds no strings)."""
        if d.step >= 0:
            return d
        cands = ", ".join(f"{self.slots[i].name} [{self.slots[i].label}]" for i in runnable)
        return replace(d, found=f"{d.found} among {cands}", step=self.steps + 1)

    def _advance_time(self) -> bool:
        pending = [s.at for s in self.slots if s.at != IDLE]
        if not pending:
            return False
        self.now = max(self.now, min(pending))
        return True

    def _quiescent(self) -> Outcome:
        if not self._live:
            # Every actor ended without a request left (a program with no step at all, or whose
            # last actors ended as they started): the run still ends through the model's
            # end-of-run checks, as one whose last actor ended after a step does.
            return self._finished()
        v, slot = at_quiescence(self.model, self.slots)
        return self._report(v, self.slots[slot.idx] if slot is not None else None)

    def _finished(self) -> Outcome:
        """The run's end once every non-daemon actor has ended: the model's end-of-run checks
        (``Model.finish``), then CLEAN unless one of them fired."""
        try:
            self.model.finish()
        except Violation as v:
            self._violation(v, None)
        return self._outcome(CLEAN)

    def _violation(self, v: Violation, slot: Slot | None) -> None:
        raise Stop(self._report(v, slot))

    def _report(self, v: Violation, slot: Slot | None) -> Outcome:
        rep = ViolationReport(
            oracle=v.oracle,
            message=v.message,
            step=self.steps,
            vtime=self.now,
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
            steps=self.steps,
            vtime=self.now,
            events=self.events,
            violation=violation,
            error=error,
            crash=crash,
        )
