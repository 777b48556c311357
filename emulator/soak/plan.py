"""Which runs a soak makes: lanes, shards and seed batches.

A *lane* is one (scenario, variant, strategy); its runs are named by their seed, so any run of a
soak can be replayed later with ``pcemu run``. ``--shard I/N`` gives shard I the seeds
``I, I+N, I+2N, ...`` of every lane: N machines never overlap, whatever their batch size. Batch
``k`` of a lane holds the shard's local seed indices ``[k*B, (k+1)*B)``. Batches of all lanes are
dealt round-robin (k = 0 of every lane, then k = 1, ...), so every scenario makes progress from
the first minute; batches already committed to the store are skipped (``--resume``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from emulator.errors import BadInput
from emulator.run.session import RunSpec


@dataclass(frozen=True)
class Lane:
    scenario: str  # a built-in name or an absolute path to a scenario script
    variant: str
    strategy: str

    @property
    def key(self) -> str:
        return f"{self.scenario}|{self.variant}|{self.strategy}"

    def spec(self, seed: int) -> RunSpec:
        return RunSpec(
            scenario=self.scenario, variant=self.variant, seed=seed, strategy=self.strategy
        )


@dataclass(frozen=True)
class Shard:
    index: int = 0
    count: int = 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not m or int(m.group(2)) < 1 or int(m.group(1)) >= int(m.group(2)):
            raise BadInput(
                f"--shard {text!r} is not I/N with 0 <= I < N; write e.g. --shard 0/4 "
                "for the first of four machines"
            )
        return cls(int(m.group(1)), int(m.group(2)))

    def seed(self, local: int) -> int:
        return self.index + self.count * local

    def local_count(self, seeds: int) -> int:
        """How many of the seeds [0, seeds) belong to this shard."""
        return max(0, -(-(seeds - self.index) // self.count))


@dataclass(frozen=True)
class Committed:
    """The batches of one lane already in the store: all k < frontier, and a few above it
    (batches that were committed while an earlier one was still in flight)."""

    frontier: int = 0
    above: frozenset[int] = frozenset()

    def __contains__(self, k: object) -> bool:
        return isinstance(k, int) and (k < self.frontier or k in self.above)

    @classmethod
    def of(cls, ks: Iterator[int]) -> Committed:
        """From the committed batch numbers in ascending order."""
        frontier = 0
        above: set[int] = set()
        for k in ks:
            if k == frontier and not above:
                frontier += 1
            else:
                above.add(k)
        while frontier in above:
            above.discard(frontier)
            frontier += 1
        return cls(frontier, frozenset(above))


@dataclass(frozen=True)
class Batch:
    lane: int  # index into Plan.lanes
    k: int
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    lanes: tuple[Lane, ...]
    shard: Shard = Shard()
    batch: int = 50
    seeds: int | None = None  # seed space [0, seeds) of every lane; None = unbounded
    selfcheck: float = 0.05
    _local: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        local = None if self.seeds is None else self.shard.local_count(self.seeds)
        object.__setattr__(self, "_local", local)

    @property
    def runs_per_lane(self) -> int | None:
        return self._local

    @property
    def total_runs(self) -> int | None:
        return None if self._local is None else self._local * len(self.lanes)

    def batches_per_lane(self) -> int | None:
        return None if self._local is None else -(-self._local // self.batch)

    def seeds_of(self, k: int) -> tuple[int, ...]:
        lo = k * self.batch
        hi = lo + self.batch if self._local is None else min(lo + self.batch, self._local)
        return tuple(self.shard.seed(j) for j in range(lo, hi))

    def batches(self, committed: Mapping[str, Committed]) -> Iterator[Batch]:
        """Every batch not yet committed, round-robin over the lanes."""
        n = self.batches_per_lane()
        empty = Committed()
        k = 0
        while n is None or k < n:
            for i, lane in enumerate(self.lanes):
                if k not in committed.get(lane.key, empty):
                    yield Batch(i, k, self.seeds_of(k))
            k += 1

    def checked(self, lane: Lane, seed: int) -> bool:
        """Is this run one of the self-check sample? Fixed per run, so a resumed soak samples
        the same runs, and independent of the worker that happens to run it."""
        if self.selfcheck <= 0:
            return False
        if self.selfcheck >= 1:
            return True
        h = hashlib.blake2b(f"{lane.key}#{seed}".encode(), digest_size=8).digest()
        return int.from_bytes(h, "big") < self.selfcheck * 2**64
