"""The command line as a user meets it: exit codes, reports, reproduce commands, and one pinned
line for every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import msgpack
import pytest

from emulator import __version__
from tests.e2e.invoke import pcemu
from tests.e2e.seeds import LOCK_MESSAGE, Found, first_seed, lock_failure


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def found() -> Found:
    """The first seed on which anon-vma-reuse buggy trips INV-LOCK-1 under the default strategy,
    with ``[A5b] mutex_trylock`` in its interleaving."""
    return first_seed(lock_failure)


@pytest.fixture
def failing_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], found: Found
) -> tuple[Path, Path, str]:
    log, trace = tmp_path / "r.jsonl", tmp_path / "r.pctrace"
    code, out, _ = pcemu(
        capsys,
        "run",
        "anon-vma-reuse",
        "--variant",
        "buggy",
        "--seed",
        str(found.seed),
        "--log",
        str(log),
        "--trace",
        str(trace),
    )
    assert code == 1
    return log, trace, out


def test_list_shows_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = pcemu(capsys, "list")
    assert code == 0
    assert "anon-vma-reuse" in out and "003a" in out and "INV-LOCK-1" in out


def test_run_reports_the_interleaving_and_how_to_reproduce(
    failing_run: tuple[Path, Path, str], found: Found
) -> None:
    log, trace, out = failing_run
    assert out.startswith(f"INVARIANT INV-LOCK-1 violated: {LOCK_MESSAGE}")
    assert "Interleaving:" in out and "[A5b] mutex_trylock" in out
    assert f"pcemu run anon-vma-reuse --variant buggy --seed {found.seed} --strategy mix" in out
    assert f"pcemu replay {log}" in out and f"pcemu replay {trace}" in out


def test_log_first_and_last_events(failing_run: tuple[Path, Path, str], found: Found) -> None:
    log, _, _ = failing_run
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    start, end = lines[0], lines[-1]
    assert start["event"] == "run.start" and end["event"] == "run.end"
    assert {k: start[k] for k in ("pcemu", "scenario", "variant", "seed", "strategy")} == {
        "pcemu": __version__,
        "scenario": "anon-vma-reuse",
        "variant": "buggy",
        "seed": found.seed,
        "strategy": "mix",
    }
    assert "budget" in start and "mem" in start and "strategy_params" in start
    assert end["outcome"] == "violation" and end["violation"]["oracle"] == "INV-LOCK-1"
    assert len(end["trace_hash"]) == 32 and end["steps"] == found.steps and end["vtime"] > 0


def test_clean_run_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = pcemu(capsys, "run", "anon-vma-reuse", "--variant", "fixed", "--seed", "1")
    assert code == 0 and out.startswith("clean")


def test_replay_reproduces_from_log_and_trace(
    failing_run: tuple[Path, Path, str], found: Found, capsys: pytest.CaptureFixture[str]
) -> None:
    log, trace, _ = failing_run
    for f in (log, trace):
        code, out, _ = pcemu(capsys, "replay", str(f), "-q")
        assert code == 0, out
        assert out.startswith(f"replay: reproduced (violation, {found.steps} steps")


def test_replay_detects_a_doctored_outcome(
    failing_run: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    log, _, _ = failing_run
    lines = log.read_text().splitlines()
    end = json.loads(lines[-1])
    end["trace_hash"] = "0" * 32
    log.write_text("\n".join([*lines[:-1], json.dumps(end)]) + "\n")
    code, out, _ = pcemu(capsys, "replay", str(log), "-q")
    assert code == 1
    assert "DIVERGED" in out and "trace hash: recorded 000" in out


def test_hunt_finds_the_first_failing_seed_and_keeps_its_log(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = pcemu(capsys, "hunt", "anon-vma-reuse", "--seeds", "300")
    assert code == 1
    assert out.startswith("hunt: seed ")
    seed = out.split()[2]
    kept = Path("pcemu-runs") / f"anon-vma-reuse-buggy-mix-seeded-s{seed}.jsonl"
    assert kept.is_file() and kept.with_suffix(".pctrace").is_file()
    assert f"pcemu replay {kept}" in out
    code, out, _ = pcemu(capsys, "replay", str(kept), "-q")
    assert code == 0, out
    code, out, _ = pcemu(capsys, "hunt", "anon-vma-reuse", "--variant", "fixed", "--seeds", "50")
    assert code == 0 and out.startswith("hunt: 50 seeds from 0 clean")


def bad(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = pcemu(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    return err.strip()


def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, failing_run: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    log, trace, _ = failing_run
    assert bad(capsys, "run", "no-such-race").startswith(
        "pcemu: error: unknown scenario 'no-such-race'; known scenarios: "
    )
    assert bad(capsys, "run", "anon-vma-reuse", "--variant", "meh") == (
        "pcemu: error: unknown variant 'meh' for anon-vma-reuse; use one of: buggy, fixed"
    )
    assert bad(capsys, "run", "anon-vma-reuse", "--seed", "-1") == (
        "pcemu: error: seed -1 is negative; seeds are integers >= 0"
    )
    assert bad(capsys, "run", "anon-vma-reuse", "--strategy", "dfs") == (
        "pcemu: error: unknown strategy 'dfs'; use one of: mix, chaos, pct, random, pos, urw, "
        "surw, rff"
    )
    assert bad(capsys, "run", "anon-vma-reuse", "--set", "colour=blue") == (
        "pcemu: error: scenario anon-vma-reuse has no option 'colour'; its options: "
        "page_lock_policy, mutex_policy, slab_page"
    )
    assert bad(capsys, "run", "anon-vma-reuse", "--seed", "x").startswith(
        "pcemu: error: --seed 'x' is not an integer; give an integer 0 to 2**64 - 1"
    )
    missing = tmp_path / "nope.jsonl"
    assert bad(capsys, "replay", str(missing)) == (
        f"pcemu: error: file '{missing}' does not exist; give a run's --log or --trace file"
    )
    cut = tmp_path / "cut.jsonl"
    cut.write_text(log.read_text()[:-40])
    assert bad(capsys, "replay", str(cut)) == (
        f"pcemu: error: log file '{cut}' is truncated: line 2 is cut off; re-run the seed from "
        "its run.start line instead"
    )
    nolast = tmp_path / "nolast.jsonl"
    nolast.write_text(log.read_text().splitlines()[0] + "\n")
    assert "is truncated: no run.end event" in bad(capsys, "replay", str(nolast))
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"event": "run.start"\n')
    assert bad(capsys, "replay", str(junk)) == (
        f"pcemu: error: log file '{junk}' line 1 is not JSON; pass a pcemu JSON-lines log "
        "(written by --log)"
    )
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    assert "is neither a pcemu JSON-lines log nor a trace file" in bad(capsys, "replay", str(text))
    old = tmp_path / "old.jsonl"
    first = json.loads(log.read_text().splitlines()[0])
    first["pcemu"] = "0.0.1"
    old.write_text(json.dumps(first) + "\n" + log.read_text().splitlines()[-1] + "\n")
    assert bad(capsys, "replay", str(old)) == (
        f"pcemu: error: log '{old}' was written by pcemu 0.0.1, this is pcemu {__version__}; "
        "replay it with that version, or pass --force to try anyway"
    )
    v9 = tmp_path / "v9.pctrace"
    data = trace.read_bytes()
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(data)
    parts = list(unpacker)
    parts[0]["version"] = 9
    v9.write_bytes(b"".join(msgpack.packb(p) for p in parts))
    msg = bad(capsys, "replay", str(v9))
    assert msg.startswith(f"pcemu: error: trace file '{v9}' has format version 9; this pcemu reads")
    assert msg.endswith("replay it with the pcemu that wrote it")
    short = tmp_path / "short.pctrace"
    short.write_bytes(data[: len(data) // 2])
    assert "is truncated" in bad(capsys, "replay", str(short))


def test_bad_input_keeps_what_was_already_recorded(
    failing_run: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    log, _, _ = failing_run
    before = log.read_bytes()
    bad(capsys, "run", "anon-vma-reuse", "--seed", "-3", "--log", str(log))
    assert log.read_bytes() == before
