"""Bad input, one pinned line per case (as in test_bad_inputs.py), for what an audit found: an
output over the command's own input, a scenario whose build returns the wrong thing or whose
SCENARIO is malformed, an actor exception under verify (and its recording under replay and
explain), a soak directory whose lock, store or summary is damaged, empty soak lists, and
outputs the OS refuses for a reason other than a full disk. Each is one line on stderr naming
the bad value and the fix, exit status 2, no traceback, and nothing already recorded is lost."""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.run.artifacts import save
from emulator.run.session import RunSpec, execute
from emulator.soak.findings import Finding
from emulator.soak.rows import BatchRow, Hit
from emulator.soak.store import Store
from tests.e2e.invoke import pcemu
from tests.e2e.recorded import record_run

E = "pcemu: error: "
EE = "pcemu: emulator-error: "
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "invalidate_recheck.py"
SCEN = "scenario invalidate-recheck: "


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_run(tmp_path_factory.mktemp("bad-cli"))


def one_line(err: str) -> str:
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith((E, EE, "pcemu: interrupted")), err
    return err.rstrip("\n")


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def script(d: Path, name: str, old: str = "", new: str = "") -> Path:
    """The worked example with ``old`` replaced by ``new``, as ``d/name``."""
    p = d / name
    text = EXAMPLE.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1) if old else text)
    return p


# -- 1. no command writes its output over one of its inputs ----------------------------------
def _link(d: Path, name: str, target: str, hard: bool = False) -> str:
    p = d / name
    if not os.path.lexists(p):
        (os.link if hard else os.symlink)(d / target, p)
    return str(p)


SAME: list[tuple[str, Callable[[Path], list[str]], str]] = [
    (
        "explain -o its log",
        lambda d: ["explain", str(d / "r.jsonl"), "-o", str(d / "r.jsonl")],
        E + "-o/--out '{d}/r.jsonl' would overwrite the recording '{d}/r.jsonl' that this "
        "command reads; give -o/--out another path",
    ),
    (
        "explain -o its trace, spelled with ..",
        lambda d: ["explain", str(d / "r.pctrace"), "-o", f"{d}/sub/../r.pctrace"],
        E + "-o/--out '{d}/sub/../r.pctrace' would overwrite the recording '{d}/r.pctrace' "
        "that this command reads; give -o/--out another path",
    ),
    (
        "explain -o a symlink to its log",
        lambda d: ["explain", str(d / "r.jsonl"), "-o", _link(d, "sym.jsonl", "r.jsonl")],
        E + "-o/--out '{d}/sym.jsonl' would overwrite the recording '{d}/r.jsonl' that this "
        "command reads; give -o/--out another path",
    ),
    (
        "shrink -o its trace",
        lambda d: ["shrink", str(d / "r.pctrace"), "-o", str(d / "r.pctrace")],
        E + "--out '{d}/r.pctrace' would overwrite the recording '{d}/r.pctrace' that this "
        "command reads; give --out another path",
    ),
    (
        "shrink -o a hard link to its log",
        lambda d: ["shrink", str(d / "r.jsonl"), "-o", _link(d, "hard.jsonl", "r.jsonl", True)],
        E + "--out '{d}/hard.jsonl' would overwrite the recording '{d}/r.jsonl' that this "
        "command reads; give --out another path",
    ),
    (
        "explain -o its --script",
        lambda d: [
            "explain",
            str(d / "r.jsonl"),
            "--script",
            str(script(d, "s.py")),
            "-o",
            str(d / "s.py"),
        ],
        E + "-o/--out '{d}/s.py' would overwrite the scenario script '{d}/s.py' that this "
        "command reads; give -o/--out another path",
    ),
    (
        "run --log its script",
        lambda d: ["run", str(script(d, "s.py")), "--log", str(d / "s.py")],
        E + "--log '{d}/s.py' would overwrite the scenario script '{d}/s.py' that this command "
        "reads; give --log another path",
    ),
    (
        "hunt --trace its script",
        lambda d: ["hunt", str(script(d, "s.py")), "--trace", str(d / "s.py")],
        E + "--trace '{d}/s.py' would overwrite the scenario script '{d}/s.py' that this "
        "command reads; give --trace another path",
    ),
    (
        "verify --trace its script",
        lambda d: ["verify", str(script(d, "s.py")), "--trace", str(d / "s.py")],
        E + "--trace '{d}/s.py' would overwrite the scenario script '{d}/s.py' that this "
        "command reads; give --trace another path",
    ),
    (
        "run --log and --trace one file by a symlink",
        lambda d: [
            "run",
            "anon-vma-reuse",
            "--log",
            str(d / "r.jsonl"),
            "--trace",
            _link(d, "sym.jsonl", "r.jsonl"),
        ],
        E + "--log '{d}/r.jsonl' and --trace '{d}/sym.jsonl' are the same file; give two "
        "different files",
    ),
    (
        "soak --out writes its summary over a script",
        lambda d: [
            "soak",
            "--scenarios",
            str(script(d / "soak", "summary.txt")),
            "--out",
            str(d / "soak"),
            "--listen",
            "off",
        ],
        E + "--out '{d}/soak' would overwrite the scenario script '{d}/soak/summary.txt' (the "
        "soak writes its summary.txt there); move the script, or give another --out",
    ),
]


