"""Same version, scenario, options and seed => the same trace hash in any process; replay from
the log and from the trace file reproduces it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.debug.replay import replay_file
from emulator.engine.strategies import STRATEGIES
from emulator.run.artifacts import save
from emulator.run.catalog import builtin
from emulator.run.session import RunSpec, execute

SEEDS = range(4)

PROBE = """
import json, sys
from emulator.run.catalog import builtin
from emulator.run.session import run_once
out = {}
for name in sorted(builtin()):
    for strategy in sys.argv[1].split(","):
        for variant in ("buggy", "fixed"):
            for seed in range(int(sys.argv[2])):
                r = run_once(name, variant, seed, strategy)
                out[f"{name}/{strategy}/{variant}/{seed}"] = r.outcome.trace_hash
print(json.dumps(out, sort_keys=True))
"""


def probe(hashseed: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    cmd = [sys.executable, "-c", PROBE, ",".join(STRATEGIES), str(len(SEEDS))]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    result: dict[str, str] = json.loads(done.stdout)
    return result


def test_trace_hashes_agree_across_processes_with_different_hash_seeds() -> None:
    a = probe("1")
    b = probe("4242")
    assert a and a == b
    names = {k.split("/")[0] for k in a}
    assert names == set(builtin())


@pytest.mark.parametrize("name", sorted(builtin()))
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_replay_from_log_and_trace_reproduces(name: str, strategy: str, tmp_path: Path) -> None:
    # Prefer a failing run: its trace exercises the violation path as well.
    chosen = None
    for seed in range(60):
        spec = RunSpec(scenario=name, variant="buggy", seed=seed, strategy=strategy)
        scen, result = execute(spec)
        chosen = (spec, scen, result)
        if result.outcome.failed:
            break
    assert chosen is not None
    spec, scen, result = chosen
    log, trace = tmp_path / "run.jsonl", tmp_path / "run.pctrace"
    save(spec.header(scen), result, log, trace)
    for f in (log, trace):
        v = replay_file(f)
        assert v.reproduced, v.differences
        assert v.result.outcome.trace_hash == result.outcome.trace_hash
