"""The strategy interface every scheduling strategy implements (``Strategy``), and the delay
buckets chaos draws from. Concrete strategies live in ``strategies`` and ``sampling``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.engine.rng import Rng

# Delays are log-uniform: bucket b (1..DELAY_BUCKETS-1) postpones an actor by STEP_NS * 2**b.
STEP_NS = 50
DELAY_BUCKETS = 15


def delay_ns(bucket: int) -> int:
    return STEP_NS << bucket if bucket > 0 else 0


class Strategy:
    """Base: uniform scheduling, no delays, allocations biased to the most recently freed slot."""

    name = "random"
    delays = False

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = Rng(seed, stream=1)

    def params(self) -> dict[str, Any]:
        return {}

    def start(self, n_actors: int) -> None:
        """Called once before the first decision."""

    def pick(self, runnable: Sequence[int], step: int) -> int:
        """Position in ``runnable`` of the actor that steps next."""
        return self.rng.below(len(runnable))

    def delay(self, actor: int, in_window: bool) -> int:
        """Delay bucket for the actor about to step (0 = none)."""
        return 0

    def other(self, kind: str, n: int) -> int:
        # Model-side choices (which free slab slot, ...): 0 is the most recently freed object,
        # favoured so that reuse races (003a, 000a) show up quickly.
        if self.rng.chance(3, 4):
            return 0
        return self.rng.below(n)

    def stepped(self, actor: int, label: str) -> None:
        """Notification after an actor completed a step (directed schedules track progress)."""

    def wants(self, actor_names: Sequence[str]) -> None:
        """Names of the actors, in index order (directed schedules resolve names)."""

    # What strategies that look at pending requests use (POS, URW, RFF, ...). ``hub`` answers
    # ``footprint(actor)`` and ``label(actor)`` for the pending request of a runnable actor.
    wants_coverage = False  # True: the hub tracks reads-from pairs and passes them to finish()
    hub: Any = None

    def attach(self, hub: Any) -> None:
        """The hub of the run about to start (before ``start``)."""
        self.hub = hub

    def use(self, profile: Any) -> None:
        """What profiling runs of the same program measured (``profile.Profile``); strategies
        that need none ignore it. Called before the run, by whoever builds the strategy."""

    def applied(self, actor: int, forced: bool) -> None:
        """After every applied step (``forced``: applied without a choice)."""

    def finish(self, outcome: Any, records: Sequence[Any], coverage: Any) -> None:
        """The run ended: its outcome, its choice records, its coverage (if tracked)."""
