"""``pcemu shrink`` and ``pcemu explain``, and finding a soak finding's recording by its id.

Kept out of ``app.py`` (which registers these commands) so the debugging surface grows here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from emulator.cli import exits
from emulator.debug.explain import explain
from emulator.debug.explain_html import render_html
from emulator.debug.explain_report import report
from emulator.debug.explain_text import emit, render_text
from emulator.debug.replay import replay_file
from emulator.debug.shrink import MAX_RUNS, directed_switches, shrink_file, summary
from emulator.engine.config import RunResult
from emulator.engine.events import switches
from emulator.errors import BadInput
from emulator.run.progress import progress
from emulator.run.session import validate
from emulator.soak.store import Store


def finding_file(directory: Path, ident: str) -> Path:
    """The recording of a soak finding, by its id (the ``sig`` of ``pcemu findings --json``,
    or any unambiguous prefix of it): its trace file, else its log."""
    if len(ident) < 4:
        raise BadInput(f"finding id {ident!r} is too short; give at least 4 characters of its sig")
    store = Store(directory, create=False)
    try:
        rows = [f for f in store.findings() if f.sig.startswith(ident.lower())]
    finally:
        store.close()
    if not rows:
        raise BadInput(
            f"no finding {ident!r} in {str(directory)!r}; list ids with "
            f"pcemu findings {directory} --json"
        )
    if len(rows) > 1:
        sigs = ", ".join(f.sig for f in rows)
        raise BadInput(f"finding id {ident!r} is ambiguous ({sigs}); give more characters")
    f = rows[0]
    for rel in (f.trace, f.log):
        if rel and (directory / rel).is_file():
            return directory / rel
    raise BadInput(
        f"finding {f.sig} ({f.kind} {f.oracle} at {f.label}) left no trace or log in "
        f"{str(directory)!r} (a watchdog hang or a dead worker); rerun seed {f.seed} with "
        "pcemu run"
    )


def default_out(file: Path, suffix: str) -> Path:
    name = file.name
    for ext in (".pctrace", ".jsonl"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return file.with_name(name + suffix)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="where to write the shrunk trace (default: FILE's name + .min.pctrace)",
)
@click.option("--force", is_flag=True, help="shrink a file written by another pcemu version")
@click.option(
    "--any-site",
    is_flag=True,
    help="keep candidates where the same oracle fires at any actor and label",
)
@click.option(
    "--max-runs",
    type=int,
    default=MAX_RUNS,
    show_default=True,
    help="candidate runs to try at most",
)
def shrink(file: Path, out: Path | None, force: bool, any_site: bool, max_runs: int) -> None:
    """Shrink a failing run (a --trace or --log file) to a minimal interleaving that still
    trips the same oracle; write it as a trace file that replays exactly."""
    shrink_and_report(
        file, out=out, force=force, any_site=any_site, max_runs=max_runs, explained=False
    )
    sys.exit(exits.CLEAN)


def shrink_and_report(
    file: Path,
    verbose: bool = False,
    out: Path | None = None,
    force: bool = False,
    any_site: bool = False,
    max_runs: int = MAX_RUNS,
    explained: bool = True,
) -> None:
    """Shrink a recorded failure with progress on stderr; print the reduction and, with
    ``explained``, the shrunk run's report."""
    target = out or default_out(file, ".min.pctrace")
    with progress("shrink", max_runs, "candidate") as bar:

        def ran(result: RunResult, kept: bool) -> None:
            bar.advance(steps=result.outcome.steps, hit=kept)
            if kept:
                bar.set_status(
                    f"best: {switches(result.events)} switches, {result.outcome.steps} steps"
                )

        s = shrink_file(file, target, force=force, any_site=any_site, max_runs=max_runs, on_run=ran)
    for line in summary(s, target, directed_switches(s.spec, s.target)):
        click.echo(line)
    if explained:
        scen = validate(s.spec)
        click.echo("")
        v = replay_file(target, facts=True)
        emit(report(v.spec.header(scen), scen, v.result, [f"pcemu replay {target}"], verbose))


@click.command("explain")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html"]),
    default="text",
    show_default=True,
    help="text: numbered blocks; html: a self-contained timeline page",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="write here instead of standard output",
)
@click.option("--force", is_flag=True, help="explain a file written by another pcemu version")
@click.option("-v", "--verbose", is_flag=True, help="every object, and loops unfolded")
def explain_cmd(file: Path, fmt: str, out: Path | None, force: bool, verbose: bool) -> None:
    """Explain a recorded run (a --trace or --log file) as a kernel engineer would write it:
    numbered steps per actor, source lines, objects and generations, locks, the oracle."""
    v = replay_file(file, force, facts=True)
    if not v.reproduced:
        # Explaining a run that did not replay would put words to something that never ran.
        click.echo(f"explain: {file} does not replay on this pcemu:", err=True)
        for d in v.differences:
            click.echo(f"  {d}", err=True)
        sys.exit(exits.FOUND)
    scen = validate(v.spec)
    e = explain(v.spec.header(scen), scen, v.result)
    text = render_html(e) if fmt == "html" else render_text(e, verbose)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
    sys.exit(exits.CLEAN)
