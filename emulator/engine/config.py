"""What a run is given (``RunConfig``) and what it returns (``RunResult``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emulator.engine.choices import ChoiceRecord, Replay
from emulator.engine.coverage import Coverage
from emulator.engine.events import StepEvent
from emulator.engine.facts import Fact
from emulator.engine.model import Model
from emulator.engine.sites import Site
from emulator.engine.strategies import Strategy
from emulator.engine.violations import Outcome


@dataclass(frozen=True)
class RunConfig:
    strategy: Strategy
    budget: int = 20_000
    windows: Sequence[tuple[str, str]] = ()
    directed: Sequence[tuple[str, ...]] = ()  # (actor, label) or (actor, label, "weak")
    replay: Replay | None = None  # feed these choices back instead of asking the strategy
    facts: bool = False  # collect the facts the model states for every step
    sites: bool = False  # capture the actor source line that issued every step
    coverage: Coverage | None = (
        None  # given: the run's reads-from pairs and conflict orders join it
    )
    # Asked every STOP_EVERY steps: True ends the run there, as a hang "stopped" (a command
    # whose user sent a signal, and which will report nothing of this run). The run is the
    # same as without it up to there.
    stop: Callable[[], bool] | None = None


STOP_EVERY = 1024


@dataclass
class RunResult:
    outcome: Outcome
    actor_names: list[str]
    events: list[StepEvent] = field(default_factory=list)
    choices: list[ChoiceRecord] = field(default_factory=list)
    divergence: str | None = None
    model: Model | None = None
    wakes: list[tuple[int, int]] = field(default_factory=list)  # (waking step, woken actor)
    # With RunConfig.facts: the facts of each step, aligned with ``events`` (else empty).
    facts: list[tuple[Fact, ...]] = field(default_factory=list)
    # With RunConfig.sites: where each step's request was issued, aligned with ``events``.
    sites: list[Site | None] = field(default_factory=list)
    forced: int = 0  # steps applied without a choice (blocked requests parking, local steps)
    coverage: Coverage | None = None  # this run's coverage, when it was tracked

    @property
    def values(self) -> list[int]:
        return [c.value for c in self.choices]

    @property
    def has_facts(self) -> bool:
        return any(self.facts)
