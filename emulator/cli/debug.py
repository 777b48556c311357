"""``pcemu shrink`` and ``pcemu explain``, the options every command that takes a recording
shares (FILE, or ``--finding ID --from DIR``; ``--script`` for a user scenario), and finding a
soak finding's recording by its id.

Kept out of ``app.py`` (which registers these commands) so the debugging surface grows here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from emulator.cli import exits
from emulator.cli.options import force_option, path_option
from emulator.cli.output import BoundedInt, OneOf, verbosity, verbosity_options
from emulator.cli.progress import progress
from emulator.cli.recordings import (
    interruptible,
    recording_arg,
    recording_options,
    resolve_recording,
)
from emulator.debug.explain import explain
from emulator.debug.explain_html import render_html
from emulator.debug.explain_report import report
from emulator.debug.explain_text import emit, render_text
from emulator.debug.replay import replay_file
from emulator.debug.shrink import MAX_RUNS, MAX_RUNS_LIMIT, directed_switches, shrink_file, summary
from emulator.engine.config import RunResult
from emulator.engine.events import switches
from emulator.engine.violations import ERROR
from emulator.errors import Interrupted
from emulator.run import interrupts
from emulator.run.failures import brief_crash, crash_error
from emulator.run.inputs import not_an_input, output_file, writing
from emulator.run.session import validate


def default_out(file: Path, suffix: str) -> Path:
    name = file.name
    for ext in (".pctrace", ".jsonl"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return file.with_name(name + suffix)


def check_not_inputs(out: Path, what: str, recording: Path, script: Path | None) -> None:
    """The output is neither the recording the command reads nor the script it runs."""
    not_an_input(out, what, [("the recording", recording), ("the scenario script", script)])


@click.command()
@recording_arg
@recording_options
@path_option(
    "-o",
    "--out",
    "out",
    help="where to write the shrunk trace (default: FILE's name + .min.pctrace)",
)
@force_option("shrink")
@click.option(
    "--any-site",
    is_flag=True,
    help="keep candidates where the same oracle fires at any actor and label",
)
@click.option(
    "--max-runs",
    type=BoundedInt(1, MAX_RUNS_LIMIT, "--max-runs"),
    default=MAX_RUNS,
    show_default=True,
    help="candidate runs to try at most",
)
@verbosity_options
@interruptible
def shrink(
    file: Path | None,
    finding: str | None,
    source: Path | None,
    script: Path | None,
    out: Path | None,
    force: bool,
    any_site: bool,
    max_runs: int,
) -> None:
    """Shrink a failing run (a --trace or --log file) to a minimal interleaving that still
    trips the same oracle; write it as a trace file that replays exactly. Interrupted, it
    writes the best interleaving found so far."""
    path = resolve_recording(file, finding, source)
    shrink_and_report(
        path,
        out=out,
        force=force,
        any_site=any_site,
        max_runs=max_runs,
        script=script,
        explained=False,
    )
    sys.exit(exits.CLEAN)


def shrink_and_report(
    file: Path,
    verbose: bool = False,
    out: Path | None = None,
    force: bool = False,
    any_site: bool = False,
    max_runs: int = MAX_RUNS,
    script: Path | None = None,
    explained: bool = True,
) -> None:
    """Shrink a recorded failure with progress on stderr; print the reduction and, with
    ``explained``, the shrunk run's report. Interrupted, it writes the best so far and says so
    (exit 130/143)."""
    target = out or default_out(file, ".min.pctrace")
    check_not_inputs(target, "--out", file, script)
    with progress("shrink", max_runs, "candidate") as bar:

        def ran(result: RunResult, kept: bool) -> None:
            bar.advance(steps=result.outcome.steps, hit=kept)
            if kept:
                bar.set_status(
                    f"best: {switches(result.events)} switches, {result.outcome.steps} steps"
                )

        s = shrink_file(
            file,
            target,
            force=force,
            any_site=any_site,
            max_runs=max_runs,
            on_run=ran,
            script=script,
        )
    directed = directed_switches(s.spec, s.target) if s.interrupted is None else None
    for line in summary(s, target, directed):
        click.echo(line)
    if s.interrupted is not None:
        raise Interrupted(s.interrupted, f"shrink: interrupted; wrote the best so far to {target}")
    if explained:
        scen = validate(s.spec)
        click.echo("")
        v = replay_file(target, facts=True, script=script)
        emit(report(v.spec.header(scen), scen, v.result, [f"pcemu replay {target}"], verbose))


@click.command("explain")
@recording_arg
@recording_options
@click.option(
    "--format",
    "fmt",
    type=OneOf(["text", "html"], "an explain format"),
    default="text",
    show_default=True,
    help="text: numbered blocks; html: a self-contained timeline page",
)
@path_option("-o", "--out", "out", help="write here instead of standard output")
@force_option("explain")
@verbosity_options
@interruptible
def explain_cmd(
    file: Path | None,
    finding: str | None,
    source: Path | None,
    script: Path | None,
    fmt: str,
    out: Path | None,
    force: bool,
) -> None:
    """Explain a recorded run (a --trace or --log file) as a kernel engineer would write it:
    numbered steps per actor, source lines, objects and generations, locks, the oracle."""
    path = resolve_recording(file, finding, source)
    if out is not None:
        output_file(out, "-o/--out")
        check_not_inputs(out, "-o/--out", path, script)
    v = replay_file(path, force, facts=True, script=script, stop=interrupts.interrupted)
    interrupts.check("explain stopped; nothing written")
    if not v.reproduced:
        # Explaining a run that did not replay would put words to something that never ran.
        click.echo(f"explain: {path} does not replay on this pcemu:", err=True)
        for d in v.differences:
            click.echo(f"  {d}", err=True)
        sys.exit(exits.FOUND)
    scen = validate(v.spec)
    if v.result.outcome.status == ERROR and v.end.get("outcome") != ERROR:
        raise crash_error(scen, v.result)
    if verbosity() <= 0:
        brief_crash(scen, v.result)  # a recorded actor exception: one line, not its traceback
    header = v.spec.header(scen)
    if scen.is_script:
        # The explanation shows source lines by the script's path.
        header = {**header, "scenario": scen.source}
    e = explain(header, scen, v.result)
    text = render_html(e) if fmt == "html" else render_text(e, verbosity() > 0)
    if out is None:
        click.echo(text, nl=False)
    else:
        with writing(out, "explanation", "w") as f:
            f.write(text)
        click.echo(f"wrote {out}")
    sys.exit(exits.CLEAN)
