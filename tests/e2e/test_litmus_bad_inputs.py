"""``pcemu litmus`` and bad input: every bad file, value or signal is one line on stderr naming
it and the fix, exit 2 (130 / 143 for SIGINT / SIGTERM), no traceback, no internal error, and
the tests already checked are still shown.

Special files are never read (a FIFO would block, /dev/zero never ends), a file is read up to
1 MiB; nesting is bounded (no RecursionError), arithmetic stays in 64-bit words, a signal stops
a long check within a step. The processes run for real where a hang is the failure."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.invoke import pcemu

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}

LB = """C lb
(* Result: Sometimes *)
{}
P0(int *x, int *y) { int r0; r0 = READ_ONCE(*x); WRITE_ONCE(*y, 1); }
P1(int *x, int *y) { int r0; r0 = READ_ONCE(*y); WRITE_ONCE(*x, 1); }
exists (0:r0=1 /\\ 1:r0=1)
"""


def write(d: Path, name: str, text: str) -> Path:
    p = d / f"{name}.litmus"
    p.write_text(text)
    return p


def one_thread(name: str, body: str, cond: str = "exists (x=1)", head: str = "") -> str:
    """A test whose one thread writes x (so every run takes a step) and then runs ``body``."""
    thread = f"P0(int *x) {{ int r0; int r1; WRITE_ONCE(*x, 1); {body} }}"
    return f"C {name}\n{head}{{}}\n{thread}\n{cond}\n"


def one_line(err: str) -> str:
    """The only line on stderr, which must not be a traceback or an internal error."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err and "a bug in" not in err, err
    return lines[0]


def refused(capsys: pytest.CaptureFixture[str], path: Path, *more: str, model: str = "weak") -> str:
    """``pcemu litmus PATH``: exit 2 and the one stderr line, which names the file."""
    code, _, err = pcemu(capsys, "litmus", str(path), "--no-save", "--model", model, *more)
    line = one_line(err)
    assert code == 2, err
    assert path.name in line, line
    return line


def limit_memory() -> None:  # a file read without a bound fails here, not by filling the host
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run(*argv: str, cwd: Path, timeout: float = 60) -> tuple[int, str, str]:
    p = subprocess.run(
        [sys.executable, "-m", "emulator", *argv],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_memory,
    )
    return p.returncode, p.stdout, p.stderr


# -- 1. files: only regular files are read, and at most 1 MiB of each -----------------------------
def test_fifo_in_a_directory_is_refused_without_being_opened(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    os.mkfifo(d / "x.litmus")
    write(d, "lb", LB)
    code, out, err = run("litmus", "d", "--no-save", cwd=tmp_path, timeout=30)
    line = one_line(err)
    assert code == 2, err
    assert line == (
        "pcemu: error: 'd/x.litmus' is not a regular file (it is a FIFO (named pipe)); "
        "give a regular .litmus file or a directory of them"
    )
    assert "lb " in out and "Sometimes" in out  # the good test is still checked and shown


def test_symlink_to_dev_zero_in_a_directory_is_not_read(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "z.litmus").symlink_to("/dev/zero")
    code, _, err = run("litmus", "d", "--no-save", cwd=tmp_path, timeout=30)
    assert code == 2, err
    assert "'d/z.litmus' is not a regular file (it is a device)" in one_line(err)


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink-to-a-device"])
def test_a_special_file_given_directly_is_not_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    target = tmp_path / "x.litmus"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        target = Path("/dev/zero")
    else:
        target.symlink_to("/dev/null")
    code, _, err = pcemu(capsys, "litmus", str(target), "--no-save")
    assert code == 2
    line = one_line(err)
    assert f"{str(target)!r} is not a regular file" in line, line
    assert "does not exist" not in line


def test_a_file_over_1_mib_is_refused_before_it_is_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = write(tmp_path, "big", LB + "(* " + "x" * (1 << 20) + " *)\n")
    line = refused(capsys, big)
    assert "is larger than 1 MiB, the most a litmus test may be" in line


def test_a_directory_named_like_a_test_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sub.litmus").mkdir()
    write(tmp_path, "lb", LB)
    code, out, err = pcemu(capsys, "litmus", str(tmp_path), "--no-save")
    assert code == 2
    assert "is not a regular file (it is a directory)" in one_line(err)
    assert "Sometimes" in out


def test_text_that_is_not_utf8_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bin.litmus"
    f.write_bytes(LB.encode() + b"\xff\xfe")
    assert "is not UTF-8 text" in refused(capsys, f)


# -- 2. signals stop a long check; a test too long for a run is refused -------------------------
THREADS_40 = (
    "C many\n{}\n"
    + "".join(f"P{i}(int *x) {{ WRITE_ONCE(*x, {i}); }}\n" for i in range(40))
    + "exists (x=1)\n"
)


def long_threads(threads: int, writes: int) -> str:
    body = " ".join(f"WRITE_ONCE(*x, {i});" for i in range(writes))
    return (
        "C long\n{}\n"
        + "".join(f"P{t}(int *x) {{ {body} }}\n" for t in range(threads))
        + "exists (x=1)\n"
    )


def interrupted(
    tmp_path: Path, text: str, sig: int, *more: str, target: str = "t.litmus"
) -> tuple[int, str, str]:
    """``pcemu litmus TARGET`` (t.litmus holds ``text``), sent ``sig`` after 3 s."""
    write(tmp_path, "t", text)
    p = subprocess.Popen(
        [sys.executable, "-m", "emulator", "litmus", target, "--no-save", *more],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit_memory,
    )
    try:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.communicate(timeout=3)  # it must still be checking (the check takes minutes)
        assert p.poll() is None, "the check ended before the signal"
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    return p.returncode, out, err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "sig", "status"),
    [
        (THREADS_40, signal.SIGINT, 130),
        (THREADS_40, signal.SIGTERM, 143),
        (long_threads(2, 5000), signal.SIGINT, 130),
        (long_threads(2, 5000), signal.SIGTERM, 143),
    ],
    ids=["40-threads-INT", "40-threads-TERM", "5000-writes-INT", "5000-writes-TERM"],
)
def test_a_signal_stops_a_long_check(tmp_path: Path, text: str, sig: int, status: int) -> None:
    code, out, err = interrupted(tmp_path, text, sig, "--bound", "100000000")
    assert code == status, err
    assert out == ""  # no test was finished: nothing to show
    assert one_line(err) == "litmus: interrupted while checking t.litmus; 0 of 1 tests checked"