@pytest.mark.parametrize(("name", "argv", "line"), SAME, ids=[c[0] for c in SAME])
def test_no_command_writes_over_its_input(
    tmp_path: Path,
    files: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    argv: Callable[[Path], list[str]],
    line: str,
) -> None:
    d = tmp_path
    for f in ("r.jsonl", "r.pctrace"):
        (d / f).write_bytes((files / f).read_bytes())
    (d / "soak").mkdir()
    monkeypatch.chdir(d)
    args = argv(d)
    before = {p: digest(p) for p in d.rglob("*") if p.is_file() and not p.is_symlink()}
    code, out, err = pcemu(capsys, *args)
    assert code == 2, (out, err)
    assert one_line(err) == line.replace("{d}", str(d))
    # Refused before any work: every input is as it was, and nothing new was written.
    after = {p: digest(p) for p in d.rglob("*") if p.is_file() and not p.is_symlink()}
    assert after == before


# -- 2. a scenario whose build() returns the wrong thing, or whose SCENARIO is malformed -------
BUILD = (
    "    return Setup(\n        model=model,\n"
    '        actors=[actor("CPU0", invalidate), actor("CPU1", truncate)],'
)
RETURNS: list[tuple[str, str, str]] = [
    (
        "None",
        "    return None\n    Setup(\n        model=model,\n        actors=[],",
        "build('buggy') returned None, not a Setup; it must return "
        "emulator.run.scenario.Setup(model=..., actors=[actor(name, program), ...])",
    ),
    (
        "a tuple",
        "    return ([], [])\n    Setup(\n        model=model,\n        actors=[],",
        "build('buggy') returned ([], []) (a tuple), not a Setup; it must return "
        "emulator.run.scenario.Setup(model=..., actors=[actor(name, program), ...])",
    ),
    (
        "no actors",
        "    return Setup(\n        model=model,\n        actors=None,",
        "build('buggy') returned a Setup whose actors is None; give a non-empty list of actors, "
        "e.g. actors=[actor('CPU0', program), ...]",
    ),
    (
        "two actors of one name",
        '    return Setup(\n        model=model,\n        actors=[actor("CPU0", invalidate), '
        'actor("CPU0", truncate)],',
        "build('buggy') returned a Setup with two actors named 'CPU0'; give each actor its own "
        "name",
    ),
    (
        "an actor that is not one",
        "    return Setup(\n        model=model,\n        actors=[invalidate, truncate],",
        "build('buggy') returned a Setup whose actors[0] is a function, not an actor; make each "
        "one with actor(name, program)",
    ),
    (
        "no model",
        '    return Setup(\n        model=None,\n        actors=[actor("CPU0", invalidate), '
        'actor("CPU1", truncate)],',
        "build('buggy') returned a Setup whose model is None, which has no bind() method; give "
        "the model the actors' steps are applied to (e.g. PageCacheModel())",
    ),
]


