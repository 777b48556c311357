"""``pcemu litmus FILE|DIR``: check litmus tests exhaustively under a memory model.

Registered through the ``pcemu.commands`` entry point, so the engine's CLI never imports this
package. Per test: our verdict, the file's ``Result:``, agreement, states and executions visited,
and the wall time (display only: it never enters a trace). A "Sometimes" verdict leaves its
witness as a trace file (and the scenario script it replays against) for ``pcemu replay`` and
``pcemu explain``. Exit 0: no disagreement; 1: a disagreement; 2: bad input.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from actors.litmus.check import BOUND, MODES, Verdict, check
from actors.litmus.parse import parse_file
from actors.litmus.scenario import script_text
from actors.litmus.syntax import LitmusSyntaxError, Unsupported
from emulator.cli.clock import stopwatch
from emulator.errors import BadInput
from emulator.run.artifacts import save
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
    error: str | None = None  # unsupported construct or bad file

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


def litmus_files(target: Path) -> list[Path]:
    if target.is_dir():
        files = sorted(target.rglob("*.litmus"))
        if not files:
            raise BadInput(f"directory {str(target)!r} holds no .litmus files")
        return files
    if target.is_file():
        return [target]
    raise BadInput(f"{str(target)!r} does not exist; give a .litmus file or a directory of them")


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


def check_one(path: Path, mode: str, bound: int, out: Path | None) -> Row:
    elapsed = stopwatch()
    try:
        test = parse_file(path)
    except Unsupported as exc:
        return Row(path.stem, path, None, f"unsupported: {exc.construct}", None)
    except LitmusSyntaxError as exc:
        return Row(path.stem, path, None, "bad file", None, error=str(exc))
    try:
        v = check(test, mode, bound)
    except Unsupported as exc:
        return Row(test.name, path, test.result, f"unsupported: {exc.construct}", None)
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
    if v.witness is not None and out is not None:
        row.witness = save_witness(v, out)
    return row


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
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--model",
    "mode",
    type=click.Choice(MODES, case_sensitive=False),
    default="weak",
    show_default=True,
    help="memory model",
)
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@click.option(
    "--bound",
    type=int,
    default=BOUND,
    show_default=True,
    help="most executions explored per test; a search cut short says Never (bounded at N)",
)
@click.option(
    "--witness-dir",
    type=click.Path(path_type=Path),
    default=Path("pcemu-runs/litmus"),
    show_default=True,
    help="where a Sometimes verdict's witness trace is written",
)
@click.option("--no-save", is_flag=True, help="do not write witness traces")
def litmus(
    target: Path, mode: str, as_json: bool, bound: int, witness_dir: Path, no_save: bool
) -> None:
    """Check C litmus tests (FILE or every *.litmus under DIR) exhaustively under a memory
    model, against each file's Result: line."""
    if bound <= 0:
        raise BadInput(f"--bound {bound} must be a positive number of executions")
    mode = mode.lower()
    files = litmus_files(target)
    out = None if no_save else witness_dir
    rows = [check_one(f, mode, bound, out) for f in files]
    s = summary(rows, mode)
    if as_json:
        click.echo(json.dumps({"tests": [r.as_dict() for r in rows], "summary": s}, indent=1))
    else:
        click.echo(render(rows, s))
    if s["bad"]:
        bad = next(r for r in rows if r.error)
        click.echo(f"pcemu: error: {bad.path}: {bad.error}", err=True)
        sys.exit(EXIT_BAD)
    sys.exit(EXIT_FOUND if s["disagree"] else EXIT_CLEAN)
