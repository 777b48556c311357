"""Which runs a soak makes: lanes, shards and seed batches.

A *lane* is one (scenario, variant, strategy); its runs are named by their seed, so any run of a
soak can be replayed later with ``pcemu run``. ``--shard I/N`` gives shard I the seeds
``I, I+N, I+2N, ...`` of every lane: N machines never overlap, whatever their batch size. Batch
``k`` of a lane holds ``size(k)`` of the shard's local seed indices, after those of the batches
before it. Sizes ramp up, 1, 2, 4, ... until they reach ``--batch`` B, and stay at B (a store
written before the ramp keeps B from the start: ``ramp=False``). Batches of all lanes are dealt
round-robin (k = 0 of every lane, then k = 1, ...), so with the small first batches every lane
runs within the first minute; batches already committed to the store are skipped
(``--resume``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from emulator.errors import BadInput, cut
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


MAX_SHARDS = 1_000_000  # machines: shard I's seeds I + N*j stay far below 2**64


def decimal(text: str) -> int | None:
    """``text`` (spaces around it allowed) as an integer >= 0 written in ASCII digits, or None.
    ``int()`` alone takes other scripts' digits, refuses some that ``str.isdigit()`` passes
    (superscripts) and raises on more than 4,300 digits."""
    t = text.strip()
    if not t or len(t) > 30 or not (t.isascii() and t.isdigit()):
        return None
    return int(t)


def check_shards(n: int, text: str) -> int:
    """``n`` shards, or BadInput: more would give a shard seeds past 2**64 - 1."""
    if n > MAX_SHARDS:
        raise BadInput(
            f"--shard {cut(text)!r} splits the seeds {n:,} ways; give N at most {MAX_SHARDS:,} "
            "(one shard per machine or replica)"
        )
    return n


@dataclass(frozen=True)
class Shard:
    index: int = 0
    count: int = 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, _, count = text.partition("/")
        i, n = decimal(index), decimal(count)
        if i is None or n is None or n < 1 or i >= n:
            raise BadInput(
                f"--shard {cut(text)!r} is not I/N with 0 <= I < N; write e.g. --shard 0/4 "
                "for the first of four machines"
            )
        return cls(i, check_shards(n, text))

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
    ramp: bool = True  # first batches of 1, 2, 4, ... seeds (the batch layout of the store)
    _local: int | None = field(init=False, default=None)
    _steps: int = field(init=False, default=0)  # ramp batches before the size reaches B

    def __post_init__(self) -> None:
        local = None if self.seeds is None else self.shard.local_count(self.seeds)
        object.__setattr__(self, "_local", local)
        steps = 0
        while self.ramp and (1 << steps) < self.batch:
            steps += 1
        object.__setattr__(self, "_steps", steps)

    def size(self, k: int) -> int:
        return 1 << k if k < self._steps else self.batch

    def start(self, k: int) -> int:
        """The first local seed index of batch k."""
        if k < self._steps:
            return (1 << k) - 1
        return (1 << self._steps) - 1 + (k - self._steps) * self.batch

    @property
    def runs_per_lane(self) -> int | None:
        return self._local

    @property
    def total_runs(self) -> int | None:
        return None if self._local is None else self._local * len(self.lanes)

    def batches_per_lane(self) -> int | None:
        if self._local is None:
            return None
        k = 0
        while k < self._steps and self.start(k) < self._local:
            k += 1
        if k < self._steps:
            return k
        return k + -(-(self._local - self.start(k)) // self.batch)

    def seeds_of(self, k: int) -> tuple[int, ...]:
        lo = self.start(k)
        hi = lo + self.size(k)
        if self._local is not None:
            hi = min(hi, self._local)
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