@pytest.mark.slow
def test_a_signal_stops_the_parse_of_a_large_file(tmp_path: Path) -> None:
    text = "C locals\n{}\nP0(int *x) { int r0; " + "r0=1;" * 200_000 + " }\nexists (x=1)\n"
    assert len(text) < 1 << 20  # parsing it takes many seconds
    code, _, err = interrupted(tmp_path, text, signal.SIGTERM)
    assert code == 143, err
    assert "litmus: interrupted while checking t.litmus" in one_line(err)


@pytest.mark.slow
def test_tests_checked_before_a_signal_are_still_shown(tmp_path: Path) -> None:
    write(tmp_path, "a", LB)  # checked first (sorted), in a moment
    code, out, err = interrupted(tmp_path, THREADS_40, signal.SIGINT, target=".")
    assert code == 130, err
    assert "lb " in out and "Sometimes" in out
    assert one_line(err) == (
        "litmus: interrupted while checking t.litmus; 1 of 2 tests checked; their results are above"
    )


def test_a_test_whose_runs_exceed_the_step_budget_is_refused(tmp_path: Path) -> None:
    # A process: unrefused, the check would take hours.
    write(tmp_path, "huge", long_threads(2, 5001))
    code, _, err = run("litmus", "huge.litmus", "--no-save", cwd=tmp_path, timeout=60)
    assert code == 2, err
    assert one_line(err) == (
        "pcemu: error: huge.litmus: 2 threads make up to 10,002 memory accesses in a run, over "
        "the 10,000 steps a run may take; split the test into smaller ones"
    )


