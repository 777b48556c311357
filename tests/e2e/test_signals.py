"""SIGINT and SIGTERM, sent for real to a pcemu process: it stops at a clean point, says how
far it got, exits 130 / 143, and never reports or saves a failure that did not happen; an
interrupted shrink writes the best trace found so far."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Processes, signals and soaks of seconds each: the slow tier (CI runs it).
pytestmark = pytest.mark.slow

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def pcemu(*argv: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", *argv],
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def interrupt(p: subprocess.Popen[str], sig: int, after: float) -> tuple[int, str, str]:
    time.sleep(after)
    p.send_signal(sig)
    out, err = p.communicate(timeout=120)
    return p.returncode, out, err


@pytest.mark.parametrize(
    ("sig", "status", "jobs"), [(signal.SIGINT, 130, "1"), (signal.SIGTERM, 143, "2")]
)
def test_hunt_of_a_fixed_variant_stops_and_reports_no_failure(
    tmp_path: Path, sig: int, status: int, jobs: str
) -> None:
    p = pcemu(
        "hunt",
        "anon-vma-reuse",
        "--variant",
        "fixed",
        "--seeds",
        "10000000",
        "-j",
        jobs,
        cwd=tmp_path,
    )
    code, out, err = interrupt(p, sig, 6)
    assert code == status, err
    assert out == ""
    *progress, last = err.splitlines()
    # Off a terminal the progress bar is a heartbeat line every few seconds; the verdict is last.
    assert all(ln.startswith("hunt: ") and "seeds/s" in ln for ln in progress), err
    assert re.fullmatch(
        r"hunt: (no failure in seeds 0(\u2013[\d,]+)?|interrupted before the first seed "
        r"finished)(; interrupted)?",
        last,
    ), err
    assert "Traceback" not in err and not (tmp_path / "pcemu-runs").exists()


def test_interrupted_shrink_writes_the_best_trace_so_far(tmp_path: Path) -> None:
    from emulator.run.session import run_once

    trace = tmp_path / "swizzle.pctrace"
    # the first failing seed (not a pinned one: the seed-to-trace mapping changes with the model)
    seed = next(s for s in range(500) if run_once("futex-shmem-swizzle", "buggy", s).outcome.failed)
    found = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator",
            "run",
            "futex-shmem-swizzle",
            "--seed",
            str(seed),
            "--trace",
            str(trace),
            "-q",
        ],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 1, found.stderr
    p = pcemu("shrink", str(trace), "-o", "best.pctrace", cwd=tmp_path)
    code, out, err = interrupt(p, signal.SIGINT, 8)
    if code == 0:
        pytest.skip("the shrink finished before the signal (a fast machine)")
    assert code == 130, err
    assert "Traceback" not in err
    # Progress heartbeat lines may come first (stderr is not a terminal); the verdict is last.
    assert err.strip().splitlines()[-1] == (
        "shrink: interrupted; wrote the best so far to best.pctrace"
    )
    assert "interrupted, best so far" in out
    again = subprocess.run(
        [sys.executable, "-m", "emulator", "replay", "best.pctrace", "-q"],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr


SPIN = """
from actors.generic import Program, Thread, scenario


async def main(t: Thread) -> None:
    while True:
        await t.fetch_add("A1", "n")


SCENARIO = scenario(
    "spin", "a thread that counts until its budget ends",
    [Program("fixed", {"n": 0}, main, expect=(), max_threads=1, budget=1_000_000)],
    source="test",
)
"""


def test_interrupted_run_reports_and_saves_nothing(tmp_path: Path) -> None:
    # A run of a million steps (~15-40 s): the signal comes in the middle of it, however fast
    # the machine (a kernel scenario's run ends before a signal sent after start-up). The run
    # stops within STOP_EVERY steps of the signal, and nothing of it is reported or saved.
    # Profiling runs are not stopped early (a profile is kept for later runs): under the default
    # strategy (mix) four of the same million steps would come first; random needs none.
    (tmp_path / "spin.py").write_text(SPIN)
    p = pcemu(
        "run",
        "spin.py",
        "--variant",
        "fixed",
        "--strategy",
        "random",
        "--budget",
        "1000000",
        "--log",
        "r.jsonl",
        cwd=tmp_path,
    )
    code, out, err = interrupt(p, signal.SIGINT, 1.0)
    assert code == 130 and out == "" and "Traceback" not in err
    assert not (tmp_path / "r.jsonl").exists()


SLOW_SPIN = SPIN.replace(
    'await t.fetch_add("A1", "n")', 'await t.fetch_add("A1", "n")\n        sum(range(30_000))'
)


def test_interrupted_replay_of_a_long_run_stops_at_once_with_no_verdict(tmp_path: Path) -> None:
    # The log of a 1,000-step run of a spin whose every step also computes for a while, made to
    # say its budget was a million steps: the whole replay would take minutes (and no verdict
    # could match), so it ends only because the signal stops it within STOP_EVERY steps, with
    # exit 143 and no verdict (else the 120 s wait fails the test).
    (tmp_path / "spin.py").write_text(SLOW_SPIN)
    argv = ["run", "spin.py", "--variant", "fixed", "--strategy", "random", "--budget", "1000"]
    made = subprocess.run(
        [sys.executable, "-m", "emulator", *argv, "--log", "r.jsonl"],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 1, made.stderr  # a hang at the budget: a failing run
    log = tmp_path / "r.jsonl"
    log.write_text(log.read_text().replace('"budget": 1000,', '"budget": 1000000,'))
    assert '"budget": 1000000,' in log.read_text()
    p = pcemu("replay", "r.jsonl", "--script", "spin.py", cwd=tmp_path)
    code, _out, err = interrupt(p, signal.SIGTERM, 1.0)
    assert code == 143 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1].endswith("replay stopped; no verdict"), err


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize(
    "argv",
    [
        ["hunt", "anon-vma-reuse", "--variant", "fixed", "--seeds", "10000000", "-j", "2"],
        ["verify", "anon-vma-reuse", "-p", "6", "-j", "2"],
    ],
    ids=["hunt", "verify"],
)
def test_workers_end_with_a_killed_parent(tmp_path: Path, argv: list[str]) -> None:
    """SIGKILL (a CI timeout, the OOM killer) cannot be caught: the workers of hunt -j and
    verify -j used to live on, each holding the others' ends of the pool's pipes, searching or
    waiting for work for ever."""
    p = pcemu(*argv, cwd=tmp_path)
    kids: list[int] = []
    alive: list[int] = []
    try:
        while len(kids) < 2 and p.poll() is None:
            time.sleep(0.2)
            kids = _children(p.pid)
        assert len(kids) == 2, p.communicate()
        p.kill()
        p.wait(timeout=60)  # not communicate(): a live worker would hold its pipes open
        for _ in range(600):  # each one goes as soon as its parent does; wait for the kernel
            alive = [k for k in kids if Path(f"/proc/{k}").exists() and not _zombie(k)]
            if not alive:
                break
            time.sleep(0.1)
        assert alive == [], f"workers {alive} outlived their killed parent"
    finally:
        for k in alive:
            os.kill(k, signal.SIGKILL)
        for stream in (p.stdout, p.stderr):
            if stream is not None:
                stream.close()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
