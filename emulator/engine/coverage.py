"""Coverage of a run in the model's vocabulary: reads-from pairs and conflict orders by label.

With footprints (see ``footprint``), the hub knows for every applied step which keys it read and
wrote. A *reads-from pair* is (reading step's label, label of the step that last wrote that key;
"" for the initial value); a *conflict order* is (earlier label, later label) for two steps of
different actors that conflict on a key, adjacent in the key's history. Both are sets of label
pairs, so they compare across runs of different lengths (RFF's feedback, a soak's coverage).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from emulator.engine.footprint import ANY, Access

Pair = tuple[str, str]


@dataclass
class Coverage:
    """Pairs seen so far. Membership decides novelty; ``sorted_*`` gives an order-free view."""

    reads_from: set[Pair] = field(default_factory=set)
    orders: set[Pair] = field(default_factory=set)

    def add(self, other: Coverage) -> tuple[int, int]:
        """Merge ``other``; how many reads-from pairs and conflict orders were new."""
        new_rf = len(other.reads_from - self.reads_from)
        new_ord = len(other.orders - self.orders)
        self.reads_from |= other.reads_from
        self.orders |= other.orders
        return new_rf, new_ord

    def summary(self) -> dict[str, object]:
        return {
            "reads_from": len(self.reads_from),
            "conflict_orders": len(self.orders),
            "reads_from_pairs": [list(p) for p in sorted(self.reads_from)],
            "conflict_order_pairs": [list(p) for p in sorted(self.orders)],
        }


class Tracker:
    """Follows one run's accesses key by key and fills a ``Coverage``."""

    __slots__ = ("_last", "_writer", "cov")

    def __init__(self) -> None:
        self.cov = Coverage()
        self._writer: dict[Hashable, str] = {}
        self._last: dict[Hashable, tuple[int, str, bool]] = {}

    def writer_of(self, key: Hashable) -> str:
        """Label of the step that last wrote ``key`` ("" for its initial value)."""
        return self._writer.get(key, "")

    def step(self, actor: int, label: str, fp: Sequence[Access]) -> None:
        writer = self._writer
        last = self._last
        cov = self.cov
        for key, write in fp:
            if key == ANY:
                continue
            if not write:
                cov.reads_from.add((label, writer.get(key, "")))
            prev = last.get(key)
            if prev is not None and prev[0] != actor and (write or prev[2]):
                cov.orders.add((prev[1], label))
            last[key] = (actor, label, write)
            if write:
                writer[key] = label


def union(covs: Iterable[Coverage]) -> Coverage:
    out = Coverage()
    for c in covs:
        out.add(c)
    return out