# -- 3. nesting: bounded, never a RecursionError ---------------------------------------------------
DEEP: dict[str, str] = {
    "parentheses": one_thread("p", "r1 = " + "(" * 5000 + "1" + ")" * 5000 + ";"),
    "ifs": one_thread("i", "if (r0) {" * 3000 + "}" * 3000),
    "bare-ifs": one_thread("b", "if (r0) " * 3000 + "r1 = 1;"),
    "else-ifs": one_thread("e", "if (r0) r1 = 1; " + "else if (r0) r1 = 1; " * 3000),
    "blocks": one_thread("k", "{" * 3000 + "}" * 3000),
    "unary": one_thread("u", "r1 = " + "- " * 5000 + "1;"),
    "negations": one_thread("n", "r1 = " + "!" * 5000 + "1;"),
    "casts": one_thread("c", "r1 = " + "(int)" * 5000 + "1;"),
    "calls": one_thread("f", "r1 = " + "READ_ONCE(*" * 3000 + "x" + ")" * 3000 + ";"),
    "chain": one_thread("a", "r1 = " + " + ".join(["r0"] * 5000) + ";"),
    "if-chain": one_thread("g", "if (" + " + ".join(["r0"] * 5000) + ") r1 = 1;"),
    "assignments": one_thread("s", "r1 = " + "r0 = " * 5000 + "1;"),
    "exists": one_thread("x", "", "exists " + "(" * 5000 + "x=1" + ")" * 5000),
    "exists-not": one_thread("y", "", "exists " + "~" * 5000 + "x=1"),
    "exists-and": one_thread("z", "", "exists (" + " /\\ ".join(["x=1"] * 5000) + ")"),
    "filter": one_thread("w", "", "filter " + "(" * 5000 + "x=1" + ")" * 5000 + "\nexists (x=1)"),
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_nesting_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    line = refused(capsys, write(tmp_path, name, DEEP[name]))
    assert "nesting deeper than" in line, line


R1, R1_200 = "exists (0:r1=1)", "exists (0:r1=200)"


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (
            one_thread("p", "r1 = " + "(" * 64 + "1" + ")" * 64 + ";", "exists (0:r1=1)"),
            "Always",
        ),
        (one_thread("i", "if (1) {" * 64 + "r1 = 1;" + "}" * 64, "exists (0:r1=1)"), "Always"),
        (
            one_thread("a", "r1 = " + " + ".join(["1"] * 200) + ";", "exists (0:r1=200)"),
            "Always",
        ),
        (one_thread("x", "", "exists " + "(" * 64 + "x=1" + ")" * 64), "Always"),
        (one_thread("y", "", "exists (" + " \\/ ".join(["x=2"] * 200) + ")"), "Never"),
    ],
    ids=["64-parentheses", "64-ifs", "200-operators", "64-condition-parentheses", "200-atoms"],
)
def test_nesting_within_the_limits_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, verdict: str
) -> None:
    code, out, err = pcemu(capsys, "litmus", str(write(tmp_path, "ok", text)), "--no-save")
    assert code == 0, err
    assert f" {verdict} " in out, out


# -- 4. arithmetic: 64-bit words; what C leaves undefined is refused -------------------------------
@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("1 << 100000", "shift by 100000 is undefined behaviour in C (values are 64-bit)"),
        ("1 << 64", "shift by 64 is undefined behaviour in C"),
        ("1 >> -1", "shift by -1 is undefined behaviour in C"),
        ("1 / 0", "'/' by zero is undefined behaviour in C"),
        ("r0 % 0", "'%' by zero is undefined behaviour in C"),
        ("99999999999999999999", "integer constant '99999999999999999999' does not fit in 64"),
        ("08", "bad integer constant '08'"),
    ],
)
def test_undefined_arithmetic_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expr: str, message: str
) -> None:
    line = refused(capsys, write(tmp_path, "ub", one_thread("ub", f"r1 = {expr};")))
    assert message in line, line
    assert "line 3" in line, line


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("9223372036854775807 + 1", -(1 << 63)),
        ("4294967296 * 4294967296", 0),
        ("1 << 63", -(1 << 63)),
        ("0xffffffffffffffff", -1),
        ("5 + -1", 4),
        ("-7 / 2", -3),
        ("-7 % 2", -1),
        ("0777", 511),
        ("-9223372036854775807 - 1 - 1", (1 << 63) - 1),
    ],
)
def test_arithmetic_wraps_at_64_bits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expr: str, value: int
) -> None:
    text = one_thread("w", f"r1 = {expr};", f"exists (0:r1={value})", "(* Result: Always *)\n")
    code, out, err = pcemu(capsys, "litmus", str(write(tmp_path, "w", text)), "--no-save")
    assert (code, err) == (0, ""), err
    assert " Always " in out and " yes " in out, out


def test_atomics_wrap_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        "C a\n(* Result: Always *)\n{ atomic_t v = ATOMIC_INIT(9223372036854775807); }\n"
        "P0(atomic_t *v) { int r0; r0 = atomic_add_return(1, v); }\n"
        "exists (0:r0=-9223372036854775808)\n"
    )
    code, out, err = pcemu(capsys, "litmus", str(write(tmp_path, "a", text)), "--no-save")
    assert code == 0, err
    assert " yes " in out


# -- 5. --witness-dir ------------------------------------------------------------------------------
WITNESS_DIRS: dict[str, Callable[[Path], Path]] = {
    "a file": lambda d: (d / "afile").resolve(),
    "/dev/null": lambda d: Path("/dev/null"),
    "under /proc": lambda d: Path("/proc/pcemu-witnesses"),
    "under a file": lambda d: d / "afile" / "sub",
}