@pytest.mark.parametrize(("name", "new", "line"), RETURNS, ids=[c[0] for c in RETURNS])
@pytest.mark.parametrize("command", ["run", "hunt", "verify", "show"])
def test_build_returning_the_wrong_thing_blames_the_scenario(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    new: str,
    line: str,
    command: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    path = script(tmp_path, "wrong.py", BUILD, new)
    args = [command, str(path)] + (["--variant", "buggy"] if command == "verify" else [])
    code, out, err = pcemu(capsys, *args)
    assert code == 2 and out == "", (out, err)
    assert one_line(err) == EE + SCEN + line


FIELDS: list[tuple[str, str, str, str]] = [
    (
        "variants a string",
        '    expects={"buggy": ("INV-REF-3",), "fixed": ()},\n',
        '    expects={"buggy": ("INV-REF-3",)},\n    variants="buggy",\n',
        "SCENARIO.variants is 'buggy'; give a tuple of distinct variant names, e.g. "
        "variants=('buggy', 'fixed')",
    ),
    (
        "budget a string",
        '    expects={"buggy": ("INV-REF-3",), "fixed": ()},\n',
        '    expects={"buggy": ("INV-REF-3",), "fixed": ()},\n    budget="100",\n',
        "SCENARIO.budget is '100'; give a number of steps, 1 to 1,000,000",
    ),
    (
        "an option without values",
        '    expects={"buggy": ("INV-REF-3",), "fixed": ()},\n',
        '    expects={"buggy": ("INV-REF-3",), "fixed": ()},\n    options={"policy": ()},\n',
        "SCENARIO.options['policy'] is () (a tuple); give a non-empty tuple of its values, the "
        "default first, e.g. ('on', 'off')",
    ),
    (
        "expects None",
        '    expects={"buggy": ("INV-REF-3",), "fixed": ()},\n',
        "    expects=None,\n",
        "SCENARIO.expects is None; give a map of variant to the oracles it trips, e.g. "
        "expects={'buggy': ('INV-REF-3',), 'fixed': ()}",
    ),
    (
        "build not callable",
        "    build=build,\n",
        "    build=None,\n",
        "SCENARIO.build is None; give the function that builds a run: "
        "def build(variant, options) -> Setup",
    ),
    (
        "build of one parameter",
        "def build(variant: str, options: Mapping[str, str]) -> Setup:",
        "def build(variant: str) -> Setup:",
        "SCENARIO.build is build(variant), which cannot be called as build(variant, options); "
        "give it the two parameters: def build(variant, options) -> Setup",
    ),
]


@pytest.mark.parametrize("command", ["run", "hunt", "verify", "show"])
def test_a_build_that_exits_is_a_scenario_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """sys.exit() in a scenario's build is its bug, not the command's exit status (a hunt's
    profiling runs call build too)."""
    monkeypatch.chdir(tmp_path)
    model = "    model = PageCacheModel()\n"
    path = script(tmp_path, "exiting.py", model, model + "    raise SystemExit(3)\n")
    args = [command, str(path)] + (["--variant", "buggy"] if command == "verify" else [])
    code, out, err = pcemu(capsys, *args)
    assert code == 2 and out == "", (out, err)
    assert one_line(err) == (
        EE + SCEN + "build('buggy') raised SystemExit: 3 at exiting.py:25 in build; fix the "
        "scenario (-v shows the traceback)"
    )


@pytest.mark.parametrize(("name", "old", "new", "line"), FIELDS, ids=[c[0] for c in FIELDS])
@pytest.mark.parametrize("command", ["run", "hunt", "verify", "show"])
def test_a_malformed_scenario_field_is_one_line_naming_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    old: str,
    new: str,
    line: str,
    command: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    path = script(tmp_path, "fields.py", old, new)
    code, out, err = pcemu(capsys, command, str(path))
    assert code == 2 and out == "", (out, err)
    assert one_line(err) == f"{E}scenario script '{path}': {line}; fix the script"


# The script's own code runs when pcemu reads its SCENARIO, not only when it is imported.
SUBCLASS = (
    "from emulator.run.scenario import Scenario\n"
    "class S(Scenario):\n"
    "    @property\n"
    "    def variants(self):\n"
    "        raise ValueError('no variants today')\n"
    "    @variants.setter\n"
    "    def variants(self, v):\n"
    "        pass\n"
    "SCENARIO = S(name='x', spec_id='', thread='', title='', era='', commits='',\n"
    "             build=lambda v, o: None, expects={})\n"
)
RUNS_CODE: list[tuple[str, str, str]] = [
    (
        "a module __getattr__ that raises",
        "def __getattr__(name):\n    raise RuntimeError(f'no {name} here')\n",
        "reading its SCENARIO raised RuntimeError: no SCENARIO here; fix the script",
    ),
    (
        "a Scenario subclass whose field raises",
        SUBCLASS,
        "reading its SCENARIO raised ValueError: no variants today; fix the script",
    ),
    (
        # Not a signal: the script's own raise (a real SIGINT stops the command, exit 130).
        "KeyboardInterrupt raised on import",
        "raise KeyboardInterrupt\n",
        "failed to import: KeyboardInterrupt; fix the script",
    ),
]


@pytest.mark.parametrize(("name", "text", "line"), RUNS_CODE, ids=[c[0] for c in RUNS_CODE])
@pytest.mark.parametrize("command", ["run", "hunt", "verify", "show"])
def test_script_code_that_raises_while_its_scenario_is_read_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    text: str,
    line: str,
    command: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "code.py"
    path.write_text(text)
    code, out, err = pcemu(capsys, command, str(path))
    assert code == 2 and out == "", (out, err)
    assert one_line(err) == f"{E}scenario script '{path}' {line}".replace("' reading", "': reading")


FUTURE = "from __future__ import annotations\n"
KILL = "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\n"


@pytest.mark.parametrize("command", ["run", "hunt", "verify", "show"])
def test_a_second_signal_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """The first SIGINT sets the flag a command reads; the second raises KeyboardInterrupt,
    before which click printed a blank line: two lines on stderr."""
    monkeypatch.chdir(tmp_path)
    path = script(tmp_path, "twice.py", FUTURE, FUTURE + KILL + KILL)
    code, out, err = pcemu(capsys, command, str(path))
    assert code == 130 and out == "", (out, err)
    assert one_line(err) == "pcemu: interrupted; nothing reported or saved"


def test_a_signal_a_command_never_reads_still_sets_its_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """show reads no flag and runs to its end; it exited 0, so a shell loop around it went on
    after Ctrl-C."""
    monkeypatch.chdir(tmp_path)
    path = script(tmp_path, "once.py", FUTURE, FUTURE + KILL)
    code, out, err = pcemu(capsys, "show", str(path))
    assert code == 130 and out.startswith("invalidate-recheck (example, "), (out, err)
    assert err == "pcemu: interrupted; the command had finished (its output is complete)\n"


# -- 3. an actor exception is a scenario error under verify too -------------------------------
D2 = 'mapping_now, _anon = await k.page_mapping("D2", found)'
RAISE = (D2, D2 + '\n            raise RuntimeError("boom")')
CRASH = "actor CPU0 raised RuntimeError: boom after step [D2] at raising.py:36 in invalidate"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_verify_of_an_actor_that_raises_is_one_emulator_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = script(tmp_path, "raising.py", *RAISE)
    for argv in (["run", str(path), "--schedule", "directed"], ["verify", str(path), "-j", jobs]):
        code, out, err = pcemu(capsys, *argv)
        assert code == 2 and out == "", (argv, out, err)
        assert one_line(err) == (
            EE + SCEN + CRASH + "; a bug in the scenario or in pcemu, not a race (-v shows the "
            "traceback)"
        )
    assert not (tmp_path / "pcemu-runs").exists()  # no "counterexample" was saved


def test_replay_and_explain_of_a_recorded_actor_exception_need_v_for_the_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = script(tmp_path, "raising.py", *RAISE)
    seed = next(
        s
        for s in range(50)
        if execute(RunSpec(scenario=str(path), variant="fixed", seed=s))[1].outcome.status
        == "error"
    )
    spec = RunSpec(scenario=str(path), variant="fixed", seed=seed)
    scen, result = execute(spec)
    save(spec.header(scen), result, tmp_path / "e.jsonl", tmp_path / "e.pctrace")
    for command in ("replay", "explain"):
        for rec in ("e.jsonl", "e.pctrace"):
            code, out, err = pcemu(capsys, command, rec, "--script", str(path))
            assert code == 0 and err == "", err
            assert "Traceback" not in out, out
            assert f"=> error: {CRASH} (-v shows the traceback)" in out
            code, out, _err = pcemu(capsys, command, rec, "--script", str(path), "-v")
            assert code == 0 and "Traceback (most recent call last)" in out


# -- 4.-7. the soak -----------------------------------------------------------------------------
SOAK = ["soak", "--scenarios", "anon-vma-reuse", "--seeds", "100", "--workers", "2"]
SOAK += ["--listen", "off", "--progress", "off"]
RACE = Finding("violation", "anon-vma-reuse", "buggy", "INV-LOCK-1", "W2", "unlock", True)
LANE = "anon-vma-reuse|buggy|chaos"


def test_a_lock_that_is_a_directory_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "soak"
    (out / ".lock").mkdir(parents=True)
    code, stdout, err = pcemu(capsys, *SOAK, "--resume", "--out", str(out))
    assert code == 2 and stdout == ""
    assert one_line(err) == (
        f"{E}the soak's lock file '{out}/.lock' is a directory, not a regular file; remove it "
        "and run the command again (pcemu makes the lock file itself)"
    )


def good_store(d: Path) -> Path:
    """A store as ``pcemu soak --scenarios anon-vma-reuse --seeds 100`` leaves it after its
    first batches of the buggy/chaos lane: k 0 (seed 0), 1 (seeds 1-2) and 2 (seeds 3-6, one
    of which failed)."""
    store = Store(d)
    store.set_meta(batch="50", shard="0/1", seeds="100", layout="ramp")
    spec = RunSpec(scenario="anon-vma-reuse", variant="buggy", seed=5, strategy="chaos")
    store.commit_batch(BatchRow(LANE, "0/1", 0, 0, 0, 1, 60, 0), [], 1)
    store.commit_batch(BatchRow(LANE, "0/1", 1, 1, 2, 2, 120, 0), [], 1)
    store.commit_batch(
        BatchRow(LANE, "0/1", 2, 3, 6, 4, 240, 1), [Hit(RACE, 1, 5, "chaos", spec)], 1
    )
    store.close(checkpoint=True)
    return d


DAMAGE: list[tuple[str, str, str]] = [
    (
        "negative k and seeds",
        "UPDATE batches SET k=-3, seed_lo=-100, seed_hi=-50 WHERE k=1",
        "batches row (lane '{lane}', shard '0/1', k -3): k is -3, expected an integer >= 0",
    ),
    (
        "seed_lo above seed_hi",
        "UPDATE batches SET seed_lo=9 WHERE k=1",
        "batches row (lane '{lane}', shard '0/1', k 1): seed_lo 9 is above seed_hi 2",
    ),
    (
        "a string for runs",
        "UPDATE batches SET runs='many' WHERE k=1",
        "batches row (lane '{lane}', shard '0/1', k 1): runs is not an integer of a sane size "
        "('many')",
    ),
    (
        "more failures than runs",
        "UPDATE batches SET failures=7 WHERE k=2",
        "batches row (lane '{lane}', shard '0/1', k 2): failures 7 is more than its runs 4",
    ),
    (
        "a hit of no batch",
        "DELETE FROM batches WHERE k=2",
        "hits row (lane '{lane}', shard '0/1', k 2, sig '{sig}'): no batches row has its lane, "
        "shard and k",
    ),
    (
        "a hit of no run",
        "UPDATE hits SET count=0",
        "hits row (lane '{lane}', shard '0/1', k 2, sig '{sig}'): count is 0, expected an "
        "integer >= 1",
    ),
    (
        "a finding counted below one",
        "UPDATE findings SET count=-1",
        "findings row (sig '{sig}'): count is -1, expected an integer >= 1",
    ),
]


def damage(d: Path, sql: str) -> None:
    db = sqlite3.connect(d / "findings.db")
    db.execute(sql)
    db.commit()
    db.close()


def table_rows(d: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(d / "findings.db")
    try:
        return {
            t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in ("batches", "hits", "findings", "sessions", "coverage")
        }
    finally:
        db.close()


def _expected(d: Path, line: str) -> str:
    what = line.replace("{lane}", LANE).replace("{sig}", RACE.sig[:20])
    return (
        f"{E}'{d}/findings.db' is damaged ({what}); move it away (or restore it from a copy) to "
        "start a new store"
    )


@pytest.mark.parametrize(("name", "sql", "line"), DAMAGE, ids=[c[0] for c in DAMAGE])
def test_a_damaged_store_is_refused_by_resume_and_merge_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, sql: str, line: str
) -> None:
    bad = good_store(tmp_path / "bad")
    damage(bad, sql)
    before = table_rows(bad)
    code, out, err = pcemu(capsys, *SOAK, "--resume", "--out", str(bad))
    assert code == 2 and out == ""
    assert one_line(err) == _expected(bad, line)
    assert table_rows(bad) == before  # nothing re-run, nothing written
    # Merged into a good store: refused before anything of it is imported.
    good = good_store(tmp_path / "good")
    kept = table_rows(good)
    code, out, err = pcemu(capsys, "findings", str(good), "--merge", str(bad))
    assert code == 2 and out == ""
    assert one_line(err) == _expected(bad, line)
    assert table_rows(good) == kept
    # Nothing is made either when DIR is new, nor merged from a good store given before it.
    new = tmp_path / "new"
    code, out, err = pcemu(capsys, "findings", str(new), "--merge", str(good), "--merge", str(bad))
    assert code == 2 and one_line(err) == _expected(bad, line) and not new.exists()
    # ... and so is merging a good store into the damaged one.
    code, out, err = pcemu(capsys, "findings", str(bad), "--merge", str(good))
    assert code == 2 and one_line(err) == _expected(bad, line)
    assert table_rows(bad) == before


def test_a_store_that_reads_but_cannot_be_written_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite opens a store whose shared-memory file is a directory read-only: every read
    passes, and the first write (resume's meta, a merge's batch) raised OperationalError out
    of the command as an internal error. The same for a read-only file or file system."""
    bad = good_store(tmp_path / "bad")
    (bad / "findings.db-shm").mkdir()
    before = table_rows(bad)
    line = (
        f"{E}cannot write the findings store '{bad}/findings.db' (attempt to write a readonly "
        "database); fix its permissions, then "
    )
    code, out, err = pcemu(capsys, *SOAK, "--resume", "--out", str(bad))
    assert code == 2 and out == ""
    assert one_line(err) == line + "run the same command with --resume"
    code, out, err = pcemu(capsys, "findings", str(bad), "--merge", str(good_store(tmp_path / "g")))
    assert code == 2 and out == ""
    assert one_line(err) == line + "run the same command again"
    (bad / "findings.db-shm").rmdir()
    assert table_rows(bad) == before


def test_resume_refuses_a_batch_whose_seeds_are_not_the_plans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = good_store(tmp_path / "soak")
    damage(d, "UPDATE batches SET seed_lo=40, seed_hi=41 WHERE k=1")
    code, out, err = pcemu(capsys, *SOAK, "--resume", "--out", str(d))
    assert code == 2 and out == ""
    assert one_line(err) == _expected(
        d,
        "batches row (lane '{lane}', shard '0/1', k 1): seeds 40..41 in 2 runs, but batch 1 of "
        "this soak is seeds 1..2 in 2 runs",
    )


def test_a_summary_that_cannot_be_written_fails_after_the_store_is_committed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "soak"
    store = Store(d)
    store.set_meta(batch="50", shard="0/1", seeds="1", layout="ramp")
    store.commit_batch(BatchRow(LANE, "0/1", 0, 0, 0, 1, 60, 0), [], 1)
    store.close(checkpoint=True)
    (d / "summary.json").mkdir()
    argv = [*SOAK[:3], "--variants", "buggy", "--strategies", "chaos", "--seeds", "1"]
    code, out, err = pcemu(capsys, *argv, *SOAK[5:], "--resume", "--out", str(d))
    assert code == 2
    assert out.startswith("soak seeds done: ")  # the summary is still printed
    assert one_line(err) == (
        f"{E}cannot write the soak summary '{d}/summary.json' (it is a directory); move that "
        "directory away, then run the same command with --resume to write it (every run is "
        "committed to the store)"
    )
    # The session was recorded, and the other summary file written.
    (ended, reason) = table_rows(d)["sessions"][-1][2:4]
    assert ended is not None and reason == "seeds done"
    assert (d / "summary.txt").read_text().startswith("soak seeds done: ")


EMPTY: list[tuple[str, list[str], str]] = [
    (
        "--scenarios empty",
        ["--scenarios", ""],
        "--scenarios '' is empty; give comma-separated scenario names or script paths, or leave "
        "--scenarios out for every built-in scenario (see pcemu list)",
    ),
    (
        "--scenarios a comma",
        ["--scenarios", ","],
        "--scenarios ',' is empty; give comma-separated scenario names or script paths, or leave "
        "--scenarios out for every built-in scenario (see pcemu list)",
    ),
    (
        "--scenarios an empty item",
        ["--scenarios", "anon-vma-reuse,,dirty-cow"],
        "--scenarios 'anon-vma-reuse,,dirty-cow' has an empty item; give comma-separated "
        "scenario names or script paths, or leave --scenarios out for every built-in scenario "
        "(see pcemu list)",
    ),
    (
        "--variants empty",
        ["--scenarios", "anon-vma-reuse", "--variants", ""],
        "--variants '' is empty; give comma-separated variants, e.g. --variants buggy,fixed, "
        "or leave --variants out for every variant",
    ),
    (
        "--variants a comma",
        ["--scenarios", "anon-vma-reuse", "--variants", " , "],
        "--variants ' , ' is empty; give comma-separated variants, e.g. --variants buggy,fixed, "
        "or leave --variants out for every variant",
    ),
    (
        "--strategies an empty item",
        ["--scenarios", "anon-vma-reuse", "--strategies", "chaos,"],
        "--strategies 'chaos,' has an empty item; use some of: "
        "mix,chaos,pct,random,pos,urw,surw,rff",
    ),
]


@pytest.mark.parametrize(("name", "args", "line"), EMPTY, ids=[c[0] for c in EMPTY])
def test_an_empty_soak_list_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, args: list[str], line: str
) -> None:
    out = tmp_path / "soak"
    code, stdout, err = pcemu(capsys, "soak", *args, "--seeds", "1", "--out", str(out))
    assert code == 2 and stdout == ""
    assert one_line(err) == E + line
    assert not out.exists()  # refused before the directory was made


# -- 8. a write the OS refuses: its reason, and a fix that fits it -----------------------------
@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="needs Linux /proc")
@pytest.mark.parametrize("flag", ["--log", "--trace"])
def test_an_output_in_proc_names_the_real_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = pcemu(capsys, "run", "anon-vma-reuse", "--seed", "61", flag, "/proc/version")
    assert code == 2 and out == ""
    assert one_line(err) == (
        f"{E}{flag} '/proc/version' cannot be written (directory '/proc' does not take new "
        "files: No such file or directory); choose a path on a disk file system"
    )


@pytest.mark.parametrize(
    ("code", "reason", "fix"),
    [
        (errno.EROFS, "read-only file system", "choose a path on a writable file system"),
        (errno.EACCES, "permission denied", "fix the permissions of '{d}' or choose another path"),
        (errno.ENOSPC, "no space left on device", "free space or choose another path"),
        (errno.EIO, "input/output error", "check the disk, or choose a path on another one"),
    ],
    ids=["read-only", "permission", "full", "io"],
)
def test_a_refused_write_gives_the_os_reason_and_its_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    reason: str,
    fix: str,
) -> None:
    import builtins

    import emulator.run.inputs as inputs

    def refusing_open(path: Any, mode: str = "r", **kw: Any) -> Any:
        if "w" in mode and "pctrace" in str(path):
            raise OSError(code, os.strerror(code), str(path))
        return builtins.open(path, mode, **kw)

    monkeypatch.setattr(inputs, "open", refusing_open, raising=False)
    log, trace = tmp_path / "r.jsonl", tmp_path / "r.pctrace"
    trace.write_bytes(b"kept")
    status, out, err = pcemu(
        capsys, "run", "anon-vma-reuse", "--seed", "61", "--log", str(log), "--trace", str(trace)
    )
    assert status == 2 and out == ""
    assert one_line(err) == (
        f"{E}cannot write trace '{trace}' ({reason}); {fix.replace('{d}', str(tmp_path))}; the "
        "run reproduces with: pcemu run anon-vma-reuse --variant buggy --seed 61 --strategy mix"
    )
    assert log.is_file() and trace.read_bytes() == b"kept"  # nothing recorded is lost


def _ran_by(d: Path, version: str) -> Path:
    store = Store(d, create=False)
    store.set_meta(pcemu=version)
    store.close(checkpoint=True)
    return d


def test_a_soak_run_by_another_version_is_not_resumed_nor_merged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from emulator import __version__

    old = _ran_by(good_store(tmp_path / "old"), "0.0.9")
    before = table_rows(old)
    code, out, err = pcemu(capsys, *SOAK, "--resume", "--out", str(old))
    assert code == 2 and out == ""
    assert one_line(err) == (
        f"{E}the soak in '{old}' was run by pcemu 0.0.9, this is pcemu {__version__}, whose "
        "seeds may map to other runs; resume it with pcemu 0.0.9, or start a new --out"
    )
    assert table_rows(old) == before
    cur = _ran_by(good_store(tmp_path / "cur"), __version__)
    kept = table_rows(cur)
    code, out, err = pcemu(capsys, "findings", str(cur), "--merge", str(old))
    assert code == 2 and out == ""
    assert one_line(err) == (
        f"{E}'{old}' was run by pcemu 0.0.9, '{cur}' by pcemu {__version__}; merge stores of "
        "one version only (the same seeds may be other runs in another version)"
    )
    assert table_rows(cur) == kept
    # A store that does not say which version ran it (written before versions were recorded)
    # is resumed, and says it from then on.
    plain = good_store(tmp_path / "plain")
    code, out, err = pcemu(capsys, *SOAK, "--resume", "--out", str(plain), "--duration", "1s")
    assert code in (0, 1), err
    store = Store(plain, create=False)
    try:
        assert store.meta("pcemu") == __version__
    finally:
        store.close(checkpoint=False)


# -- an empty path (an unset shell variable) or one too long: one line, nothing written -------
EMPTY_PATHS = [
    (["run", "anon-vma-reuse", "--log", ""], "--log"),
    (["run", "anon-vma-reuse", "--trace", ""], "--trace"),
    (["run", "anon-vma-reuse", "-o", ""], "-o/--out"),
    (["hunt", "anon-vma-reuse", "--seeds", "2", "-o", ""], "-o/--out"),
    (["replay", ""], "FILE"),
    (["replay", "{trace}", "--script", ""], "--script"),
    (["explain", "{trace}", "-o", ""], "-o/--out"),
    (["shrink", ""], "FILE"),
    (["shrink", "{trace}", "-o", ""], "-o/--out"),
    (["verify", "anon-vma-reuse", "--trace", ""], "--trace"),
    (["litmus", ""], "TARGET"),
    (["litmus", "{trace}", "--witness-dir", ""], "--witness-dir"),
    (["soak", "--scenarios", "anon-vma-reuse", "--seeds", "1", "--out", ""], "--out"),
    (["findings", ""], "DIRECTORY"),
]


LONG = "n" * 300  # one name over the file system's 255 bytes
TOO_LONG = [
    (["run", "anon-vma-reuse", "--log", LONG], "--log"),
    (["run", "anon-vma-reuse", "-o", LONG], "-o/--out"),
    (["shrink", "{trace}", "-o", LONG], "-o/--out"),
    (["verify", "anon-vma-reuse", "--trace", LONG], "--trace"),
    (["litmus", "{trace}", "--witness-dir", LONG], "--witness-dir"),
    (["soak", "--scenarios", "anon-vma-reuse", "--seeds", "1", "--out", LONG], "--out"),
    (["findings", LONG], "DIRECTORY"),
    (["replay", LONG], "FILE"),
]
# (argv, how the one line starts, how it ends): an empty path is named in full; a path too
# long for the file system is shown cut short, with its length.
BAD_PATHS = [
    (argv, f"{E}{flag} is an empty path; ", "give a file or directory name")
    for argv, flag in EMPTY_PATHS
] + [
    (
        argv,
        f"{E}{flag} '",
        "characters)' is too long a path for the file system "
        "(a name at most 255 bytes, a path 4,095); give a shorter one",
    )
    for argv, flag in TOO_LONG
]


@pytest.mark.parametrize(
    ("argv", "starts", "ends"),
    BAD_PATHS,
    ids=[" ".join(a)[:60] for a, _, _ in BAD_PATHS],
)
def test_an_empty_or_too_long_path_is_one_line_and_nothing_is_written(
    files: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    starts: str,
    ends: str,
) -> None:
    """``Path("")`` is ``.``: an empty -o wrote into the current directory, an empty soak
    --out made it a store, an empty shrink FILE was an internal error. ENAMETOOLONG raised
    out of each command's own checks (Path.exists) as an internal error."""
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{trace}", str(files / "r.pctrace")) for a in argv]
    code, out, err = pcemu(capsys, *args)
    assert code == 2, out + err
    assert list(tmp_path.iterdir()) == []
    line = one_line(err)
    assert line.startswith(starts) and line.endswith(ends), line


def test_an_output_directory_whose_new_name_is_too_long_names_the_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """-o d/LONG with d missing passes every check up front (the kernel answers ENOENT for
    d first); the failing run's write then names the path, the OS reason and the run."""
    monkeypatch.chdir(tmp_path)
    for seed in range(200):
        code, out, err = pcemu(
            capsys, "run", "anon-vma-reuse", "--seed", str(seed), "-o", f"d/{LONG}", "-q"
        )
        if code != 0:
            break
    assert code == 2, out + err
    line = one_line(err)
    assert line.startswith(f"{E}cannot write log 'd/{LONG}/anon-vma-reuse-buggy-")
    assert "(file name too long); choose a shorter path; the run reproduces with: " in line


# -- 9. a value of click's own types, and a value thousands of characters long -----------------
X = "x" * 5000
CUT = f"'{'x' * 60}... (5,000 characters)'"
VALUES = [
    (
        ["litmus", "{trace}", "--model", "xx"],
        "--model 'xx' is not a memory model; give sc, tso or weak",
    ),
    (
        ["litmus", "{trace}", "--bound", "abc"],
        "--bound 'abc' is not an integer; give an integer 1 to 100,000,000",
    ),
    (
        ["litmus", "{trace}", "--bound", "0"],
        "--bound 0 is out of range; give an integer 1 to 100,000,000",
    ),
    (
        ["litmus", "{trace}", "--bound", str(10**30)],
        f"--bound {10**30} is out of range; give an integer 1 to 100,000,000",
    ),
    (
        ["explain", "{trace}", "--format", "pdf"],
        "--format 'pdf' is not an explain format; give text or html",
    ),
    (
        ["verify", "anon-vma-reuse", "--reduction", "dpor"],
        "--reduction 'dpor' is not a reduction; give state or none",
    ),
    (
        ["run", "anon-vma-reuse", "--set", X],
        f"--set {CUT} is not KEY=VALUE; write e.g. --set page_lock_policy=P-OLD",
    ),
    (
        ["run", "anon-vma-reuse", "--set", f"{X}=1"],
        f"scenario anon-vma-reuse has no option {CUT}; its options: page_lock_policy, "
        "mutex_policy, slab_page",
    ),
    (
        ["run", "anon-vma-reuse", "--variant", X],
        f"unknown variant {CUT} for anon-vma-reuse; use one of: buggy, fixed",
    ),
    (
        ["run", "anon-vma-reuse", "--strategy", X],
        f"unknown strategy {CUT}; use one of: mix, chaos, pct, random, pos, urw, surw, rff",
    ),
    (
        ["hunt", "anon-vma-reuse", "--seeds", X],
        f"--seeds {CUT} is not an integer; give an integer 1 to 1,000,000,000,000",
    ),
]


@pytest.mark.parametrize(("argv", "line"), VALUES, ids=[" ".join(a)[:40] for a, _ in VALUES])
def test_a_bad_value_is_named_in_pcemus_words_and_cut_short(
    files: Path, capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    """Click's own types answered in click's words ("Invalid value for '--model': 'xx' is not
    one of 'sc', 'tso', 'weak'."); a pasted value of 5,000 characters was echoed in full."""
    args = [a.replace("{trace}", str(files / "r.pctrace")) for a in argv]
    code, out, err = pcemu(capsys, *args)
    assert code == 2 and out == ""
    got = one_line(err)
    assert got.startswith(E + line) and len(got) < 400, got


def test_no_option_is_left_to_clicks_own_wording() -> None:
    """Every option of every command (the plugins' too) that takes a number or one of a few
    words uses pcemu's types (emulator.cli.output), whose refusals are one line in pcemu's
    words; click's INT, FLOAT and Choice would answer in click's."""
    import click

    from emulator.cli.app import cli
    from emulator.cli.output import OneOf

    ctx = click.Context(cli)
    left = [
        f"{name} {param.opts[0]}"
        for name in cli.list_commands(ctx)
        for param in (cli.get_command(ctx, name) or cli).get_params(ctx)
        if not (isinstance(param, click.Option) and (param.is_flag or param.count))
        and (
            isinstance(param.type, click.types.IntParamType | click.types.FloatParamType)
            or (isinstance(param.type, click.Choice) and not isinstance(param.type, OneOf))
        )
    ]
    assert left == []


# -- 10. an output directory that is a symbolic link leading nowhere ---------------------------
BROKEN = "is a broken symbolic link (to 'gone', which does not exist); remove it, or give another"
LOOP = "is a symbolic link loop; remove it, or give another directory"
LINKS = [
    (["run", "anon-vma-reuse", "--seed", "61", "-o", "dangling"], f"-o/--out 'dangling' {BROKEN}"),
    (["run", "anon-vma-reuse", "--seed", "61", "-o", "loop"], f"-o/--out 'loop' {LOOP}"),
    (
        ["run", "anon-vma-reuse", "--seed", "61", "-o", "dangling/sub"],
        f"-o/--out 'dangling/sub': 'dangling' {BROKEN}",
    ),
    (
        ["run", "anon-vma-reuse", "--seed", "61", "--log", "dangling/r.jsonl"],
        f"--log 'dangling/r.jsonl': 'dangling' {BROKEN}",
    ),
    (["hunt", "anon-vma-reuse", "--seeds", "2", "-o", "loop"], f"-o/--out 'loop' {LOOP}"),
    (
        ["soak", "--seeds", "1", "--listen", "off", "--out", "dangling"],
        f"--out 'dangling' {BROKEN}",
    ),
    (["soak", "--seeds", "1", "--listen", "off", "--out", "loop"], f"--out 'loop' {LOOP}"),
]


@pytest.mark.parametrize(("argv", "line"), LINKS, ids=[" ".join(a)[:50] for a, _ in LINKS])
def test_an_output_directory_that_is_a_broken_link_says_so(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    line: str,
) -> None:
    """exists() is False for a dangling link or a loop, so the directory was "missing", and
    making it answered with the OS's bare "(File exists)"."""
    monkeypatch.chdir(tmp_path)
    os.symlink("gone", "dangling")
    os.symlink("loop2", "loop")
    os.symlink("loop", "loop2")
    code, out, err = pcemu(capsys, *argv)
    assert code == 2 and out == ""
    assert one_line(err).startswith(E + line), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "loop", "loop2"]
