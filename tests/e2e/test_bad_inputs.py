"""Bad input, one pinned line per case: every file pcemu reads and every value it is given is
checked, and refused with one line naming the bad value and the fix, exit 2, no traceback."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest

from tests.e2e.invoke import pcemu
from tests.e2e.recorded import record_run

Case = tuple[str, Callable[[Path], list[str]], str]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_run(tmp_path_factory.mktemp("bad"))


def log_with(d: Path, name: str, **change: object) -> Path:
    lines = (d / "r.jsonl").read_text().splitlines()
    head = json.loads(lines[0])
    head.update(change)
    p = d / name
    p.write_text(json.dumps(head) + "\n" + lines[-1] + "\n")
    return p


def log_text(d: Path, name: str, head: str) -> Path:
    lines = (d / "r.jsonl").read_text().splitlines()
    p = d / name
    p.write_text(head + "\n" + lines[-1] + "\n")
    return p


def end_with(d: Path, name: str, end: object) -> Path:
    lines = (d / "r.jsonl").read_text().splitlines()
    p = d / name
    p.write_text(lines[0] + "\n" + json.dumps(end) + "\n")
    return p


def trace_parts(d: Path) -> list[dict[str, object]]:
    u = msgpack.Unpacker(raw=False)
    u.feed((d / "r.pctrace").read_bytes())
    return list(u)


def trace_with(d: Path, name: str, edit: Callable[[list[dict[str, object]]], None]) -> Path:
    parts = trace_parts(d)
    edit(parts)
    p = d / name
    p.write_bytes(b"".join(msgpack.packb(x) for x in parts))
    return p


def header(parts: list[dict[str, object]]) -> dict[str, object]:
    h = parts[0]["header"]
    assert isinstance(h, dict)
    return h


RUN = ["run", "anon-vma-reuse"]
E = "pcemu: error: "
DAMAGED = "; the file is damaged or was not written by pcemu (re-record the run)"
SEEDS = "seeds are integers 0 <= seed < 2**64"

CASES: list[Case] = [
    # -- the command line -------------------------------------------------------------------
    (
        "seed too big",
        lambda d: [*RUN, "--seed", str(2**64)],
        E + "--seed 18446744073709551616 is out of range; give an integer 0 to 2**64 - 1",
    ),
    (
        "seed 5000 digits",
        lambda d: [*RUN, "--seed", "9" * 5000],
        E + f"--seed {'9' * 60}... (5,000 characters) is out of range; give an integer 0 to "
        "2**64 - 1",
    ),
    (
        "seed negative",
        lambda d: [*RUN, "--seed", "-1"],
        E + "seed -1 is negative; seeds are integers >= 0",
    ),
    (
        "seed float",
        lambda d: [*RUN, "--seed", "1.5"],
        E + "--seed '1.5' is not an integer; give an integer 0 to 2**64 - 1",
    ),
    (
        "param switch=0",
        lambda d: [*RUN, "-p", "switch=0"],
        E + "strategy parameter switch=0 is out of range; give 1 <= switch <= 1,000,000 "
        "(default 8)",
    ),
    (
        "param k=0",
        lambda d: [*RUN, "--strategy", "pct", "-p", "k=0"],
        E + "strategy parameter k=0 is out of range; give 1 <= k <= 1,000,000 (default profiled)",
    ),
    (
        "param depth huge",
        lambda d: [*RUN, "--strategy", "pct", "-p", "depth=1000000000"],
        E + "strategy parameter depth=1000000000 is out of range; give 1 <= depth <= 64 "
        "(default 3)",
    ),
    (
        # 1 in 1 steps delayed: every step would be put off for ever and the run never end
        "param delay_in=1",
        lambda d: [*RUN, "-p", "delay_in=1"],
        E + "strategy parameter delay_in=1 is out of range; give 2 <= delay_in <= 1,000,000 "
        "(default 3)",
    ),
    (
        "param unknown",
        lambda d: [*RUN, "-p", "foo=1"],
        E + "unknown parameter -p foo=1; strategy mix takes switch=8 (1..1,000,000), "
        "delay_out=100 (2..1,000,000), delay_in=3 (2..1,000,000), mem=25 (0..100), "
        "mem_in=80 (0..100)",
    ),
    (
        "param for random",
        lambda d: [*RUN, "--strategy", "random", "-p", "depth=2"],
        E + "unknown parameter -p depth=2; strategy random takes no parameters",
    ),
    (
        "param not int",
        lambda d: [*RUN, "-p", "switch=abc"],
        E + "strategy parameter switch='abc' is not an integer; strategy mix takes switch=8 "
        "(1..1,000,000), delay_out=100 (2..1,000,000), delay_in=3 (2..1,000,000), mem=25 "
        "(0..100), mem_in=80 (0..100)",
    ),
    (
        "param not pair",
        lambda d: [*RUN, "-p", "switch"],
        E + "-p 'switch' is not KEY=VALUE; write e.g. -p depth=8",
    ),
    (
        "variant typo",
        lambda d: [*RUN, "--variant", "fixd"],
        E + "unknown variant 'fixd' for anon-vma-reuse; did you mean 'fixed'?; use one of: "
        "buggy, fixed",
    ),
    (
        "strategy typo",
        lambda d: [*RUN, "--strategy", "chaso"],
        E + "unknown strategy 'chaso'; did you mean 'chaos'?; use one of: mix, chaos, pct, random, "
        "pos, urw, surw, rff",
    ),
    (
        "scenario typo",
        lambda d: ["run", "anon-vma-reus"],
        E + "unknown scenario 'anon-vma-reus'; did you mean 'anon-vma-reuse'? (see pcemu list)",
    ),
    (
        "show typo",
        lambda d: ["show", "anon-vma-reus"],
        E + "unknown scenario 'anon-vma-reus'; did you mean 'anon-vma-reuse'? (see pcemu list)",
    ),
    (
        "option typo",
        lambda d: ["run", "fuse-write-deadlock", "--set", "page_lock_polcy=P-OLD"],
        E + "scenario fuse-write-deadlock has no option 'page_lock_polcy'; did you mean "
        "'page_lock_policy'?; its options: page_lock_policy, mutex_policy",
    ),
    (
        "option value",
        lambda d: ["run", "fuse-write-deadlock", "--set", "page_lock_policy=OLD"],
        E + "option page_lock_policy='OLD' is not one of: P-UNFAIR, P-OLD, P-FAIR; did you mean "
        "'P-OLD'?",
    ),
    (
        "old -o option",
        lambda d: [*RUN, "-o", "page_lock_policy=P-OLD"],
        E + "-o/--out 'page_lock_policy=P-OLD' is an output directory; scenario options are "
        "--set page_lock_policy=P-OLD (e.g. --set page_lock_policy=P-OLD)",
    ),
    (
        "schedule typo",
        lambda d: [*RUN, "--schedule", "directd"],
        E + "unknown schedule 'directd'; did you mean 'directed'?; use seeded or directed",
    ),
    (
        "budget zero",
        lambda d: [*RUN, "--budget", "0"],
        E + "--budget 0 is out of range; give an integer 1 to 1,000,000",
    ),
    (
        "hunt seeds zero",
        lambda d: ["hunt", "anon-vma-reuse", "--seeds", "0"],
        E + "--seeds 0 is out of range; give an integer 1 to 1,000,000,000,000",
    ),
    (
        "hunt past 2**64",
        lambda d: ["hunt", "anon-vma-reuse", "--start", str(2**64 - 1), "--seeds", "2"],
        E + "--start 18446744073709551615 + --seeds 2 runs past the last seed (2**64 - 1); "
        "give fewer seeds",
    ),
    (
        "hunt jobs zero",
        lambda d: ["hunt", "anon-vma-reuse", "-j", "0"],
        E + "-j/--jobs 0 is out of range; give an integer 1 to 256",
    ),
    (
        "shrink max-runs",
        lambda d: ["shrink", str(d / "r.pctrace"), "--max-runs", "0"],
        E + "--max-runs 0 is out of range; give an integer 1 to 10,000,000",
    ),
    # -- outputs ----------------------------------------------------------------------------
    (
        "log is a dir",
        lambda d: [*RUN, "--log", str(d)],
        E + "--log '{d}' is a directory; give a file path to --log (e.g. '{d}/run.out')",
    ),
    (
        "trace in a file",
        lambda d: [*RUN, "--trace", str(d / "r.jsonl" / "t.pctrace")],
        E + "--trace '{d}/r.jsonl/t.pctrace': '{d}/r.jsonl' is not a directory; give a file "
        "path to --trace",
    ),
    (
        "same log and trace",
        lambda d: [*RUN, "--log", str(d / "x"), "--trace", str(d / "x")],
        E + "--log and --trace are both '{d}/x'; give two different files",
    ),
    (
        "explain out dir",
        lambda d: ["explain", str(d / "r.pctrace"), "-o", str(d)],
        E + "-o/--out '{d}' is a directory; give a file path to -o/--out (e.g. '{d}/run.out')",
    ),
    (
        "shrink out dir",
        lambda d: ["shrink", str(d / "r.pctrace"), "-o", str(d)],
        E + "--out '{d}' is a directory; give a file path to --out (e.g. '{d}/run.out')",
    ),
    # -- input paths ------------------------------------------------------------------------
    (
        "replay a directory",
        lambda d: ["replay", str(d)],
        E + "file '{d}' is a directory, not a file; give a run's --log or --trace file",
    ),
    (
        "replay a fifo",
        lambda d: ["replay", fifo(d)],
        E + "file '{d}/fifo' is a FIFO (named pipe), not a file; give a run's --log or "
        "--trace file",
    ),
    (
        "replay nothing",
        lambda d: ["replay"],
        E + "give a --log or --trace FILE, or --finding ID --from DIR",
    ),
    (
        "replay old --out",
        lambda d: ["replay", str(d / "r.jsonl"), "--out", str(d)],
        E + "replay --out '{d}': --out is always an output; name the soak directory with "
        "--from '{d}'",
    ),
    (
        "finding no --from",
        lambda d: ["explain", "--finding", "abcd"],
        E + "--finding ID needs --from DIR (the soak directory) and no FILE",
    ),
    (
        "script a directory",
        lambda d: ["run", str(d) + "/"],
        E + "scenario script '{d}' is a directory, not a file; give a path to a .py file",
    ),
    # -- logs -------------------------------------------------------------------------------
    (
        "log seed Infinity",
        lambda d: [
            "replay",
            str(
                log_text(
                    d,
                    "inf.jsonl",
                    (d / "r.jsonl")
                    .read_text()
                    .splitlines()[0]
                    .replace('"seed": 662', '"seed": Infinity'),
                )
            ),
        ],
        E + "log file '{d}/inf.jsonl': run.start.seed is inf (a float), expected an integer "
        "(0 <= seed < 2**64)" + DAMAGED,
    ),
    (
        "log seed 5000 digits",
        lambda d: [
            "replay",
            str(
                log_text(
                    d,
                    "big.jsonl",
                    (d / "r.jsonl")
                    .read_text()
                    .splitlines()[0]
                    .replace('"seed": 662', '"seed": ' + "9" * 5000),
                )
            ),
        ],
        E + "log file '{d}/big.jsonl' line 1 cannot be read (Exceeds the limit (4300 digits) "
        "for integer string conversion); pass a pcemu JSON-lines log (written by --log)",
    ),
    (
        "log seed 2**64",
        lambda d: ["replay", str(log_with(d, "s64.jsonl", seed=2**64))],
        E + "log file '{d}/s64.jsonl': run.start.seed is 18446744073709551616, out of range "
        "(0 <= seed < 2**64)" + DAMAGED,
    ),
    (
        "log seed string",
        lambda d: ["replay", str(log_with(d, "sstr.jsonl", seed="33"))],
        E + "log file '{d}/sstr.jsonl': run.start.seed is '33', expected an integer "
        "(0 <= seed < 2**64)" + DAMAGED,
    ),
    (
        "log params string",
        lambda d: ["replay", str(log_with(d, "pstr.jsonl", strategy_params={"switch": "8"}))],
        E + "log file '{d}/pstr.jsonl': run.start.strategy_params.switch is '8', expected an "
        "integer 0 <= x < 9223372036854775808" + DAMAGED,
    ),
    (
        "log params zero",
        lambda d: ["replay", str(log_with(d, "pzero.jsonl", strategy_params={"switch": 0}))],
        E + "strategy parameter switch=0 is out of range; give 1 <= switch <= 1,000,000 "
        "(default 8)",
    ),
    (
        "log options list",
        lambda d: ["replay", str(log_with(d, "olist.jsonl", options=["a"]))],
        E + "log file '{d}/olist.jsonl': run.start.options is a list, expected a map" + DAMAGED,
    ),
    (
        "log budget zero",
        lambda d: ["replay", str(log_with(d, "b0.jsonl", budget=0))],
        E + "log file '{d}/b0.jsonl': run.start.budget is 0, out of range (1 <= budget <= "
        "1,000,000)" + DAMAGED,
    ),
    (
        "log no variant",
        lambda d: ["replay", str(log_with(d, "nov.jsonl", variant=None))],
        E + "log file '{d}/nov.jsonl': run.start.variant is None, expected a string" + DAMAGED,
    ),
    (
        "log deep nesting",
        lambda d: [
            "replay",
            str(
                log_text(
                    d,
                    "deep.jsonl",
                    '{"event": "run.start", "x": ' + "[" * 100000 + "]" * 100000 + "}",
                )
            ),
        ],
        E + "log file '{d}/deep.jsonl' line 1 cannot be read (nested too deeply); pass a pcemu "
        "JSON-lines log (written by --log)",
    ),
    (
        "log end malformed",
        lambda d: ["replay", str(end_with(d, "end.jsonl", {"event": "run.end"}))],
        E + "log file '{d}/end.jsonl': run.end.outcome is missing" + DAMAGED,
    ),
    (
        "log end violation list",
        lambda d: [
            "replay",
            str(
                end_with(
                    d, "endv.jsonl", {"event": "run.end", "outcome": "violation", "violation": [1]}
                )
            ),
        ],
        E + "log file '{d}/endv.jsonl': run.end.violation is a list, expected a map" + DAMAGED,
    ),
    (
        "log names a script",
        lambda d: ["replay", str(log_with(d, "evil.jsonl", scenario=str(d / "evil.py")))],
        E + "log '{d}/evil.jsonl' records user scenario script '{d}/evil.py'; pcemu never runs "
        "a script a file names: pass --script {d}/evil.py to replay it (that runs the script)",
    ),
    (
        "log builtin with --script",
        lambda d: ["replay", str(d / "r.jsonl"), "--script", str(d / "x.py")],
        E + "log '{d}/r.jsonl' records built-in scenario 'anon-vma-reuse', not a script; "
        "drop --script",
    ),
    # -- traces -----------------------------------------------------------------------------
    (
        "trace seed negative",
        lambda d: [
            "replay",
            str(trace_with(d, "sneg.pctrace", lambda p: header(p).update(seed=-1))),
        ],
        E + "trace file '{d}/sneg.pctrace': header.header.seed is -1, out of range "
        "(0 <= seed < 2**64)" + DAMAGED,
    ),
    (
        "trace params zero",
        lambda d: [
            "replay",
            str(
                trace_with(
                    d,
                    "k0.pctrace",
                    lambda p: header(p).update(strategy="pct", strategy_params={"k": 0}),
                )
            ),
        ],
        E + "strategy parameter k=0 is out of range; give 1 <= k <= 1,000,000 (default profiled)",
    ),
    (
        "trace choices strings",
        lambda d: [
            "replay",
            str(trace_with(d, "cs.pctrace", lambda p: p[1].update(choices=["a"]))),
        ],
        E + "trace file '{d}/cs.pctrace': choices.choices[0] is 'a', expected an integer "
        "0 <= x < 4294967296" + DAMAGED,
    ),
    (
        "trace events short",
        lambda d: [
            "replay",
            str(trace_with(d, "ev.pctrace", lambda p: p[2].update(events=[[0, 1]]))),
        ],
        E
        + "trace file '{d}/ev.pctrace': events.events[0] is a list, expected a list of 4"
        + DAMAGED,
    ),
    (
        "trace lengths differ",
        lambda d: ["replay", str(trace_with(d, "len.pctrace", lambda p: p[1].update(ns=[2])))],
        None,
    ),
    (
        "trace over the limit",
        lambda d: ["replay", big_trace(d)],
        E + "trace file '{d}/big.pctrace' is 257 MiB, over the 256 MiB this pcemu reads; give "
        "the --trace file of a run",
    ),
]


def fifo(d: Path) -> str:
    p = d / "fifo"
    if not p.exists():
        os.mkfifo(p)
    return str(p)


def big_trace(d: Path) -> str:
    p = d / "big.pctrace"
    with p.open("wb") as f:
        f.write((d / "r.pctrace").read_bytes())
        f.truncate(257 << 20)
    return str(p)


@pytest.mark.parametrize(("name", "argv", "line"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_pinned_line(
    files: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    argv: Callable[[Path], list[str]],
    line: str | None,
) -> None:
    monkeypatch.chdir(files)
    code, out, err = pcemu(capsys, *argv(files))
    assert code == 2, (out, err)
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(("pcemu: error: ", "pcemu: emulator-error: ")), err
    if line is not None:
        assert err.rstrip("\n") == line.replace("{d}", str(files))


def test_full_disk_loses_nothing(
    files: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """ENOSPC while writing the trace: one line naming the file and what reproduces the run;
    the log written before it stays, and the trace that was there is left as it was."""
    import builtins
    import errno
    from typing import Any

    import emulator.run.inputs as inputs

    log, trace = tmp_path / "r.jsonl", tmp_path / "r.pctrace"
    trace.write_bytes(b"kept")

    class Full:
        def __init__(self, f: Any) -> None:
            self.f = f

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

    def fake_open(path: Any, mode: str = "r", **kw: Any) -> Any:
        f = builtins.open(path, mode, **kw)  # noqa: SIM115 - closed by the caller
        return Full(f) if "pctrace" in str(path) else f

    monkeypatch.setattr(inputs, "open", fake_open, raising=False)
    code, out, err = pcemu(capsys, *RUN, "--seed", "33", "--log", str(log), "--trace", str(trace))
    assert code == 2 and out == ""
    assert err == (
        f"pcemu: error: cannot write trace '{trace}' (no space left on device); free space or "
        "choose another path; the run reproduces with: pcemu run anon-vma-reuse --variant "
        "buggy --seed 33 --strategy mix\n"
    )
    assert log.is_file() and trace.read_bytes() == b"kept"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_list_into_a_closed_pipe_exits_0(tmp_path: Path) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        f"{sys.executable} -m emulator list | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
        executable="/bin/bash",
    )
    assert r.stdout.startswith("NAME") and r.stderr == ""
    r = subprocess.run(
        f"{sys.executable} -m emulator list | head -1; exit ${{PIPESTATUS[0]}}",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
        executable="/bin/bash",
    )
    assert r.returncode == 0, r.stderr