@pytest.mark.parametrize("where", sorted(WITNESS_DIRS))
def test_witness_dir_that_cannot_be_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    (tmp_path / "afile").write_text("x")
    wd = WITNESS_DIRS[where](tmp_path)
    if wd.is_relative_to("/proc") and not Path("/proc/self").exists():
        pytest.skip("no /proc")
    f = write(tmp_path, "lb", LB)
    code, _, err = pcemu(capsys, "litmus", str(f), "--witness-dir", str(wd))
    line = one_line(err)
    assert code == 2, err
    assert "--witness-dir" in line and str(wd) in line, line


def test_a_witness_that_cannot_be_written_loses_no_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the check before the work cannot foresee: the directory refuses the file itself.
    monkeypatch.setattr("actors.litmus.cli.output_dir", lambda path, what: None)
    (tmp_path / "afile").write_text("x")
    d = tmp_path / "tests"
    d.mkdir()
    write(d, "lb", LB)
    write(d, "lb2", LB.replace("C lb", "C lb2"))
    wd = tmp_path / "afile" / "sub"
    code, out, err = pcemu(capsys, "litmus", str(d), "--witness-dir", str(wd), "--json")
    line = one_line(err)
    assert code == 2, err
    assert line.startswith(
        f"pcemu: error: --witness-dir {str(wd)!r}: cannot write the witness of lb"
    )
    doc = json.loads(out)
    assert [t["verdict"] for t in doc["tests"]] == ["Sometimes", "Sometimes"]


def test_the_default_witness_dir_is_checked_only_when_a_witness_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pcemu-runs").write_text("not a directory")
    never = write(tmp_path, "never", LB.replace("Result: Sometimes", "Result: Never"))
    code, out, err = pcemu(capsys, "litmus", str(never), "--model", "sc")
    assert (code, err) == (0, ""), err  # no witness: the directory is never needed
    code, out, err = pcemu(capsys, "litmus", str(write(tmp_path, "lb", LB)))
    assert code == 2
    assert "--witness-dir 'pcemu-runs/litmus'" in one_line(err)
    assert " Sometimes " in out  # the verdict is still shown


# -- 6. the header and the conditions: malformed is bad input, not "unsupported" or "disagree" -----
MALFORMED: dict[str, tuple[str, str]] = {
    "unknown result": (
        LB.replace("Result: Sometimes", "Result: Perhaps"),
        "'Result: Perhaps' is not a result; write Result: Never, Sometimes, Always or DEADLOCK",
    ),
    "missing thread": (
        LB.replace("exists (0:r0=1", "exists (5:r9=1"),
        "the final condition names thread 5 (5:...), but the test has threads P0 to P1",
    ),
    "missing thread in filter": (
        LB.replace("exists", "filter (2:r0=1)\nexists"),
        "the filter names thread 2",
    ),
    "missing thread in init": (LB.replace("{}", "{ 3:r0=1; }"), "the initial state names thread 3"),
    "truncated exists": (LB.replace("exists (0:r0=1 /\\ 1:r0=1)", "exists ("), "ends early"),
    "truncated atom": (LB.replace("1:r0=1)", "1:r0="), "ends early"),
    "missing value": (LB.replace("1:r0=1)", "1:r0=)"), "expected a value, found ')'"),
    "unbalanced": (LB.replace("1:r0=1)", "1:r0=1"), "ends early, where ')' belongs"),
    "trailing text": (LB.replace("1:r0=1)", "1:r0=1) junk"), "unexpected text 'junk'"),
    "unterminated comment at the end": (LB + "(* never closed\n", "unterminated (* comment"),
    "unterminated comment at the start": (
        LB.replace("(* Result: Sometimes *)", "(* Result: Sometimes"),
        "unterminated (* comment",
    ),
    "unterminated C comment": (LB.replace("int r0;", "int r0; /* open", 1), "unterminated"),
    "bad constant in exists": (LB.replace("0:r0=1", "0:r0=0x"), "bad integer constant '0x'"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_header_or_condition_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    text, message = MALFORMED[name]
    line = refused(capsys, write(tmp_path, "m", text))
    assert message in line, line


def test_unsupported_constructs_are_still_unsupported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A construct of herd's C that the checker does not model is a verdict ("unsupported"),
    exit 0, not bad input."""
    f = write(tmp_path, "u", LB.replace("/\\ 1:r0=1", "/\\ x={1,2}"))  # herd's vectors
    code, out, err = pcemu(capsys, "litmus", str(f), "--no-save")
    assert (code, err) == (0, "")
    assert "unsupported: final condition syntax near" in out
