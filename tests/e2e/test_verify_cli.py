"""``pcemu verify`` as a user meets it: a proof within the bound (exit 0), a counterexample
saved as a trace that ``pcemu replay`` reproduces (verify exits 1), an inconclusive stop
(exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.invoke import pcemu

SCRIPT = """
from actors.generic import Final, Program, Thread, scenario


async def incr(t: Thread) -> None:
    v = await t.load("R1", "count")
    await t.store("W1", "count", v + 1)


async def locked(t: Thread) -> None:
    await t.lock("L1", "m")
    v = await t.load("R1", "count")
    await t.store("W1", "count", v + 1)
    await t.unlock("U1", "m")


def make(name, fn, expect):
    async def main(t: Thread) -> None:
        a = await t.spawn("S1", fn)
        b = await t.spawn("S2", fn)
        await t.join("J1", a)
        await t.join("J2", b)

    return Program(
        name, {"count": 0}, main, expect=expect, max_threads=3,
        final=[Final("F1", lambda s: s["count"] == 2, "an increment was lost")],
    )


SCENARIO = scenario(
    "verify-lost", "lost update", [make("buggy", incr, ("ASSERT",)), make("fixed", locked, ())],
    source="test",
)
"""


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "lost.py"
    p.write_text(SCRIPT)
    return p


def test_fixed_is_proven_within_the_bound(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = pcemu(capsys, "verify", str(script), "--variant", "fixed", "-p", "2")
    assert code == 0, out
    assert "no violation in any execution with <= 2 preemptions" in out
    code, out, _ = pcemu(capsys, "verify", str(script), "--variant", "fixed", "-p", "2", "--json")
    d = json.loads(out)
    assert code == 0 and d["complete"] and d["preemptions"] == 2 and d["reduction"] == "state"
    assert d["executions"] >= 1 and "cut" in d and "states" in d


def test_buggy_needs_one_preemption_and_its_trace_replays(
    script: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = pcemu(capsys, "verify", str(script), "--variant", "buggy", "-p", "0")
    assert code == 0, out
    trace = tmp_path / "cex.pctrace"
    code, out, _ = pcemu(
        capsys, "verify", str(script), "--variant", "buggy", "-p", "1", "--trace", str(trace)
    )
    assert code == 1, out
    assert "counterexample after" in out and "ASSERT" in out
    assert trace.exists()
    assert f"pcemu replay {trace} --script {script}" in out
    # replay exits 0 when the recorded outcome (here the violation) is reproduced exactly
    code, out, _ = pcemu(capsys, "replay", str(trace), "--script", str(script))
    assert code == 0, out
    assert "replay: reproduced (violation" in out and "ASSERT" in out


def test_buggy_needs_one_delay_and_its_trace_replays(
    script: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = pcemu(capsys, "verify", str(script), "--variant", "buggy", "--delays", "0")
    assert code == 0, out
    assert "no violation in any execution with <= 0 delays" in out
    trace = tmp_path / "cex.pctrace"
    code, out, _ = pcemu(
        capsys, "verify", str(script), "--variant", "buggy", "--delays", "1", "--json",
        "--trace", str(trace),
    )  # fmt: skip
    d = json.loads(out)
    assert code == 1 and d["delays"] == 1 and d["found"] == "ASSERT"
    code, out, _ = pcemu(capsys, "replay", str(trace), "--script", str(script))
    assert code == 0, out
    assert "replay: reproduced (violation" in out


def test_the_plain_search_and_the_limit(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = pcemu(
        capsys, "verify", str(script), "--variant", "fixed", "-p", "2", "--reduction", "none"
    )
    assert code == 0, out
    code, out, _ = pcemu(
        capsys, "verify", str(script), "--variant", "fixed", "-p", "2", "--limit", "1"
    )
    assert code == 2
    assert "inconclusive" in out


def test_two_processes_give_the_same_verdicts(
    script: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-j 2``: the proof, the counterexample (saved, and it replays) and the limit."""
    code, out, _ = pcemu(
        capsys, "verify", str(script), "--variant", "fixed", "-p", "2", "-j", "2", "--json"
    )
    d = json.loads(out)
    assert code == 0 and d["complete"] and d["jobs"] == 2, out
    trace = tmp_path / "cex-j2.pctrace"
    code, out, _ = pcemu(
        capsys, "verify", str(script), "--variant", "buggy", "-p", "1", "-j", "2",
        "--trace", str(trace),
    )  # fmt: skip
    assert code == 1 and "ASSERT" in out, out
    code, out, _ = pcemu(capsys, "replay", str(trace), "--script", str(script))
    assert code == 0 and "replay: reproduced (violation" in out, out
    code, out, _ = pcemu(
        capsys, "verify", str(script), "--variant", "fixed", "-p", "2", "-j", "2", "--limit", "1"
    )
    assert code == 2 and "inconclusive" in out, out
