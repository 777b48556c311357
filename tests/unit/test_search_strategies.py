"""The search strategies (pos, urw, surw, rff, the fixed pct), footprints and enabledness:
blocked requests and local steps are no choices, runs replay from their choices alone, the
profile is a function of the program, and no clean control or FIXED variant ever fails."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from actors.generic import Program, Thread
from actors.model.footprints import FOOTPRINTS
from actors.model.model import OPS
from emulator.engine.choices import Replay
from emulator.engine.footprint import ANY, UNKNOWN, conflict
from emulator.engine.profile import profile
from emulator.engine.runtime import RunConfig, RunResult, run_sync
from emulator.engine.sampling import Corpus
from emulator.engine.strategies import STRATEGIES, ChaosStrategy, PctStrategy, make_strategy
from emulator.run.catalog import builtin, load_script
from emulator.run.many import run_many
from emulator.run.scenario import Scenario
from emulator.run.session import RunSpec, execute, profile_of

PORTS = Path(__file__).resolve().parents[2] / "benchmarks" / "programs"
NEW = ("pos", "urw", "surw", "rff", "pct")


@cache
def port(module: str) -> Scenario:
    return load_script(PORTS / f"{module}.py")


def test_every_kernel_op_declares_a_footprint() -> None:
    assert sorted(OPS) == sorted(FOOTPRINTS)


def test_conflict_needs_a_common_key_and_a_write() -> None:
    r, w = (("x", False),), (("x", True),)
    assert conflict(r, w) and conflict(w, w) and not conflict(r, r)
    assert not conflict(w, (("y", True),))
    assert conflict(UNKNOWN, r) and conflict(r, ((ANY, False), ("z", True))) is False
    assert not conflict((), UNKNOWN)


async def _locker(t: Thread) -> None:
    await t.lock("L1", "m")
    await t.check("C1", True, "local")
    await t.unlock("U1", "m")


async def _main(t: Thread) -> None:
    await t.lock("L0", "m")
    a = await t.spawn("S1", _locker)
    await t.yield_("Y1")
    await t.unlock("U0", "m")
    await t.join("J1", a)


LOCKS = Program("locks", {}, _main, expect=(), max_threads=2)


def _run(p: Program, strategy: str, seed: int) -> RunResult:
    st = p.setup()
    return run_sync(st.model, st.actors, RunConfig(make_strategy(strategy, seed)))


def test_blocked_requests_and_local_steps_are_no_choices() -> None:
    for seed in range(20):
        r = _run(LOCKS, "random", seed)
        assert r.outcome.status == "clean"
        # Choices only where two requests touching shared state were both enabled: a thread
        # blocked on m is not a candidate, and check/yield/start are applied at once.
        for c in r.choices:
            assert c.where is not None and c.where[2] not in ("C1", "Y1", "start")
        assert r.forced >= 3


def test_a_deadlock_is_still_found_when_every_request_would_block() -> None:
    async def t1(t: Thread) -> None:
        await t.lock("A1", "a")
        await t.lock("A2", "b")

    async def main(t: Thread) -> None:
        await t.lock("M1", "b")
        await t.spawn("S1", t1)
        await t.yield_("Y")
        await t.lock("M2", "a")

    p = Program("dl", {}, main, expect=("INV-DL-1",), max_threads=2)
    for s in STRATEGIES:
        outs = set()
        for seed in range(40):
            o = _run(p, s, seed).outcome
            outs.add(o.violation.oracle if o.violation else o.status)
        assert "INV-DL-1" in outs and outs <= {"INV-DL-1", "clean"}, (s, outs)


@pytest.mark.parametrize("strategy", NEW)
def test_runs_replay_from_their_choices_alone(strategy: str) -> None:
    for seed in range(5):
        spec = RunSpec("benchmarks/programs/reorder.py", "reorder_4_bad", seed, strategy)
        _, a = execute(spec)
        _, b = execute(spec, replay=Replay.strict(a.choices))
        _, c = execute(spec)
        assert a.outcome.trace_hash == b.outcome.trace_hash == c.outcome.trace_hash
        assert b.divergence is None


def test_the_profile_is_a_function_of_the_program() -> None:
    s = port("reorder")

    def build() -> object:
        st = s.build("reorder_3_bad", {})
        return st.model, st.actors

    a = profile(build, 1000)  # type: ignore[arg-type]
    b = profile(build, 1000)  # type: ignore[arg-type]
    assert a.decisions == b.decisions and a.counts == b.counts and a.parents == b.parents
    assert a.racy_labels == b.racy_labels
    assert a.parents["check0"] == "main" and {"W1", "R1"} <= set(a.racy_labels)


def test_pct_draws_distinct_change_points_among_real_decisions() -> None:
    prof = profile_of(port("reorder"), "reorder_10_bad", {}, 20_000)
    for seed in range(50):
        s = make_strategy("pct", seed, {"depth": 5}, prof)
        assert isinstance(s, PctStrategy)
        s.start(11)
        assert s.k == prof.decisions
        assert len(s.change) == 4 and all(2 <= c <= s.k for c in s.change)
        assert sorted(s.change.values()) == [1, 2, 3, 4]


def test_surw_finds_reorder_10_which_random_walk_misses() -> None:
    for strategy in ("surw",):
        hits = sum(
            r.outcome.failed
            for r in run_many(
                "benchmarks/programs/reorder.py", "reorder_10_bad", range(60), strategy
            )
        )
        assert hits >= 3, strategy


def test_rff_keeps_runs_with_new_reads_from_pairs_deterministically() -> None:
    def hunt() -> tuple[int, list[int]]:
        c = Corpus()
        s = port("reorder")
        hashes = []
        for seed in range(40):
            st = s.build("reorder_4_bad", {})
            r = run_sync(st.model, st.actors, RunConfig(make_strategy("rff", seed, campaign=c)))
            hashes.append(int(r.outcome.trace_hash[:8], 16))
        return len(c.entries), hashes

    n, h = hunt()
    assert n >= 2 and (n, h) == hunt()


def test_coverage_names_reads_from_pairs_by_label() -> None:
    cov_runs = [
        r.coverage
        for r in run_many("benchmarks/programs/reorder.py", "reorder_3_bad", range(20), "rff")
    ]
    pairs = set().union(*(c.reads_from for c in cov_runs if c is not None))
    assert ("R1", "") in pairs and ("R1", "W1") in pairs


def _clean_variants() -> list[tuple[str, str]]:
    out = [
        (str(PORTS / f"{m}.py"), v)
        for m in sorted(p.stem for p in PORTS.glob("*.py"))
        for v in port(m).variants
        if not port(m).expects[v]
    ]
    for name, scen in sorted(builtin().items()):
        out += [(name, v) for v in scen.variants if v.startswith("fixed")]
    return out


@pytest.mark.parametrize("target", _clean_variants(), ids=lambda t: f"{Path(t[0]).stem}-{t[1]}")
def test_clean_controls_and_fixed_variants_stay_clean(target: tuple[str, str]) -> None:
    source, variant = target
    for strategy in STRATEGIES:
        bad = [
            (strategy, r.outcome.status)
            for r in run_many(source, variant, range(20), strategy)
            if r.outcome.failed
        ]
        assert not bad, bad


@pytest.mark.slow
@pytest.mark.parametrize("target", _clean_variants(), ids=lambda t: f"{Path(t[0]).stem}-{t[1]}")
def test_clean_controls_and_fixed_variants_stay_clean_long(target: tuple[str, str]) -> None:
    source, variant = target
    for strategy in STRATEGIES:
        bad = [
            (strategy, seed, r.outcome.status)
            # 150 seeds per strategy here (the default tier runs 20; CI must stay under 25
            # minutes on a slow day); benchmarks/hunt.py --fixed 2000 is the full sweep
            for seed, r in enumerate(run_many(source, variant, range(150), strategy))
            if r.outcome.failed
        ]
        assert not bad, bad


def test_directed_schedules_still_reproduce() -> None:
    for name, scen in sorted(builtin().items()):
        for v in scen.variants:
            if v.startswith("buggy"):
                spec = RunSpec(name, v, 0, "chaos", schedule="directed")
                assert execute(spec)[1].outcome.failed, (name, v)


def test_hunts_run_profiled_strategies_with_their_profile() -> None:
    """run_many computes the profile before its trio run (inside it, profiling cannot start)."""
    from emulator.run import session

    session._PROFILES.clear()
    list(run_many("benchmarks/programs/reorder.py", "reorder_4_bad", range(2), "surw"))
    assert session._PROFILES and all(p is not None for p in session._PROFILES.values())


def test_mix_with_windows_runs_chaos_with_its_parameters_or_urw() -> None:
    made = [make_strategy("mix", s, {"switch": 5}, windows=True) for s in range(64)]
    kinds = [type(m).__name__ for m in made]
    assert set(kinds) == {"ChaosStrategy", "UrwStrategy"}
    assert kinds.count("ChaosStrategy") > kinds.count("UrwStrategy")
    assert all(m.name == "mix" for m in made)
    assert all(m.delays and m.params()["switch"] == 5 for m in made if isinstance(m, ChaosStrategy))


def test_mix_without_windows_runs_surw_on_odd_seeds_and_any_of_three_on_even_ones() -> None:
    # (Proportions: test_mix_default.py.)
    kinds = [type(make_strategy("mix", s)).__name__ for s in range(64)]
    assert set(kinds[1::2]) == {"SurwStrategy"}
    assert set(kinds[0::2]) == {"ChaosStrategy", "PctStrategy", "SurwStrategy"}


def test_chaos_keeps_a_programs_marked_windows_alone() -> None:
    # The profile's conflicting labels delay chaos's actors only where nobody marked a window.
    scen = port("reorder")
    prof = profile_of(scen, "reorder_3_bad", {}, scen.budget)
    assert prof is not None and prof.racy_labels
    plain = make_strategy("chaos", 1, profile=prof)
    marked = make_strategy("chaos", 1, profile=prof, windows=True)
    assert isinstance(plain, ChaosStrategy) and isinstance(marked, ChaosStrategy)
    assert plain.hot == frozenset(prof.racy_labels) and not marked.hot


def test_a_profile_asked_inside_a_trio_run_is_an_error_not_a_silent_none() -> None:
    import trio

    async def inside() -> None:
        profile_of(port("reorder"), "reorder_3_bad", {}, 999)

    with pytest.raises(RuntimeError, match="inside a trio run"):
        trio.run(inside)
