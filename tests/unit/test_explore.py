"""Exhaustive exploration on the engine's toy model: every interleaving exactly once, pruning
by state digest, the bound, and the witness."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from math import comb

from emulator.engine.explore import explore
from emulator.engine.runtime import ActorSpec, Model, Port, RunResult
from tests.unit.toy import ToyModel


class Counter(ToyModel):
    """The toy model with a digest: the counter and how many steps each actor made."""

    def __init__(self) -> None:
        super().__init__()
        self.done: dict[int, int] = {}

    def apply(
        self, actor: int, op: str, label: str, args: tuple[object, ...], resumed: bool
    ) -> object:
        self.done[actor] = self.done.get(actor, 0) + 1
        return super().apply(actor, op, label, args, resumed)

    def digest(self) -> Hashable:
        return (self.x, tuple(sorted(self.done.items())))


def program(n: int) -> object:
    async def run(port: Port) -> None:
        for _ in range(n):
            await port.call("inc", "I")

    return run


def build(model: Model, steps: Sequence[int]) -> tuple[Model, list[ActorSpec]]:
    return model, [ActorSpec(f"A{i}", program(n)) for i, n in enumerate(steps)]  # type: ignore[arg-type]


def test_every_interleaving_exactly_once_without_pruning() -> None:
    seen: list[tuple[int, ...]] = []

    def visit(r: RunResult) -> bool:
        seen.append(tuple(e[0] for e in r.events))
        return False

    ex = explore(lambda: build(ToyModel(), (2, 3)), visit, prune=False)
    assert ex.complete
    assert len(seen) == len(set(seen)) == comb(5, 2) == ex.executions


def test_pruning_visits_each_state_once_and_stays_complete() -> None:
    ex = explore(lambda: build(Counter(), (2, 3)), lambda r: False)
    assert ex.complete
    assert ex.executions < comb(5, 2)


def test_bound_makes_the_search_incomplete() -> None:
    ex = explore(lambda: build(ToyModel(), (3, 3)), lambda r: False, bound=5, prune=False)
    assert not ex.complete and ex.executions == 5


def test_witness_stops_the_search_and_is_deterministic() -> None:
    def last_is_a1(r: RunResult) -> bool:
        return [e[0] for e in r.events][:2] == [1, 1]

    a = explore(lambda: build(ToyModel(), (2, 2)), last_is_a1, prune=False)
    b = explore(lambda: build(ToyModel(), (2, 2)), last_is_a1, prune=False)
    assert a.witness is not None and b.witness is not None
    assert a.witness.choices == b.witness.choices
    assert a.executions == b.executions
