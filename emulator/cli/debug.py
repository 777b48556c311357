"""``pcemu shrink`` and ``pcemu explain``, the options every command that takes a recording
shares (FILE, or ``--finding ID --from DIR``; ``--script`` for a user scenario), and finding a
soak finding's recording by its id.

Kept out of ``app.py`` (which registers these commands) so the debugging surface grows here.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from emulator.cli import exits
from emulator.cli.output import BoundedInt, verbosity_options
from emulator.debug.explain import explain
from emulator.debug.explain_html import render_html
from emulator.debug.explain_text import render_text
from emulator.debug.replay import replay_file
from emulator.debug.shrink import MAX_RUNS, MAX_RUNS_LIMIT, directed_switches, shrink_file, summary
from emulator.engine.violations import ERROR
from emulator.errors import BadInput, Interrupted
from emulator.run import interrupts
from emulator.run.inputs import output_file, writing
from emulator.run.session import crash_error, validate
from emulator.soak.store import Store


def finding_file(directory: Path, ident: str) -> Path:
    """The recording of a soak finding, by its id (the ``sig`` of ``pcemu findings --json``,
    or any unambiguous prefix of it): its trace file, else its log."""
    if len(ident) < 4:
        raise BadInput(f"finding id {ident!r} is too short; give at least 4 characters of its sig")
    if directory.exists() and not directory.is_dir():
        raise BadInput(f"--from {str(directory)!r} is not a directory; give the soak's --out DIR")
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


def recording_arg(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("file", type=click.Path(path_type=Path), required=False)(f)


def recording_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--finding ID --from DIR`` instead of FILE, and ``--script PATH``."""
    f = click.option(
        "--script",
        type=click.Path(path_type=Path),
        default=None,
        help="the user scenario script the recording was made from (it is run; its sha256 "
        "must match the recorded one)",
    )(f)
    f = click.option(
        "--from",
        "source",
        type=click.Path(path_type=Path),
        default=None,
        help="the soak directory holding --finding",
    )(f)
    return click.option(
        "--finding", default=None, help="a soak finding's id (its sig, or a prefix) instead of FILE"
    )(f)


def resolve_recording(file: Path | None, finding: str | None, source: Path | None) -> Path:
    if finding is not None:
        if source is None or file is not None:
            raise BadInput("--finding ID needs --from DIR (the soak directory) and no FILE")
        return finding_file(source, finding)
    if source is not None:
        raise BadInput("--from DIR goes with --finding ID; give a FILE or --finding ID --from DIR")
    if file is None:
        raise BadInput("give a --log or --trace FILE, or --finding ID --from DIR")
    return file


def interruptible(f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with interrupts.catching():
            interrupts.check("pcemu: interrupted before the command started; nothing done")
            return f(*args, **kwargs)

    return wrapper


def default_out(file: Path, suffix: str) -> Path:
    name = file.name
    for ext in (".pctrace", ".jsonl"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return file.with_name(name + suffix)


@click.command()
@recording_arg
@recording_options
@click.option(
    "-o",
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
    target = out or default_out(path, ".min.pctrace")
    s = shrink_file(path, target, force=force, any_site=any_site, max_runs=max_runs, script=script)
    directed = directed_switches(s.spec, s.target) if s.interrupted is None else None
    for line in summary(s, target, directed):
        click.echo(line)
    if s.interrupted is not None:
        raise Interrupted(s.interrupted, f"shrink: interrupted; wrote the best so far to {target}")
    sys.exit(exits.CLEAN)


@click.command("explain")
@recording_arg
@recording_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html"]),
    default="text",
    show_default=True,
    help="text: numbered blocks; html: a self-contained timeline page",
)
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="write here instead of standard output",
)
@click.option("--force", is_flag=True, help="explain a file written by another pcemu version")
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
    v = replay_file(path, force, facts=True, script=script)
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
    header = v.spec.header(scen)
    if scen.is_script:
        # The explanation shows source lines by the script's path.
        header = {**header, "scenario": scen.source}
    e = explain(header, scen, v.result)
    text = render_html(e) if fmt == "html" else render_text(e)
    if out is None:
        click.echo(text, nl=False)
    else:
        with writing(out, "explanation", "w") as f:
            f.write(text)
        click.echo(f"wrote {out}")
    sys.exit(exits.CLEAN)
