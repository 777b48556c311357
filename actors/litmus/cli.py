"""``pcemu litmus FILE|DIR``: check litmus tests exhaustively under a memory model.

Registered through the ``pcemu.commands`` entry point, so the engine's CLI never imports this
package. Per test: our verdict, the file's ``Result:``, agreement, states and executions visited,
and the wall time (display only: it never enters a trace). A "Sometimes" verdict leaves its
witness as a trace file (and the scenario script it replays against) for ``pcemu replay`` and
``pcemu explain``. Exit 0: no disagreement; 1: a disagreement; 2: bad input (a file that is not
a litmus test, or one over a limit, still lets the others be checked and shown; the first such
file is the one line on stderr); 128 + the signal: SIGINT or SIGTERM, which stop the check under
way within a step, after the tests already checked are shown.

Only regular files are read (a FIFO or a device under DIR is refused without being opened), at
most ``parse.MAX_FILE`` bytes each.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from actors.litmus.check import BOUND, MAX_BOUND, MODES, Verdict, check
from actors.litmus.parse import LitmusFileError, not_regular, parse_file
from actors.litmus.scenario import script_text
from actors.litmus.syntax import LitmusSyntaxError, Stopped, Unsupported
from emulator.cli.clock import stopwatch
from emulator.cli.options import PATH
from emulator.cli.output import BoundedInt, OneOf
from emulator.errors import BadInput, Interrupted
from emulator.run import interrupts
from emulator.run.artifacts import save
from emulator.run.inputs import output_dir
from emulator.run.session import RunSpec, validate

EXIT_CLEAN, EXIT_FOUND, EXIT_BAD = 0, 1, 2


@dataclass
class Row:
    name: str
    path: Path
    expected: str | None
    verdict: str
    agrees: bool | None
    states: int = 0
    executions: int = 0
    seconds: float = 0.0
    witness: Path | None = None
    error: str | None = None  # a bad file: why
    error_line: str = ""  # ... as the one line on stderr (naming the file)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": str(self.path),
            "verdict": self.verdict,
            "expected": self.expected,
            "agrees": self.agrees,
            "states": self.states,
            "executions": self.executions,
            "seconds": round(self.seconds, 3),
            "witness": str(self.witness) if self.witness else None,
        }


FIX = "give a .litmus file or a directory of them"


def litmus_files(target: Path) -> list[Path]:
    """The files to check: ``target`` itself if it is a regular file, else every ``*.litmus``
    under the directory ``target`` (checked one by one when read: a name that is not a regular
    file is refused then, without being opened). Nothing is opened here."""
    try:
        st = target.stat()
    except FileNotFoundError:
        raise BadInput(f"{str(target)!r} does not exist; {FIX}") from None
    except OSError as exc:
        raise BadInput(f"{str(target)!r} cannot be read ({exc.strerror}); {FIX}") from None
    if stat.S_ISREG(st.st_mode):
        return [target]
    if not stat.S_ISDIR(st.st_mode):
        raise BadInput(str(not_regular(target, st.st_mode)))
    files: list[Path] = []
    try:
        for f in target.rglob("*.litmus"):
            files.append(f)
            if interrupts.received() is not None:
                break
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise BadInput(f"directory {str(target)!r} cannot be read ({why}); {FIX}") from None
    interrupts.check(f"litmus: interrupted while listing {str(target)!r}; nothing checked")
    if not files:
        raise BadInput(f"directory {str(target)!r} holds no .litmus files")
    return sorted(files)


def all_litmus_files(targets: Sequence[Path]) -> list[Path]:
    """The files of every target, in the order given (a directory's sorted), each once: a file
    named twice (``dir dir/a.litmus``) is checked once, where it first came. Every target is
    listed before any test is checked, so a missing one is refused before work is done."""
    files: list[Path] = []
    seen: set[Path] = set()
    for target in targets:
        for f in litmus_files(target):
            key = Path(os.path.abspath(f))
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files


def witness_script(trace: Path) -> Path:
    """The scenario script a witness trace replays against (written beside it): replaying a
    recording never runs a script the user did not name, so the command names it."""
    return (trace.parent / f"{trace.name.split('.', 1)[0]}.litmus.py").resolve()


def save_witness(v: Verdict, out: Path) -> Path:
    """The witness run as a trace file, plus the scenario script its header names."""
    assert v.witness is not None
    test_path = Path(v.test.path)
    script = out / f"{test_path.stem}.litmus.py"
    out.mkdir(parents=True, exist_ok=True)
    script.write_text(script_text(test_path))
    spec = RunSpec(scenario=str(script), variant=v.mode, seed=0, strategy="random")
    header = spec.header(validate(spec))
    header["litmus"] = str(test_path)
    trace = out / f"{test_path.stem}.{v.mode}.pctrace"
    save(header, v.witness, None, trace)
    return trace


def stopping() -> bool:
    return interrupts.received() is not None


def check_one(path: Path, mode: str, bound: int) -> tuple[Row, Verdict | None]:
    """The row of one file, and its verdict if it was checked. A file that is not a litmus
    test, or is over a limit, is a row with ``error``; ``Stopped`` passes through."""
    elapsed = stopwatch()
    try:
        test = parse_file(path, stopping)
    except Unsupported as exc:
        return Row(path.stem, path, None, f"unsupported: {exc.construct}", None), None
    except LitmusSyntaxError as exc:
        return _bad(path, path.stem, None, exc), None
    except RecursionError:  # the parser's own limits come first: a safety net
        return _bad(path, path.stem, None, LitmusSyntaxError("nesting too deep")), None
    try:
        v = check(test, mode, bound, stop=stopping)
    except Unsupported as exc:
        return Row(test.name, path, test.result, f"unsupported: {exc.construct}", None), None
    except LitmusSyntaxError as exc:
        return _bad(path, test.name, test.result, exc), None
    row = Row(
        test.name,
        path,
        test.result,
        v.verdict,
        v.agrees,
        v.exploration.states,
        v.exploration.executions,
        elapsed(),
    )
    return row, v


def _bad(path: Path, name: str, result: str | None, exc: LitmusSyntaxError) -> Row:
    line = str(exc) if isinstance(exc, LitmusFileError) else f"{path}: {exc}"
    return Row(name, path, result, "bad file", None, error=str(exc), error_line=line)


def summary(rows: list[Row], mode: str) -> dict[str, Any]:
    decided = [r for r in rows if r.agrees is not None]
    return {
        "model": mode,
        "tests": len(rows),
        "decided": len(decided),
        "agree": sum(1 for r in decided if r.agrees),
        "disagree": sum(1 for r in decided if not r.agrees),
        "unsupported": sum(1 for r in rows if r.verdict.startswith("unsupported")),
        "bounded": sum(1 for r in rows if "bounded" in r.verdict),
        "bad": sum(1 for r in rows if r.error),
    }


def render(rows: list[Row], s: dict[str, Any]) -> str:
    head = ("TEST", "VERDICT", "RESULT", "AGREE", "STATES", "RUNS", "TIME")
    table = [head]
    for r in rows:
        agree = "-" if r.agrees is None else ("yes" if r.agrees else "NO")
        table.append(
            (
                r.name,
                r.verdict if not r.error else f"bad file: {r.error}",
                r.expected or "-",
                agree,
                str(r.states),
                str(r.executions),
                f"{r.seconds:.2f}s",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in table]
    for r in rows:
        if r.witness:
            script = witness_script(r.witness)
            lines.append(
                f"witness {r.name}: {r.witness}  (pcemu explain {r.witness} --script {script})"
            )
    lines.append(
        f"{s['model']}: {s['tests']} tests, {s['decided']} decided, agree {s['agree']}/"
        f"{s['decided']}, {s['disagree']} disagree, {s['unsupported']} unsupported, "
        f"{s['bounded']} bounded"
    )
    return "\n".join(lines)


@click.command("litmus")
@click.argument("targets", metavar="TARGET...", nargs=-1, required=True, type=PATH)
@click.option(
    "--model",
    "mode",
    type=OneOf(MODES, "a memory model", case_sensitive=False),
    default="weak",
    show_default=True,
    help="memory model",
)
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@click.option(
    "--bound",
    type=BoundedInt(1, MAX_BOUND, "--bound"),
    default=BOUND,
    show_default=True,
    help="most executions explored per test, 1 to 100,000,000; a search cut short says Never "
    "(bounded at N)",
)
@click.option(
    "--witness-dir",
    type=PATH,
    default=Path("pcemu-runs/litmus"),
    show_default=True,
    help="where a Sometimes verdict's witness trace is written",
)
@click.option("--no-save", is_flag=True, help="do not write witness traces")
def litmus(
    targets: tuple[Path, ...],
    mode: str,
    as_json: bool,
    bound: int,
    witness_dir: Path,
    no_save: bool,
) -> None:
    """Check C litmus tests (each TARGET a FILE, or a DIR: every *.litmus under it)
    exhaustively under a memory model, against each file's Result: line.

    Only regular files of at most 1 MiB are read. A test is refused (exit 2) when it nests
    parentheses, unary operators, calls, blocks or ifs more than 64 deep, has an expression or
    condition more than 256 levels high, may make more memory accesses in a run than the
    10,000 steps a run may take, or does arithmetic C leaves undefined (values are 64-bit
    words and wrap). SIGINT or SIGTERM stop the check at once; the tests already checked are
    shown."""
    # A --witness-dir given on the command line is checked before any work, the default only
    # when a witness is kept there (as run and hunt do with -o/--out).
    source = click.get_current_context().get_parameter_source("witness_dir")
    given_dir = source is not ParameterSource.DEFAULT
    with interrupts.catching():
        _litmus(targets, mode, as_json, bound, witness_dir, no_save, given_dir)


def _litmus(
    targets: Sequence[Path],
    mode: str,
    as_json: bool,
    bound: int,
    witness_dir: Path,
    no_save: bool,
    given_dir: bool,
) -> None:
    mode = mode.lower()
    files = all_litmus_files(targets)
    out = None if no_save else witness_dir
    if out is not None and given_dir:
        output_dir(out, "--witness-dir")
    rows: list[Row] = []
    unsaved: str | None = None  # why a witness could not be written (then none are)
    stopped_at: Path | None = None
    for f in files:
        try:
            row, v = check_one(f, mode, bound)
        except Stopped:
            stopped_at = f
            break
        if v is not None and v.witness is not None and out is not None:
            try:
                output_dir(out, "--witness-dir")
                row.witness = save_witness(v, out)
            except BadInput as exc:  # says what and how to fix it
                unsaved, out = str(exc), None
            except OSError as exc:
                unsaved = (
                    f"--witness-dir {str(out)!r}: cannot write the witness of {row.name} "
                    f"({exc.strerror or type(exc).__name__}); give a writable directory, "
                    "or --no-save"
                )
                out = None
        rows.append(row)
        if stopping():
            break
    s = summary(rows, mode)
    sig = interrupts.received()
    if rows or sig is None:
        if as_json:
            doc: dict[str, Any] = {"tests": [r.as_dict() for r in rows], "summary": s}
            if sig is not None:
                doc["interrupted"] = True
            click.echo(json.dumps(doc, indent=1))
        else:
            click.echo(render(rows, s))
    if sig is not None:
        where = f" while checking {stopped_at}" if stopped_at is not None else ""
        shown = "; their results are above" if rows else ""
        raise Interrupted(
            sig, f"litmus: interrupted{where}; {len(rows)} of {len(files)} tests checked{shown}"
        )
    if unsaved is not None:
        click.echo(f"pcemu: error: {unsaved}", err=True)
        sys.exit(EXIT_BAD)
    if s["bad"]:
        bad = next(r for r in rows if r.error)
        click.echo(f"pcemu: error: {bad.error_line}", err=True)
        sys.exit(EXIT_BAD)
    sys.exit(EXIT_FOUND if s["disagree"] else EXIT_CLEAN)
