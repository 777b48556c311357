"""The default strategy, mix: which strategy runs a seed is a function of the seed and of the
program (its chaos windows, its profile), never of other seeds; a seed pos runs because a
random walk of the profile already failed replays like any other; and the default finds the
race such a program has (no test here is pinned to a seed: they hold for any seed range)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from emulator.engine.choices import Replay
from emulator.engine.profile import Profile
from emulator.engine.strategies import make_strategy, mix_member
from emulator.run.catalog import load_script
from emulator.run.many import run_many
from emulator.run.session import RunSpec, execute, profile_of

PORTS = Path(__file__).resolve().parents[2] / "benchmarks" / "programs"
RACE = "futex-ihold-resurrect"  # windowed; the profile's random walks find it


def _profile(source: str, variant: str) -> Profile:
    scen = load_script(PORTS / source)
    p = profile_of(scen, variant, {}, scen.budget)
    assert p is not None
    return p


def test_the_profile_counts_the_random_walks_that_fail() -> None:
    bad = _profile("arithmetic_prog.py", "arithmetic_prog_bad")  # fails on every schedule
    ok = _profile("arithmetic_prog.py", "arithmetic_prog_ok")
    assert bad.failures == bad.runs and ok.failures == 0


def test_mix_keeps_its_members_when_no_profile_walk_fails() -> None:
    quiet = _profile("reorder.py", "reorder_4_bad")
    assert quiet.failures == 0
    windowed = [mix_member(s, True, quiet) for s in range(2000)]
    # Windows: chaos on three seeds in four, urw on the fourth, by a mix of the seed.
    assert set(windowed) == {"chaos", "urw"}
    assert 430 < windowed.count("urw") < 570
    _unaligned(windowed, "urw", 0.14, 0.36, range(0, 8))
    for profile in (quiet, None):
        members = [mix_member(s, False, profile) for s in range(2000)]
        # Odd seeds surw; the even ones chaos, pct or surw (1, 1 and 4 in 6) by a mix of the
        # seed: surw five sixths of all seeds, chaos and pct a twelfth each.
        assert set(members[1::2]) == {"surw"}
        assert set(members[0::2]) == {"chaos", "pct", "surw"}
        for name in ("chaos", "pct"):
            assert 120 < members.count(name) < 220, name
            _unaligned(members, name, 0.08, 0.26, range(0, 8, 2))


def _unaligned(members: list[str], name: str, lo: float, hi: float, residues: range) -> None:
    """No residue class of the seed (mod 2, 4, 8) is aligned with ``name``'s share."""
    for k in (2, 4, 8):
        for r in residues:
            if r >= k:
                continue
            share = members[r::k].count(name) / len(members[r::k])
            assert lo < share < hi, (name, k, r, share)


def test_mix_gives_pos_three_seeds_in_four_by_a_mix_of_the_seed_not_its_residue() -> None:
    failing = replace(_profile("reorder.py", "reorder_4_bad"), failures=1)
    for windows, others in ((True, {"chaos", "urw"}), (False, {"chaos", "pct", "surw"})):
        members = [mix_member(s, windows, failing) for s in range(2000)]
        assert set(members) == others | {"pos"}
        assert 1400 < members.count("pos") < 1600
        # No residue class of the seed is aligned with pos (a hunt starts on seed 0).
        for k in (2, 4, 8):
            for r in range(k):
                share = members[r::k].count("pos") / len(members[r::k])
                assert 0.62 < share < 0.88, (windows, k, r, share)
    made = [make_strategy("mix", s, {"switch": 5}, failing, windows=True) for s in range(128)]
    assert all(m.name == "mix" for m in made)
    assert {type(m).__name__ for m in made} == {"ChaosStrategy", "PosStrategy", "UrwStrategy"}
    assert all(m.params()["switch"] == 5 for m in made if m.delays)


def test_a_mix_run_replays_from_its_choices_whichever_member_ran_it() -> None:
    kinds = set()
    for seed in range(32):
        spec = RunSpec(RACE, "buggy", seed, "mix")
        _, a = execute(spec)
        kinds.add(any(c.kind == "delay" for c in a.choices))
        _, b = execute(spec, replay=Replay.strict(a.choices))
        assert b.divergence is None and b.outcome.trace_hash == a.outcome.trace_hash, seed
    assert kinds == {True, False}  # chaos seeds (delays) and pos seeds (none) both replayed


def test_the_default_finds_a_race_of_finely_interleaved_steps_in_most_seed_ranges() -> None:
    # pos finds it in about half its seeds, chaos in one of seven: 40 seeds of the default
    # find it several times whichever 40 they are (a bound, not a seed).
    for start in (0, 1000, 77_777):
        hits = sum(r.outcome.failed for r in run_many(RACE, "buggy", range(start, start + 40)))
        assert hits >= 4, (start, hits)
