"""A scenario that raises, one that hangs past the watchdog and one that kills its worker are
each recorded as findings with their seeds; the workers are replaced and the soak goes on."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from emulator.soak.plan import Lane
from tests.e2e.soak_helpers import (
    Soak,
    committed_batches,
    expected_findings,
    findings,
    mixed_seeds,
    pcemu,
    query,
    script,
    wait_for,
)

# Processes, signals and soaks of seconds each: the slow tier (CI runs it).
pytestmark = pytest.mark.slow


def test_raise_hang_and_dead_worker_are_findings_and_the_soak_goes_on(tmp_path: Path) -> None:
    # A strategy without profiling runs: those are random walks of the program made in the
    # worker before its first run, and one that truncates would make every seed spin or die,
    # not only the seeds whose own run truncates.
    strategy = "random"
    # The test needs seeds that misbehave and seeds that do not: which seeds truncate depends on
    # the seeding, so the soak's seed count is looked up (at least 8), not assumed.
    seeds, bad = mixed_seeds(tmp_path, 8, strategy)
    assert 1 <= len(bad) < seeds
    raising, spinning, dying = (script(tmp_path, m) for m in ("raise", "spin", "die"))
    out = tmp_path / "soak"
    soak = Soak(
        out,
        "--scenarios",
        f"{raising},{spinning},{dying},anon-vma-reuse",
        "--strategies",
        strategy,
        "--workers",
        "2",
        "--batch",
        "4",
        "--seeds",
        str(seeds),
        "--watchdog",
        "2",
        "--selfcheck",
        "0",
        cwd=tmp_path,
    )
    assert soak.wait(180) == 0, soak.log()
    s = soak.summary()
    # Every run of every lane was made and committed, anon-vma-reuse's included.
    assert s["stop_reason"] == "seeds done"
    assert s["runs_committed"] == seeds * 5  # 3 scripts x buggy + anon-vma-reuse x buggy, fixed
    assert s["runs_by_scenario"]["anon-vma-reuse"] == 2 * seeds
    assert s["worker_restarts"] == 2 * len(bad)  # every hang and every death, nothing else

    got = findings(out)
    line = (
        raising.read_text()
        .splitlines()
        .index('                    raise RuntimeError("page truncated under us")')
        + 1
    )
    # Named by the exception, where it was raised, and the label of the actor's last step.
    err = got[
        (
            "emulator-error",
            str(raising),
            "buggy",
            f"RuntimeError@soak_raise.py:{line} in invalidate",
            "D2",
        )
    ]
    assert err[:2] == (len(bad), bad[0])
    hang = got[("hang", str(spinning), "buggy", "watchdog", "-")]
    assert hang[:2] == (len(bad), bad[0])
    died = got[("emulator-error", str(dying), "buggy", "worker-died", "exit status 7")]
    assert died[:2] == (len(bad), bad[0])

    listing = pcemu("findings", str(out), cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    lines = {ln.split()[2]: ln for ln in listing.stdout.splitlines()[1:]}
    # No trace of a run that never finished: its seed is the reproducer.
    assert lines[str(spinning)].endswith(
        f"pcemu run {spinning} --variant buggy --seed {bad[0]} --strategy {strategy}"
    )
    assert "pcemu replay " in lines[str(raising)]
    trace = lines[str(raising)].rsplit(" ", 1)[1]
    # A recording of a user script replays only when the user names the script.
    done = pcemu("replay", "-q", trace, "--script", str(raising), cwd=tmp_path)
    assert done.returncode == 0 and "replay: reproduced (error" in done.stdout, done.stdout


FULL_DISK = """
import errno

import emulator.run.artifacts as artifacts


def _full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


artifacts.save = _full
"""


def test_a_full_disk_keeps_every_finding_and_says_its_files_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every worker's reproducer writes fail with ENOSPC (sitecustomize runs in each worker).
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(FULL_DISK)
    monkeypatch.setenv("PYTHONPATH", str(hook))
    out = tmp_path / "soak"
    seeds = 240
    soak = Soak(
        out,
        "--scenarios", "anon-vma-reuse", "--variants", "buggy", "--strategies", "chaos",
        "--workers", "2", "--batch", "20", "--seeds", str(seeds), "--selfcheck", "0",
        cwd=tmp_path,
    )  # fmt: skip
    assert soak.wait(180) == 0, soak.log()
    assert "Traceback" not in soak.stderr.read_text()
    want = expected_findings(Lane("anon-vma-reuse", "buggy", "chaos"), range(seeds))
    got = findings(out)
    # Recorded under their own signatures and counts, not as dead workers.
    assert {(k[0], k[3], k[4]): (v[0], v[1]) for k, v in got.items()} == want
    assert soak.summary()["worker_restarts"] == 0
    rows = query(out, "SELECT log, trace, unsaved FROM findings")
    assert rows and all(r[0] is None and r[1] is None for r in rows)
    assert all("No space left on device" in r[2] for r in rows)
    monkeypatch.delenv("PYTHONPATH")
    listing = pcemu("findings", str(out), cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "without reproducer files (No space left on device" in listing.stdout
    assert "pcemu run anon-vma-reuse --variant buggy --seed" in listing.stdout


def test_a_paused_supervisor_does_not_take_its_workers_for_hung(tmp_path: Path) -> None:
    out = tmp_path / "soak"
    soak = Soak(
        out,
        "--scenarios", "anon-vma-reuse", "--variants", "buggy", "--strategies", "chaos",
        "--workers", "2", "--batch", "20", "--seeds", "400", "--selfcheck", "0",
        "--watchdog", "1",
        cwd=tmp_path,
    )  # fmt: skip
    wait_for(lambda: committed_batches(out) >= 3, 60, "three committed batches", soak)
    os.kill(soak.proc.pid, signal.SIGSTOP)  # the workers go on; the supervisor reads nothing
    time.sleep(4)
    os.kill(soak.proc.pid, signal.SIGCONT)
    assert soak.wait(180) == 0, soak.log()
    s = soak.summary()
    assert s["worker_restarts"] == 0 and s["runs_committed"] == 400, s
    assert not [k for k in findings(out) if k[0] == "hang"]
