"""What the soak's modules hand each other: its configuration, a job in flight, the
counters of a session. Kept apart from the supervisor so the status endpoint and the progress
display can read them without importing it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from emulator.soak.plan import Batch
from emulator.soak.protocol import Choices, Item, ItemResult


class SoakError(Exception):
    """The soak cannot go on (workers cannot start, the store cannot be written). One line for
    the user; exit status 2."""


@dataclass(frozen=True)
class SoakConfig:
    out: Path
    workers: int
    duration: float | None = None
    watchdog: float = 60.0
    grace: float = 20.0
    heartbeat: float = 10.0
    listen: tuple[str, int] | None = None
    argv: tuple[str, ...] = ()
    startup_timeout: float = 120.0


@dataclass(frozen=True)
class Check:
    """A sampled run waiting for its self-check: its first trace hash and the process that
    made it; for a strategy with cross-run state (rff), the choices to replay instead of the
    seed."""

    lane: int
    seed: int
    trace_hash: str
    pid: int
    choices: Choices | None = None


@dataclass
class Pending:
    """A batch (or a self-check round) in flight: what was sent, what came back."""

    jid: int
    batch: Batch | None  # None: a self-check round
    items: tuple[Item, ...]
    results: list[ItemResult | None]
    pids: list[int]  # the worker process that ran each item
    expect: tuple[Check, ...] | None = None  # self-check: the first run of each item
    sent_at: float | None = None  # trio time the job was first sent

    @property
    def culprit(self) -> int | None:
        """The item a worker was in when it went: the first without a result."""
        return next((i for i, r in enumerate(self.results) if r is None), None)


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    started_wall: float = field(default_factory=time.time)
    runs: int = 0
    steps: int = 0
    check_runs: int = 0
    check_replays: int = 0  # self-checks that replayed recorded choices (rff) instead of a seed
    mismatches: int = 0
    restarts: int = 0
    committed: int = 0
    committed_runs: int = 0
    abandoned: int = 0
    skipped: int = 0  # batches already in the store at --resume
    slowest_batch: float = 0.0  # wall seconds, this session
    lane_runs: list[int] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-9)
