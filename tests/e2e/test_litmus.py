"""The memory models against the kernel's own litmus tests and the barrier scenarios' cores,
explored exhaustively, and ``pcemu litmus`` as a user meets it.

The litmus files live outside the repository (the kernel's tests are GPL-2.0), in the
``shared/litmus`` folder beside the checkout, or where PCEMU_LITMUS_DIR says. Without them the
tests skip, except under CI, where their absence is a failure.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import pytest

from actors.litmus.check import MODES, Verdict, check
from actors.litmus.parse import parse_file
from tests.e2e.invoke import pcemu

BESIDE = Path(__file__).resolve().parents[3] / "shared" / "litmus"
LITMUS = Path(os.environ.get("PCEMU_LITMUS_DIR", BESIDE))
KERNEL = sorted((LITMUS / "kernel").glob("*.litmus"))
CORES = sorted((LITMUS / "scenarios").glob("*.litmus"))
FOUND = len(KERNEL) == 47 and len(CORES) == 10
if not FOUND and os.environ.get("CI"):
    raise RuntimeError(f"litmus tests not found under {LITMUS}: CI needs ../shared/litmus")
needs_litmus = pytest.mark.skipif(not FOUND, reason=f"litmus tests not found under {LITMUS}")

# herd7 on the current LKMM (litmus/README.md)
HERD_CORES = {
    "pcemu-000d-buggy": "Sometimes",
    "pcemu-000d-fixed": "Never",
    "pcemu-002b-buggy-normb": "Sometimes",
    "pcemu-002b-buggy-nowmb": "Sometimes",
    "pcemu-002b-fixed": "Never",
    "pcemu-003b-ii": "Sometimes",
    "pcemu-003b-ii-mb": "Never",
    "pcemu-004c-buggy": "Sometimes",
    "pcemu-004c-mb-mapper-only": "Sometimes",
    "pcemu-004c-fixed": "Never",
}
# x86: store buffering (and store forwarding) only; a failed lock cmpxchg is still a full barrier
TSO_SOMETIMES = {"SB+poonceonces", "SB+rfionceonce-poonceonces", "R+poonceonces"}


@cache
def verdict(path: Path, mode: str) -> Verdict:
    return check(parse_file(path), mode)


@needs_litmus
@pytest.mark.parametrize("mode", MODES)
def test_no_model_ever_reaches_an_outcome_lkmm_forbids(mode: str) -> None:
    for path in KERNEL + CORES:
        v = verdict(path, mode)
        assert v.decided, f"{path.name} under {mode}: {v.verdict}"
        herd = v.test.result or HERD_CORES[v.test.name]
        if herd in ("Never", "DEADLOCK"):
            assert v.verdict != "Sometimes", f"{v.test.name} under {mode}: false Sometimes"


@needs_litmus
def test_weak_agrees_with_lkmm_on_the_kernel_tests() -> None:
    rows = [verdict(p, "weak") for p in KERNEL]
    missed = [v.test.name for v in rows if not v.agrees]
    assert len(rows) - len(missed) >= 46, missed
    rm = next(v for v in rows if v.test.name == "RM-broken")
    assert rm.verdict == "no final state"


@needs_litmus
def test_tso_gives_x86_verdicts() -> None:
    for path in KERNEL:
        v = verdict(path, "tso")
        want = "Sometimes" if v.test.name in TSO_SOMETIMES else None
        if want:
            assert v.verdict == want, v.test.name
        elif v.test.name.startswith(("MP+", "LB+", "S+", "WRC+", "IRIW+", "ISA2+", "cmpxchg")):
            assert v.verdict == "Never", v.test.name


@needs_litmus
def test_scenario_cores_get_the_herd_verdicts_under_weak() -> None:
    got = {v.test.name: v.verdict for v in (verdict(p, "weak") for p in CORES)}
    assert got == HERD_CORES


@needs_litmus
def test_only_the_futex_core_is_buggy_under_tso() -> None:
    found = {v.test.name for v in (verdict(p, "tso") for p in CORES) if v.verdict == "Sometimes"}
    assert found == {"pcemu-000d-buggy"}


# -- the command -------------------------------------------------------------------------------


LB = """C LB+test
(* Result: Sometimes *)
{}
P0(int *x, int *y) { int r0; r0 = READ_ONCE(*x); WRITE_ONCE(*y, 1); }
P1(int *x, int *y) { int r0; r0 = READ_ONCE(*y); WRITE_ONCE(*x, 1); }
exists (0:r0=1 /\\ 1:r0=1)
"""


def test_litmus_witness_replays_and_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "lb.litmus"
    f.write_text(LB)
    code, out, _ = pcemu(capsys, "litmus", str(f), "--model", "weak")
    assert code == 0, out
    assert "Sometimes" in out
    assert "weak: 1 tests, 1 decided, agree 1/1, 0 disagree" in out
    trace = tmp_path / "pcemu-runs" / "litmus" / "lb.weak.pctrace"
    assert trace.is_file()
    script = tmp_path / "pcemu-runs" / "litmus" / "lb.litmus.py"
    code, out, _ = pcemu(capsys, "replay", str(trace), "--script", str(script))
    assert code == 0, out
    assert "replay: reproduced (violation" in out
    code, out, _ = pcemu(capsys, "explain", str(trace), "--script", str(script))
    assert code == 0, out
    assert "issued early" in out and "LITMUS-EXISTS" in out


def test_litmus_disagreement_exits_1_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "lb.litmus"
    f.write_text(LB)
    code, out, _ = pcemu(capsys, "litmus", str(f), "--model", "sc", "--json", "--no-save")
    assert code == 1
    doc = json.loads(out)
    assert doc["tests"][0]["verdict"] == "Never"
    assert doc["tests"][0]["agrees"] is False
    assert doc["summary"]["disagree"] == 1


def test_litmus_unsupported_and_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "loop.litmus"
    f.write_text("C loop\n{}\nP0(int *x) { while (1) { } }\nexists (x=1)\n")
    code, out, _ = pcemu(capsys, "litmus", str(f))
    assert code == 0
    assert "unsupported: 'while'" in out
    code, _, err = pcemu(capsys, "litmus", str(tmp_path / "nope"))
    assert code == 2
    assert err.strip() == (
        f"pcemu: error: {str(tmp_path / 'nope')!r} does not exist; give a .litmus file or a "
        "directory of them"
    )
    g = tmp_path / "junk.litmus"
    g.write_text("not a litmus test")
    code, _, err = pcemu(capsys, "litmus", str(g))
    assert code == 2
    assert "no 'C name' first line" in err


def _lit(body: str, cond: str) -> str:
    return f"C t\n\n{{\n\tx=1;\n}}\n\n{body}\n\n{cond}\n"


ONE_WRITER = (
    "P0(int *x)\n{\n\tWRITE_ONCE(*x, 2);\n}\n\nP1(int *x)\n{\n\tint r0;\n\tr0 = READ_ONCE(*x);\n}"
)
NO_ACCESS = "P0(int *x)\n{\n}\n\nP1(int *y)\n{\n\tint r0;\n\tr0 = 3;\n}"


@pytest.mark.parametrize(
    ("body", "cond", "expected"),
    [
        # herd7's Observation is about the proposition inside the quantifier: Always when
        # every final state satisfies it, Never when none does, Sometimes otherwise.
        (ONE_WRITER, "exists (x=2)", "Always"),
        (ONE_WRITER, "exists (1:r0=2)", "Sometimes"),
        (ONE_WRITER, "exists (x=1)", "Never"),
        (ONE_WRITER, "~exists (x=2)", "Always"),
        (ONE_WRITER, "~exists (1:r0=1)", "Sometimes"),
        (ONE_WRITER, "forall (x=2)", "Always"),
        (ONE_WRITER, "forall (1:r0=2)", "Sometimes"),
        (ONE_WRITER, "forall (x=1)", "Never"),
        # Threads that make no memory access still end in a final state (the run has no step).
        (NO_ACCESS, "exists (x=1 /\\ 1:r0=3)", "Always"),
        (NO_ACCESS, "exists (x=2)", "Never"),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_observation_follows_herd(body: str, cond: str, expected: str, mode: str) -> None:
    from actors.litmus.parse import parse

    v = check(parse(_lit(body, cond)), mode)
    assert (v.verdict, v.decided) == (expected, True)
    # The witness is a run whose oracle fired: a state satisfying the proposition (exists,
    # ~exists) or a counterexample (forall); there is one exactly when such a state exists.
    forall = cond.startswith("forall")
    assert (v.witness is not None) == (expected != ("Always" if forall else "Never"))


EXTRA_DIR = Path(__file__).resolve().parent / "litmus"
EXTRA = sorted(EXTRA_DIR.glob("*.litmus"))


@pytest.mark.parametrize("path", EXTRA, ids=[p.stem for p in EXTRA])
def test_our_own_tests_follow_lkmm_under_weak(path: Path) -> None:
    # SRCU domains (srcu_read_lock/unlock, synchronize_srcu), smp_mb__after_unlock_lock,
    # smp_mb__after_srcu_read_unlock, control dependencies to stores (S+mb+ctrl) and a
    # dependency carried through the thread's own store (MP+rel+data-rfi-addr), each with a
    # test where it orders and one where it must not.
    v = check(parse_file(path), "weak")
    assert v.agrees, f"{v.test.name}: {v.verdict}, expected {v.test.result}"


@pytest.mark.parametrize("path", EXTRA, ids=[p.stem for p in EXTRA])
def test_our_own_tests_never_sometimes_where_lkmm_says_never(path: Path) -> None:
    for mode in ("tso", "sc"):  # stronger models: never an outcome the weak model forbids
        v = check(parse_file(path), mode)
        assert v.decided
        if v.test.result == "Never":
            assert v.verdict == "Never", f"{v.test.name} under {mode}: {v.verdict}"


@pytest.mark.parametrize(
    "unlock", ["rcu_read_unlock();", "srcu_read_unlock(s, 0);", "srcu_read_unlock(t, r0);"]
)
def test_an_unlock_outside_a_read_side_section_is_unsupported_not_a_crash(unlock: str) -> None:
    from actors.litmus.parse import parse
    from actors.litmus.syntax import Unsupported

    text = (
        "C unbalanced\n{}\nP0(int *x, struct srcu_struct *s, struct srcu_struct *t)\n{\n"
        f"\tint r0;\n\tr0 = srcu_read_lock(s);\n\t{unlock}\n\tr0 = READ_ONCE(*x);\n}}\n"
        "exists (0:r0=0)\n"
    )
    if unlock.startswith("srcu_read_unlock(s"):
        text = text.replace("\tr0 = srcu_read_lock(s);\n", "")
    with pytest.raises(Unsupported, match="outside a read-side section"):
        check(parse(text), "weak")


def test_litmus_checks_every_target_given_each_file_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``pcemu litmus a.litmus b.litmus`` (what a shell glob gives), files and directories
    mixed; a file named twice is checked once; a missing target is refused before any work."""
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.litmus").write_text(LB.replace("LB+test", "LB-a"))
    (d / "b.litmus").write_text(LB.replace("LB+test", "LB-b"))
    c = tmp_path / "c.litmus"
    c.write_text(LB.replace("LB+test", "LB-c"))
    code, out, _ = pcemu(
        capsys, "litmus", str(c), str(d), str(d / "a.litmus"), "--json", "--no-save"
    )
    assert code == 0, out
    doc = json.loads(out)
    assert [t["name"] for t in doc["tests"]] == ["LB-c", "LB-a", "LB-b"]
    assert doc["summary"]["tests"] == 3
    code, out, err = pcemu(capsys, "litmus", str(c), str(tmp_path / "nope"), "--no-save")
    assert code == 2
    assert out == ""
    assert "'" + str(tmp_path / "nope") + "' does not exist" in err


def test_a_test_named_with_a_slash_gives_a_witness_script_that_loads(tmp_path: Path) -> None:
    """The collection names its tests by directory ("auto/C-RW-R1+RW-R1"); a scenario name has
    no '/', so the witness's script once failed to load with the witness it was written for."""
    from actors.litmus.scenario import litmus_scenario
    from emulator.run.catalog import scenario_problem

    src = (EXTRA_DIR / "LB+rcu-brackets.litmus").read_text()
    path = tmp_path / "lb.litmus"
    path.write_text(src.replace("C LB+rcu-brackets", "C auto/LB+rcu-brackets", 1))
    scen = litmus_scenario(path)
    assert scenario_problem(scen) is None
    assert scen.name == "auto-LB+rcu-brackets"
