"""Shrinking a failing run: the command side. ``shrink_file`` replays a recording, runs the
search (``shrinker.Shrinker``) for a simpler choice sequence that still trips the same oracle,
re-records the result from the accepted lenient run (values, ranges, kinds and contexts as the
run asked them), so it replays *strictly*, replays it strictly once more, and writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from emulator.debug.replay import Verdict, replay_file
from emulator.debug.shrinker import Measure, Shrinker, Target
from emulator.engine.choices import Replay
from emulator.engine.config import RunResult
from emulator.engine.events import switches
from emulator.errors import BadInput
from emulator.run import interrupts
from emulator.run.inputs import output_file
from emulator.run.recording import Recording
from emulator.run.session import RunSpec, execute, validate
from emulator.run.tracefile import write_trace

MAX_RUNS = 4000  # candidate runs; a run of a scenario costs milliseconds
MAX_RUNS_LIMIT = 10_000_000


@dataclass
class Shrunk:
    target: Target
    before: Measure
    after: Measure
    runs: int
    trace: Recording
    result: RunResult
    spec: RunSpec
    interrupted: int | None = None  # the signal that stopped the search early


def target_of(result: RunResult, any_site: bool) -> Target:
    v = result.outcome.violation
    if v is None:
        status = result.outcome.status
        raise BadInput(
            f"the recorded run ended {status!r}, not in an oracle violation: nothing to shrink "
            "(shrink the trace of a failing run)"
        )
    if any_site:
        return Target(v.oracle, None, None)
    return Target(v.oracle, v.actor, v.label)


def shrink_verdict(
    v: Verdict,
    any_site: bool = False,
    max_runs: int = MAX_RUNS,
    on_run: Callable[[RunResult, bool], None] | None = None,
) -> Shrunk:
    target = target_of(v.result, any_site)
    s = Shrinker(v.spec, target, v.result, max_runs, on_run)
    try:
        best = s.run()
    except KeyboardInterrupt:  # a second signal: stop at once, keep the best found so far
        best = s.best
    # Re-record: the kept lenient run's own choices, contexts and events, checked by a strict
    # replay under the recording's original budget.
    _scen, again = execute(v.spec, Replay.strict(best.choices))
    if again.divergence or again.outcome.trace_hash != best.outcome.trace_hash:
        raise RuntimeError(
            f"shrunk run does not replay strictly ({again.divergence or 'trace hash differs'})"
        )
    header = dict(v.spec.header(validate(v.spec)))
    header["shrunk_from"] = v.result.outcome.trace_hash
    trace = Recording.of(header, best)
    return Shrunk(
        target,
        Measure.of(v.result),
        Measure.of(best),
        s.runs,
        trace,
        best,
        v.spec,
        interrupts.received(),
    )


def shrink_file(
    path: Path,
    out: Path,
    force: bool = False,
    any_site: bool = False,
    max_runs: int = MAX_RUNS,
    on_run: Callable[[RunResult, bool], None] | None = None,
    script: Path | None = None,
) -> Shrunk:
    if not 0 < max_runs <= MAX_RUNS_LIMIT:
        raise BadInput(
            f"--max-runs {max_runs} must be a number of candidate runs, 1 to {MAX_RUNS_LIMIT:,}"
        )
    output_file(out, "--out")
    v = replay_file(path, force, script=script)
    if not v.reproduced:
        raise BadInput(
            f"{str(path)!r} does not replay on this pcemu ({v.differences[0]}); shrink needs a "
            "recording that reproduces (see pcemu replay)"
        )
    shrunk = shrink_verdict(v, any_site, max_runs, on_run)
    write_trace(out, shrunk.trace)
    return shrunk


def directed_switches(spec: RunSpec, target: Target) -> int | None:
    """Switches of the scenario's directed schedule (the spec's numbered interleaving), when it
    trips the same oracle: the yardstick for a shrunk interleaving."""
    _scen, result = execute(replace(spec, schedule="directed"))
    if result.outcome.violation is None or result.outcome.violation.oracle != target.oracle:
        return None
    return switches(result.events)


def summary(s: Shrunk, out: Path, directed: int | None) -> list[str]:
    b, a = s.before, s.after
    yard = f"   (directed schedule: {directed})" if directed is not None else ""
    stopped = "" if s.interrupted is None else "; interrupted, best so far"
    return [
        f"shrink: {s.target} still fires; {s.runs} candidate runs{stopped}",
        f"  steps     {b.steps:>5} -> {a.steps}",
        f"  switches  {b.switches:>5} -> {a.switches}{yard}",
        f"  delays    {b.delays:>5} -> {a.delays}",
        f"  choices   {b.choices:>5} -> {a.choices}",
        f"wrote {out}  (pcemu replay {out}; pcemu explain {out})",
    ]
