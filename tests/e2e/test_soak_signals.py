"""SIGTERM (docker stop) and SIGINT (Ctrl-C) during a soak: exit 143 or 130, a summary, and the
store holds every committed batch and finding; the status endpoint answers while it runs."""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.soak_helpers import (
    Soak,
    committed_batches,
    findings,
    query,
    script,
    truncated_seeds,
    wait_for,
)

# Processes, signals and soaks of seconds each: the slow tier (CI runs it).
pytestmark = pytest.mark.slow


def get(base: str, path: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.status, r.headers["Content-Type"], r.read().decode()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT to the process group"])
def test_signal_stops_cleanly_with_summary_and_findings_intact(how: str, tmp_path: Path) -> None:
    out = tmp_path / "soak"
    soak = Soak(
        out,
        "--scenarios",
        "anon-vma-reuse",
        "--variants",
        "buggy",
        "--strategies",
        "chaos",
        "--workers",
        "2",
        "--batch",
        "20",
        cwd=tmp_path,
    )
    wait_for(
        lambda: committed_batches(out) >= 4 and bool(findings(out)),
        60,
        "committed batches and a finding",
        soak,
    )
    base = (out / "endpoint").read_text().strip()
    assert base.startswith("http://127.0.0.1:")
    code, _ctype, body = get(base, "/healthz")
    assert code == 200 and json.loads(body)["status"] == "ok"
    code, ctype, body = get(base, "/metrics")
    assert code == 200 and ctype.startswith("text/plain")
    assert (
        'pcemu_soak_runs_total{scenario="anon-vma-reuse",strategy="chaos",variant="buggy"}' in body
    )
    assert 'pcemu_soak_findings{expected="true",kind="violation"}' in body
    code, _ctype, body = get(base, "/findings")
    served = json.loads(body)
    assert served and all(f["repro"].startswith("pcemu replay ") for f in served)

    if how == "SIGTERM":
        os.kill(soak.proc.pid, signal.SIGTERM)
    else:  # a terminal sends SIGINT to every process of the foreground group
        os.killpg(soak.proc.pid, signal.SIGINT)
    assert soak.wait(60) == (143 if how == "SIGTERM" else 130), soak.log()

    s = soak.summary()
    name = "SIGTERM" if how == "SIGTERM" else "SIGINT"
    assert s["stop_reason"] == f"signal {name}"
    assert f"soak signal {name}:" in soak.stdout.read_text()
    assert (out / "summary.txt").read_text().startswith(f"soak signal {name}:")
    # Batches in flight had the grace period to finish: nothing abandoned, all committed.
    assert s["batches_abandoned"] == 0
    runs = query(out, "SELECT SUM(runs) FROM batches WHERE lane != 'selfcheck'")[0][0]
    assert s["runs_committed"] == s["runs"] == runs
    stored = findings(out)
    assert stored and len(s["findings"]) == len(stored)
    for f in s["findings"]:
        key = (f["kind"], f["scenario"], f["variant"], f["oracle"], f["label"])
        assert stored[key] == (f["count"], f["seed"], f["strategy"])
        assert (out / f["log"]).is_file() and (out / f["trace"]).is_file()
    assert not soak.workers()
    events = [json.loads(line) for line in soak.stderr.read_text().splitlines()]
    assert any(e["event"] == "soak.heartbeat" for e in events)
    assert any(e["event"] == "soak.stopping" for e in events)


def test_grace_runs_out_then_the_stuck_batch_is_abandoned_and_resume_reruns_it(
    tmp_path: Path,
) -> None:
    spin = script(tmp_path, "spin")
    out = tmp_path / "soak"
    # A strategy under which, of seeds 0-7, exactly one seed after the first spins forever
    # (which one depends on the strategy's runs, so it is looked up, not assumed). Batches
    # ramp up: [0], [1, 2], [3..6], [7]; the watchdog is far away, so only the grace period
    # can end the stuck one.
    strategy, stuck = next(
        (s, found[0])
        for s in ("chaos", "random", "pct", "pos", "surw", "urw")
        if len(found := truncated_seeds(tmp_path, range(8), s)) == 1 and found[0] > 0
    )
    before = (0, 1, 1, 2, 2, 2, 2, 3)[stuck]  # batches wholly before the stuck seed's
    args = (
        "--scenarios",
        str(spin),
        "--strategies",
        strategy,
        "--workers",
        "1",
        "--batch",
        "4",
        "--seeds",
        "8",
        "--watchdog",
        "600",
        "--grace",
        "1",
        "--selfcheck",
        "0",
    )
    soak = Soak(out, *args, cwd=tmp_path)
    wait_for(lambda: (out / "endpoint").exists(), 60, "the soak to start", soak)
    base = (out / "endpoint").read_text().strip()
    wait_for(
        lambda: json.loads(get(base, "/healthz")[2])["runs"] >= stuck,
        60,
        "the seeds before the stuck one to finish",
        soak,
    )
    os.kill(soak.proc.pid, signal.SIGTERM)
    assert soak.wait(60) == 143, soak.log()
    s = soak.summary()
    # The batches before the stuck seed's are committed; the one stuck in its seed is
    # abandoned, and so is the next one if it was already queued behind it in the worker's pipe
    # (with the stuck seed first in its batch, SIGTERM can come before it is sent).
    assert s["batches_committed"] == before and s["batches_abandoned"] in (1, 2)
    assert committed_batches(out) == before
    assert not soak.workers()

    # Resumed with a watchdog, the abandoned batch runs again and its hang is recorded.
    again = Soak(out, *args[:-6], "--watchdog", "2", "--selfcheck", "0", "--resume", cwd=tmp_path)
    assert again.wait(120) == 0, again.log()
    assert committed_batches(out) == 4
    (hang,) = [v for k, v in findings(out).items() if k[0] == "hang"]
    assert hang[:2] == (1, stuck)
