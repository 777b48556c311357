"""Replay verifies every recorded choice against the live run: a scenario edited under a trace
stops at the first divergent choice, named by step, actor and label; other versions are refused.

The edits happen in a temporary copy of a built-in scenario, run as a user script."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import msgpack
import pytest

from emulator import __version__
from emulator.debug.replay import replay_file
from emulator.engine.config import RunResult
from emulator.errors import BadInput
from emulator.run.artifacts import save
from emulator.run.catalog import builtin
from emulator.run.session import RunSpec, execute
from emulator.run.tracefile import read_trace
from tests.e2e.seeds import first_seed, lock_failure, shows


def edited_away(r: RunResult) -> bool:
    """A run of anon-vma-reuse buggy that trips INV-LOCK-1 and meets every edit below: its
    first choice asked at CPU0's [R1] is a sched choice, a choice is asked at CPU0's [R3], and
    CPU1 zaps the pte at [X2]."""
    at = [c.where for c in r.choices if c.where is not None]
    r1 = [c for c in r.choices if c.where is not None and c.where[2] == "R1"]
    return (
        lock_failure(r)
        and bool(r1)
        and r1[0].kind == "sched"
        and r1[0].where is not None
        and r1[0].where[1] == "CPU0"
        and ("CPU0", "R3") in {(w[1], w[2]) for w in at}
        and shows(r, "CPU1", "X2", "pte_zap")
    )


def record(tmp_path: Path) -> tuple[Path, Path]:
    src = Path(builtin()["anon-vma-reuse"].build.__code__.co_filename)
    script = tmp_path / "reuse_copy.py"
    shutil.copy(src, script)
    spec = RunSpec(scenario=str(script), variant="buggy", seed=first_seed(edited_away).seed)
    scen, result = execute(spec)
    assert result.outcome.violation is not None
    trace = tmp_path / "run.pctrace"
    save(spec.header(scen), result, None, trace)
    return script, trace


def edit(script: Path, old: str, new: str) -> None:
    text = script.read_text()
    assert text.count(old) == 1, old
    script.write_text(text.replace(old, new))


def test_trace_records_where_every_choice_was_asked(tmp_path: Path) -> None:
    script, trace = record(tmp_path)
    t = read_trace(trace)
    assert t.choices is not None and t.has_where and len(t.choices) > 0
    where = [c.where for c in t.choices if c.where is not None]
    steps = [w[0] for w in where]
    assert steps == sorted(steps)  # choices are asked in step order
    assert {w[1] for w in where} <= set(t.actors)
    v = replay_file(trace, script=script)
    assert v.reproduced, v.differences


def test_renamed_label_stops_at_the_first_divergent_choice(tmp_path: Path) -> None:
    script, trace = record(tmp_path)
    edit(script, 'k.trylock_page("R1", p_ref)', 'k.trylock_page("R1b", p_ref)')
    v = replay_file(trace, force=True, script=script)
    assert not v.reproduced
    m = re.fullmatch(
        r"diverged: choice (\d+) at step (\d+): recorded sched for CPU0 \[R1\] at step \2, "
        r"live run asked sched for CPU0 \[R1b\] at step \2",
        v.differences[0],
    )
    assert m, v.differences
    # The run stopped there: nothing after the divergence is replayed or blamed.
    assert v.result.outcome.steps < int(m.group(2))
    assert v.differences[1:] == [f"replay stopped after {v.result.outcome.steps} steps"]


def test_inserted_step_is_named_with_expected_and_found_label(tmp_path: Path) -> None:
    script, trace = record(tmp_path)
    edit(
        script,
        "        await rmap_walk_anon(k, p_ref, fixed)\n",
        '        await k.note("R2", "an extra step")\n'
        "        await rmap_walk_anon(k, p_ref, fixed)\n",
    )
    v = replay_file(trace, force=True, script=script)
    assert not v.reproduced
    assert re.match(
        r"diverged: choice \d+ at step \d+: recorded \w+ for CPU0 \[R3\] at step \d+, "
        r"live run asked \w+ for CPU0 \[R2\] at step \d+",
        v.differences[0],
    ), v.differences


def test_changed_argument_with_same_choices_names_the_first_different_step(
    tmp_path: Path,
) -> None:
    script, trace = record(tmp_path)
    edit(script, "ADDR = 0x1000", "ADDR = 0x2000")
    v = replay_file(trace, force=True, script=script)
    assert not v.reproduced
    assert v.differences[0].startswith("first different step ")
    assert "recorded CPU1 [X2] pte_zap(" in v.differences[0] and "4096" in v.differences[0]
    assert "replay CPU1 [X2] pte_zap(" in v.differences[0] and "8192" in v.differences[0]


def test_unchanged_copy_still_reproduces(tmp_path: Path) -> None:
    script, trace = record(tmp_path)
    assert replay_file(trace, script=script).reproduced


def sections(trace: Path) -> list[dict[str, object]]:
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(trace.read_bytes())
    return list(unpacker)


def rewrite(trace: Path, out: Path, head: dict[str, object] | None = None) -> None:
    parts: list[Any] = sections(trace)
    if head:
        parts[0]["header"].update(head)
    out.write_bytes(b"".join(msgpack.packb(p) for p in parts))


def test_other_pcemu_version_is_refused_naming_both_unless_forced(tmp_path: Path) -> None:
    script, trace = record(tmp_path)
    old = tmp_path / "old.pctrace"
    rewrite(trace, old, {"pcemu": "0.0.9"})
    with pytest.raises(BadInput) as e:
        replay_file(old, script=script)
    assert str(e.value) == (
        f"trace '{old}' was written by pcemu 0.0.9, this is pcemu {__version__}; "
        "replay it with that version, or pass --force to try anyway"
    )
    assert replay_file(old, force=True, script=script).reproduced


def test_version_1_trace_without_contexts_still_replays(tmp_path: Path) -> None:
    script, trace = record(tmp_path)
    parts: list[Any] = sections(trace)
    parts[0]["version"] = 1
    del parts[1]["where"]
    v1 = tmp_path / "v1.pctrace"
    v1.write_bytes(b"".join(msgpack.packb(p) for p in parts))
    assert not read_trace(v1).has_where
    v = replay_file(v1, script=script)
    assert v.reproduced, v.differences
