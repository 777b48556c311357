"""One run of a soak lane inside a worker: ``session.execute`` with the two things a soak adds,
both of which leave the run itself untouched:

- the run's coverage (reads-from pairs and conflict orders, ``engine.coverage``), tracked into a
  per-scenario set of what this worker has seen, so only pairs new to the worker are sent on;
- for a strategy with cross-run state (``rff``), the worker's campaign for that
  (scenario, variant): its runs learn from the earlier runs of the same worker, so they are a
  function of the seed *and* that history, and only their recorded choices reproduce them.

A run of any other strategy is exactly ``execute(spec)``'s (same trace hash: tracking coverage
changes nothing a run does), so its seed reproduces it under ``pcemu run``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from emulator.engine.choices import Replay
from emulator.engine.coverage import Coverage
from emulator.engine.runtime import RunResult
from emulator.engine.strategies import has_campaign, new_campaign
from emulator.run.many import execute_all
from emulator.run.scenario import Scenario
from emulator.run.session import RunSpec, execute
from emulator.soak.protocol import NewCoverage


class Runner:
    """What one worker process keeps across its runs: coverage seen per scenario, campaigns per
    (scenario, variant)."""

    def __init__(self) -> None:
        self.seen: dict[str, Coverage] = {}
        self.campaigns: dict[tuple[str, str], Any] = {}

    def campaign(self, spec: RunSpec) -> Any:
        if not has_campaign(spec.strategy):
            return None
        key = (spec.scenario, spec.variant)
        if key not in self.campaigns:
            self.campaigns[key] = new_campaign(spec.strategy)
        return self.campaigns[key]

    def run(
        self, spec: RunSpec, track: bool = True, replay: Replay | None = None
    ) -> tuple[Scenario, RunResult, NewCoverage | None]:
        """Run ``spec`` (from its seed and campaign, or from ``replay``); with ``track``, also
        what of its coverage this worker had not seen for its scenario."""
        campaign = None if replay is not None else self.campaign(spec)
        cov = Coverage() if track else None
        scen, result = execute_run(spec, cov, campaign, replay)
        return scen, result, self._new(spec, cov)

    def run_all(
        self,
        calls: Sequence[tuple[RunSpec, bool, Replay | None]],
        each: Callable[[int, tuple[Scenario, RunResult, NewCoverage | None]], None],
    ) -> int:
        """``run`` of each (spec, track, replay), in order, in one trio run, handing each to
        ``each(i, (scenario, result, new coverage))`` as soon as it ends. Returns how many were
        run so; the caller calls ``run`` for the rest (a strategy with a campaign, whose runs
        must see each other in order, runs that way from the first; so does the rest after a
        run that raised, which ``run`` then reports)."""
        if any(replay is None and has_campaign(spec.strategy) for spec, _t, replay in calls):
            return 0
        covs = [Coverage() if track else None for _s, track, _r in calls]

        def handed(i: int, scen: Scenario, result: RunResult) -> None:
            each(i, (scen, result, self._new(calls[i][0], covs[i])))

        pairs = zip(calls, covs, strict=True)
        return execute_all([(spec, replay, cov) for (spec, _t, replay), cov in pairs], handed)

    def _new(self, spec: RunSpec, cov: Coverage | None) -> NewCoverage | None:
        """What of ``cov`` this worker had not seen for the spec's scenario (it is seen now)."""
        if cov is None:
            return None
        seen = self.seen.setdefault(spec.scenario, Coverage())
        new = NewCoverage(
            tuple(sorted(cov.reads_from - seen.reads_from)),
            tuple(sorted(cov.orders - seen.orders)),
        )
        seen.add(cov)
        return new


def execute_run(
    spec: RunSpec,
    coverage: Coverage | None = None,
    campaign: Any = None,
    replay: Replay | None = None,
) -> tuple[Scenario, RunResult]:
    """``session.execute`` with the run's coverage joining ``coverage`` and the strategy given
    ``campaign`` (the same run as ``pcemu run`` makes of the spec, for a strategy without one)."""
    return execute(spec, replay=replay, coverage=coverage, campaign=campaign)
