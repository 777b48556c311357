"""Shrinking: the result replays strictly and still trips the same oracle at the same place, and
a failure found from a seed shrinks to no more actor switches than twice the scenario's
directed schedule (the spec's numbered interleaving)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.debug.replay import replay_file
from emulator.debug.shrink import directed_switches, shrink_file
from emulator.debug.shrinker import Measure
from emulator.engine.events import switches
from emulator.run.artifacts import save
from emulator.run.catalog import builtin
from emulator.run.session import RunSpec, execute
from emulator.run.tracefile import read_trace
from tests.e2e.invoke import pcemu

# Every scenario the issue holds to the 2x target; one still being written is skipped only
# while its module is absent from the catalogue.
TARGETS = ("anon-vma-reuse", "fuse-write-deadlock")


def first_failure(name: str, tmp_path: Path, strategy: str = "chaos") -> tuple[RunSpec, Path]:
    """The first seed that fails, as a hunt finds it, saved as a trace."""
    for seed in range(300):
        spec = RunSpec(scenario=name, variant="buggy", seed=seed, strategy=strategy)
        scen, result = execute(spec)
        if result.outcome.violation is not None:
            trace = tmp_path / f"{name}-{seed}.pctrace"
            save(spec.header(scen), result, None, trace)
            return spec, trace
    raise AssertionError(f"{name}: no failing seed in 300")


def need(name: str) -> None:
    if name not in builtin():
        pytest.skip(f"scenario {name} is not in the catalogue yet")


@pytest.mark.parametrize("name", TARGETS)
def test_shrunk_failure_meets_twice_the_directed_switches(name: str, tmp_path: Path) -> None:
    need(name)
    spec, trace = first_failure(name, tmp_path)
    out = tmp_path / "min.pctrace"
    s = shrink_file(trace, out)
    directed = directed_switches(spec, s.target)
    assert directed is not None, f"{name}: the directed schedule does not trip {s.target.oracle}"
    assert s.after.switches <= 2 * directed, (s.before, s.after, directed)
    assert s.after.switches <= s.before.switches and s.after.steps <= s.before.steps + 20
    # The written file is the accepted run itself and replays strictly, same place, same hash.
    v = replay_file(out)
    assert v.reproduced, v.differences
    vio = v.result.outcome.violation
    assert vio is not None and s.target.hit(v.result)
    assert switches(v.result.events) == s.after.switches
    assert read_trace(out).header["shrunk_from"] == read_trace(trace).end["trace_hash"]


def test_shrink_keeps_oracle_actor_and_label_and_reduces(tmp_path: Path) -> None:
    _spec, trace = first_failure("anon-vma-reuse", tmp_path)
    before = read_trace(trace)
    s = shrink_file(trace, tmp_path / "min.pctrace")
    after = read_trace(tmp_path / "min.pctrace")
    assert after.end["violation"]["oracle"] == before.end["violation"]["oracle"]
    assert after.end["violation"]["actor"] == before.end["violation"]["actor"]
    assert after.end["violation"]["label"] == before.end["violation"]["label"]
    b, a = s.before, s.after
    assert (a.switches, a.steps, a.delays) < (b.switches, b.steps, b.delays)
    assert after.choices is not None and after.has_where


def test_shrinking_a_shrunk_trace_changes_nothing(tmp_path: Path) -> None:
    _spec, trace = first_failure("anon-vma-reuse", tmp_path)
    once = shrink_file(trace, tmp_path / "once.pctrace")
    twice = shrink_file(tmp_path / "once.pctrace", tmp_path / "twice.pctrace")
    assert twice.after == once.after
    assert read_trace(tmp_path / "twice.pctrace").end == read_trace(tmp_path / "once.pctrace").end


def test_measure_counts_switches_and_injected_delays(tmp_path: Path) -> None:
    _spec, trace = first_failure("anon-vma-reuse", tmp_path)
    v = replay_file(trace)
    m = Measure.of(v.result)
    choices = v.result.choices
    assert m.steps == v.result.outcome.steps and m.choices == len(choices)
    assert m.delays == sum(1 for c in choices if c.kind == "delay" and c.value)
    assert m.switches == switches(v.result.events)


def test_cli_shrink_reports_the_reduction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _spec, trace = first_failure("anon-vma-reuse", tmp_path)
    code, out, err = pcemu(capsys, "shrink", str(trace))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("shrink: INV-LOCK-1 at CPU0 [W2] still fires; ")
    assert [x.split()[0] for x in lines[1:5]] == ["steps", "switches", "delays", "choices"]
    assert "(directed schedule: 7)" in lines[2]
    default = trace.with_name(trace.name.replace(".pctrace", ".min.pctrace"))
    assert lines[5].startswith(f"wrote {default}")
    code, out, _ = pcemu(capsys, "replay", "-q", str(default))
    assert code == 0 and out.startswith("replay: reproduced (violation")


def test_cli_shrink_refuses_a_clean_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = RunSpec(scenario="anon-vma-reuse", variant="fixed", seed=1)
    scen, result = execute(spec)
    assert not result.outcome.failed
    trace = tmp_path / "clean.pctrace"
    save(spec.header(scen), result, None, trace)
    code, _out, err = pcemu(capsys, "shrink", str(trace))
    assert code == 2
    assert err == (
        "pcemu: error: the recorded run ended 'clean', not in an oracle violation: nothing to "
        "shrink (shrink the trace of a failing run)\n"
    )


def test_a_failure_of_the_default_run_shrinks_to_no_choices(tmp_path: Path) -> None:
    """A livelock needs no interleaving at all: the shrinker tries the default run first and
    stops deviating from it (a thousand-step run would otherwise cost a thousand runs)."""
    name = "futex-zero-page-livelock"
    need(name)
    _spec, trace = first_failure(name, tmp_path)
    s = shrink_file(trace, tmp_path / "min.pctrace")
    assert s.after.delays == 0 and s.after.switches == 0
    assert all(v == 0 for v in s.result.values)
    assert s.runs < 20


def test_candidates_share_trio_runs_and_a_failing_step_is_named_by_execute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search makes many candidate runs per trio run, the same search as one trio run per
    candidate; when a candidate's model step raises inside the batch, that candidate is run
    again alone by ``execute``, whose error (naming actor, label and line) is the one raised."""
    from emulator.debug import shrinker
    from emulator.debug.shrinker import Shrinker, Target
    from emulator.engine import runtime

    spec, _trace = first_failure("anon-vma-reuse", tmp_path)
    _scen, start = execute(spec)
    vio = start.outcome.violation
    assert vio is not None
    target = Target(vio.oracle, vio.actor, vio.label)

    batches: list[int] = []
    real_batch = runtime.run_batch

    def counting(jobs, until=None, keep=True):  # type: ignore[no-untyped-def]
        batches.append(1)
        return real_batch(jobs, until, keep)

    monkeypatch.setattr(shrinker, "run_batch", counting)
    s = Shrinker(spec, target, start, max_runs=60)
    s.run()
    assert s.runs > 1 and batches == [1]  # every candidate in one trio run

    # The 5th candidate's model step raises; execute is asked about that candidate.
    real_prepare = shrinker.prepare
    prepared: list[list[int]] = []

    def failing_prepare(spec, replay=None, *a, **k):  # type: ignore[no-untyped-def]
        scen, setup, cfg = real_prepare(spec, replay, *a, **k)
        prepared.append(list(replay.values) if replay is not None else [])
        if len(prepared) == 5:

            def boom(*_a, **_k):  # type: ignore[no-untyped-def]
                raise ZeroDivisionError("model step")

            setup.model.apply = boom
        return scen, setup, cfg

    named: list[list[int]] = []

    def naming_execute(spec, replay=None, *a, **k):  # type: ignore[no-untyped-def]
        named.append(list(replay.values) if replay is not None else [])
        raise RuntimeError("named by execute")

    monkeypatch.setattr(shrinker, "prepare", failing_prepare)
    monkeypatch.setattr(shrinker, "execute", naming_execute)
    with pytest.raises(RuntimeError, match="named by execute"):
        Shrinker(spec, target, start, max_runs=60).run()
    assert named == [prepared[4]]
