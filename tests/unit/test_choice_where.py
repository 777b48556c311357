"""Choice contexts: strict replay compares where each choice was asked; lenient replay (the
shrinker's) does not."""

from __future__ import annotations

import pytest

from emulator.engine.choices import Divergence, Recorder, Replay, ReplayCursor


def recorded() -> Recorder:
    src = Recorder()
    src.record(1, 3, "sched", (4, "CPU0", "A5"))
    src.record(0, 2, "slab", (5, "CPU2", "F1"))
    return src


def test_strict_replay_with_contexts_names_step_actor_and_label() -> None:
    src = recorded()
    cur = ReplayCursor(Replay.strict(src.records))
    rep = Recorder(src.records)
    rep.record(cur.next(3, "sched"), 3, "sched", (4, "CPU0", "A5"))
    v = cur.next(2, "slab")
    with pytest.raises(Divergence) as e:
        rep.record(v, 2, "slab", (5, "CPU2", "F1b"))
    assert str(e.value) == (
        "choice 1 at step 5: recorded slab for CPU2 [F1] at step 5, "
        "live run asked slab for CPU2 [F1b] at step 5"
    )


def test_kind_mismatch_names_the_recorded_place() -> None:
    src = recorded()
    cur = ReplayCursor(Replay.strict(src.records))
    with pytest.raises(Divergence) as e:
        cur.next(2, "sched")
    assert e.value.expected == "sched/3 for CPU0 [A5] at step 4"


def test_lenient_replay_ignores_contexts_but_records_them() -> None:
    src = recorded()
    cur = ReplayCursor(Replay.lenient(src.values))
    rep = Recorder(None)  # lenient replay verifies no contexts
    rep.record(cur.next(3, "sched"), 3, "sched", (9, "CPU1", "X0"))
    assert [c.where for c in rep.records] == [(9, "CPU1", "X0")]
