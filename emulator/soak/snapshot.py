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
    # Coverage of every committed run (all sessions): reads-from pairs and conflict orders,
    # in all and per scenario ((reads-from, orders)); those committed in the last minute and
    # in this session.
    coverage_reads_from: int = 0
    coverage_conflict_orders: int = 0
    coverage_by_scenario: Mapping[str, tuple[int, int]] = dataclasses.field(default_factory=dict)
    coverage_last_minute: tuple[int, int] = (0, 0)
    coverage_this_session: tuple[int, int] = (0, 0)
    selfcheck_replays: int = 0  # self-checks that replayed an rff run's recorded choices

    def as_json(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["runs_by_scenario"] = dict(self.runs_by_scenario)
        d["coverage_by_scenario"] = {
            s: {"reads_from": rf, "conflict_orders": o}
            for s, (rf, o) in self.coverage_by_scenario.items()
        }
        for k in ("coverage_last_minute", "coverage_this_session"):
            rf, o = getattr(self, k)
            d[k] = {"reads_from": rf, "conflict_orders": o}
        return d

    def coverage_line(self) -> str:
        """'coverage: 37 reads-from pairs, 52 conflict orders; +3 and +5 in the last minute'"""
        rf, o = self.coverage_last_minute
        return (
            f"coverage: {self.coverage_reads_from} reads-from pairs, "
            f"{self.coverage_conflict_orders} conflict orders; +{rf} and +{o} in the last minute"
        )


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
