"""Choice contexts: strict replay compares where each choice was asked; lenient replay (the
shrinker's) does not."""

from __future__ import annotations

import pytest

from emulator.choices import ChoiceSource, Divergence


def recorded() -> ChoiceSource:
    src = ChoiceSource()
    src.record(3, "sched", 1)
    src.place(4, "CPU0", "A5")
    src.record(2, "slab", 0)
    src.place(5, "CPU2", "F1")
    return src


def test_strict_replay_with_contexts_names_step_actor_and_label() -> None:
    src = recorded()
    rep = ChoiceSource((src.values, src.ns, src.kinds), where=src.where)
    rep.replayed(3, "sched")
    rep.place(4, "CPU0", "A5")
    rep.replayed(2, "slab")
    with pytest.raises(Divergence) as e:
        rep.place(5, "CPU2", "F1b")
    assert str(e.value) == (
        "choice 1 at step 5: recorded slab for CPU2 [F1] at step 5, "
        "live run asked slab for CPU2 [F1b] at step 5"
    )


def test_kind_mismatch_names_the_recorded_place() -> None:
    src = recorded()
    rep = ChoiceSource((src.values, src.ns, src.kinds), where=src.where)
    with pytest.raises(Divergence) as e:
        rep.replayed(2, "sched")
    assert e.value.expected == "sched/3 for CPU0 [A5] at step 4"


def test_lenient_replay_ignores_contexts_but_records_them() -> None:
    src = recorded()
    rep = ChoiceSource((src.values, src.ns, src.kinds), lenient=True, where=src.where)
    rep.replayed(3, "sched")
    rep.place(9, "CPU1", "X0")
    assert rep.where == [(9, "CPU1", "X0")]
