"""SIGKILL in the middle of a soak, then --resume: no finding lost, no committed batch run
again, and the end result is exactly what an uninterrupted soak of the same seeds finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.soak.plan import Lane, Plan
from tests.e2e.soak_helpers import (
    Soak,
    committed_batches,
    crash,
    expected_findings,
    findings,
    pcemu,
    query,
    wait_for,
)

# Processes, signals and soaks of seconds each: the slow tier (CI runs it).
pytestmark = pytest.mark.slow

SEEDS = 1000
BATCH = 20


def test_sigkill_then_resume_loses_nothing_and_reruns_no_committed_batch(tmp_path: Path) -> None:
    out = tmp_path / "soak"
    args = (
        "--scenarios",
        "anon-vma-reuse",
        "--variants",
        "buggy",
        "--strategies",
        "chaos",
        "--workers",
        "2",
        "--batch",
        str(BATCH),
        "--seeds",
        str(SEEDS),
    )
    first = Soak(out, *args, cwd=tmp_path)
    wait_for(
        lambda: committed_batches(out) >= 5 and bool(findings(out)),
        60,
        "five committed batches and a finding",
        first,
    )
    crash(first)
    assert not (out / "summary.json").exists()  # killed: no chance to write one

    before = findings(out)
    batches_before = query(out, "SELECT lane, k, runs, committed FROM batches")
    runs_before = sum(r[2] for r in batches_before if r[0] != "selfcheck")
    assert before and 0 < runs_before < SEEDS

    again = Soak(out, *args, "--resume", cwd=tmp_path)
    assert again.wait(120) == 0, again.log()
    s = again.summary()
    assert s["stop_reason"] == "seeds done"
    assert s["batches_resumed"] == len([r for r in batches_before if r[0] != "selfcheck"])
    # No committed batch ran again: this session ran exactly the seeds that were not committed
    # (the batches in flight at the kill among them).
    assert s["runs"] == SEEDS - runs_before
    # The batches committed before the kill are untouched, and every batch is there once.
    after = query(out, "SELECT lane, k, runs, committed FROM batches")
    assert set(batches_before) <= set(after)
    ks = sorted(r[1] for r in after if r[0] != "selfcheck")
    plan = Plan((Lane("anon-vma-reuse", "buggy", "chaos"),), batch=BATCH, seeds=SEEDS)
    assert ks == list(range(plan.batches_per_lane() or 0))
    # No finding lost, none counted twice: the store equals a straight run of every seed.
    final = findings(out)
    for key, (count, seed, _strategy) in before.items():
        assert final[key][0] >= count and final[key][1] <= seed
    want = expected_findings(Lane("anon-vma-reuse", "buggy", "chaos"), range(SEEDS))
    got = {(k[0], k[3], k[4]): (v[0], v[1]) for k, v in final.items()}
    assert got == want
    # The kept reproducer replays exactly.
    trace = query(out, "SELECT trace FROM findings WHERE oracle = 'INV-LOCK-1'")[0][0]
    done = pcemu("replay", "-q", str(out / trace), cwd=tmp_path)
    assert done.returncode == 0 and "replay: reproduced (violation" in done.stdout
