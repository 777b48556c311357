"""A user scenario script loaded from a path runs, hunts, and replays exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emulator.debug.replay import replay_file
from emulator.errors import BadInput
from emulator.run.artifacts import save
from emulator.run.session import RunSpec, execute, run_once

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "invalidate_recheck.py"


def test_example_script_buggy_is_found_from_seeds_and_fixed_stays_clean() -> None:
    script = str(EXAMPLE)
    d = run_once(script, "buggy", directed=True).outcome
    assert d.violation is not None and d.violation.oracle == "INV-REF-3"
    assert run_once(script, "fixed", directed=True).outcome.status == "clean"
    found = [s for s in range(100) if run_once(script, "buggy", s).outcome.failed]
    assert found
    assert not [s for s in range(300) if run_once(script, "fixed", s).outcome.failed]


def test_user_script_replays_from_log_and_trace(tmp_path: Path) -> None:
    script = tmp_path / "my_race.py"
    shutil.copy(EXAMPLE, script)
    seed = next(s for s in range(100) if run_once(str(script), "buggy", s).outcome.failed)
    spec = RunSpec(scenario=str(script), variant="buggy", seed=seed)
    scen, result = execute(spec)
    assert scen.source == str(script)
    save(spec.header(scen), result, tmp_path / "r.jsonl", tmp_path / "r.pctrace")
    for f in ("r.jsonl", "r.pctrace"):
        v = replay_file(tmp_path / f, script=script)
        assert v.reproduced, v.differences


def test_broken_scripts_are_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(BadInput, match="defines no SCENARIO"):
        run_once(str(empty))
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_module_here\n")
    with pytest.raises(BadInput, match="failed to import: ModuleNotFoundError"):
        run_once(str(broken))
    with pytest.raises(BadInput, match="does not exist"):
        run_once(str(tmp_path / "missing.py"))
