"""A soak's state at one moment, as the display, the heartbeat lines, the status endpoint and
the summary read it: frozen values made by the supervisor, never the supervisor itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Snapshot:
    session: int
    elapsed_s: float
    runs: int
    steps: int
    runs_per_s: float
    steps_per_s: float
    batches_committed: int
    batches_resumed: int
    inflight: int
    workers: int
    workers_configured: int
    worker_restarts: int
    selfchecks: int
    nondeterministic: int
    findings: int
    finding_hits: int
    unexpected: int  # findings that are not a declared violation of their scenario
    planned_runs: int | None
    runs_by_scenario: Mapping[str, int]
    stopping: str | None
    remaining_s: float | None  # of --duration

    def as_json(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["runs_by_scenario"] = dict(self.runs_by_scenario)
        return d


@dataclass(frozen=True)
class Final:
    """The last snapshot and how the soak ended. Times are ISO 8601 UTC."""

    snap: Snapshot
    stop_reason: str
    signal: str | None  # SIGINT or SIGTERM when one stopped the soak
    batches_abandoned: int
    checks_dropped: int
    runs_committed: int
    started: str
    ended: str
    duration_s: float | None  # --duration
    overrun_s: float | None  # how far past --duration the soak ended, when it did

    def as_json(self) -> dict[str, Any]:
        d = self.snap.as_json()
        d.update(
            {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "snap"}
        )
        return d
