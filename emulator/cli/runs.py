"""``pcemu run`` and ``pcemu replay``, and what every command that runs a scenario shares:
the run options, strategy parameters, where a failing run's log and trace are kept."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from emulator.cli import exits
from emulator.cli.options import PATH, force_option, log_trace_options, path_option
from emulator.cli.output import (
    BoundedInt,
    echo_err,
    emit_json,
    parse_pairs,
    verbosity,
    verbosity_options,
)
from emulator.cli.recordings import (
    interruptible,
    recording_arg,
    recording_options,
    resolve_recording,
)
from emulator.engine.config import RunResult
from emulator.engine.strategies import STRATEGIES
from emulator.engine.violations import ERROR
from emulator.errors import BadInput, cut
from emulator.run import interrupts
from emulator.run.catalog import is_script
from emulator.run.failures import brief_crash, crash_error
from emulator.run.inputs import distinct_outputs, not_an_input, output_dir, output_file
from emulator.run.scenario import Scenario
from emulator.run.session import PARAMS, RunSpec, execute, param_help, validate
from emulator.run.spec import MAX_BUDGET, SEED_LIMIT

SEED = BoundedInt(0, SEED_LIMIT - 1, "--seed")


def parse_params(pairs: Sequence[str], strategy: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in parse_pairs(pairs, "-p", "depth=8").items():
        if k not in PARAMS.get(strategy, {k: None}):
            raise BadInput(f"unknown parameter -p {cut(k)}={cut(v)}; {param_help(strategy)}")
        try:
            out[k] = int(v, 10)
        except ValueError:
            raise BadInput(
                f"strategy parameter {cut(k)}={cut(v)!r} is not an integer; {param_help(strategy)}"
            ) from None
    return out


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--variant", default="buggy", show_default=True, help="buggy, fixed, ..."),
        click.option("--strategy", default="mix", show_default=True, help=" | ".join(STRATEGIES)),
        click.option(
            "-p",
            "--param",
            "params",
            multiple=True,
            help="strategy parameter KEY=INT (pct: depth, k; chaos: switch, delay_in, delay_out, "
            "mem, mem_in)",
        ),
        click.option(
            "--set",
            "options",
            multiple=True,
            help="scenario option KEY=VALUE (see pcemu show NAME)",
        ),
        click.option(
            "--budget",
            type=BoundedInt(1, MAX_BUDGET, "--budget"),
            default=None,
            help="step budget (default: scenario's)",
        ),
        click.option(
            "--mem", default=None, help="memory mode sc | tso | weak (default: scenario's)"
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def keep_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--no-save", is_flag=True, help="do not keep a failing run's log and trace file"
    )(f)
    f = click.option("--save-dir", "save_dir", type=PATH, hidden=True)(f)
    return path_option(
        "-o",
        "--out",
        "out",
        help="directory for a failing run's log and trace when --log/--trace are not given "
        "[default: pcemu-runs]",
    )(f)


def out_dir(out: Path | None, save_dir: Path | None) -> Path:
    """The directory a failing run is kept in; one given on the command line is checked
    before any run (the default is checked only when a run is kept there)."""
    d = out or save_dir or Path("pcemu-runs")
    if "=" in d.name and not d.exists():
        raise BadInput(
            f"-o/--out {str(d)!r} is an output directory; scenario options are "
            f"--set {d.name} (e.g. --set page_lock_policy=P-OLD)"
        )
    if out is not None or save_dir is not None:
        output_dir(d, "-o/--out")
    return d


def kept_paths(
    spec: RunSpec,
    scen: Scenario,
    failed: bool,
    log: Path | None,
    trace: Path | None,
    save_dir: Path,
    no_save: bool,
) -> tuple[Path | None, Path | None]:
    """A failing run is worth keeping: unless told otherwise, its log and trace go to
    save_dir, named after what reproduces them."""
    if not failed or no_save or log is not None or trace is not None:
        return log, trace
    try:
        output_dir(save_dir, "-o/--out")
    except BadInput as exc:
        from emulator.run.artifacts import run_command

        raise BadInput(f"{exc}; the run reproduces with: {run_command(spec)}") from None
    base = f"{scen.name}-{spec.variant}-{spec.strategy}-{spec.schedule}-s{spec.seed}"
    # Named whole (a scenario name may hold a dot, which with_suffix would take for a suffix).
    kept = save_dir / f"{base}.jsonl", save_dir / f"{base}.pctrace"
    for path in kept:
        not_an_input(path, "-o/--out", script_input(spec.scenario))
    return kept


def make_spec(
    name: str,
    variant: str,
    seed: int,
    strategy: str,
    params: Sequence[str],
    options: Sequence[str],
    budget: int | None,
    schedule: str = "seeded",
    mem: str | None = None,
) -> RunSpec:
    spec = RunSpec(
        scenario=name,
        variant=variant,
        seed=seed,
        strategy=strategy,
        strategy_params=parse_params(params, strategy) if params else {},
        schedule=schedule,
        options=parse_pairs(options, "--set", "page_lock_policy=P-OLD"),
        budget=budget,
        mem=mem,
    )
    validate(spec)
    return spec


def script_input(name: str) -> list[tuple[str, Path | None]]:
    """The scenario script a command runs, as an input no output may overwrite."""
    return [("the scenario script", Path(name))] if is_script(name) else []


def check_outputs(log: Path | None, trace: Path | None, scenario: str = "") -> None:
    """--log and --trace can be written, are two files, and neither is the scenario script
    the command runs: checked before any run."""
    if log is not None:
        output_file(log, "--log")
    if trace is not None:
        output_file(trace, "--trace")
    distinct_outputs([("--log", log), ("--trace", trace)])
    for flag, path in (("--log", log), ("--trace", trace)):
        if path is not None:
            not_an_input(path, flag, script_input(scenario))


def keep(
    spec: RunSpec,
    header: dict[str, Any],
    result: RunResult,
    log: Path | None,
    trace: Path | None,
    log_steps: bool = False,
) -> None:
    """Save a run; if the disk refuses, say so in one line that still names what reproduces
    the run (nothing recorded is lost: the run is deterministic)."""
    if log is None and trace is None:
        return
    # The writers (and the schemas of what they write) are imported when a run is kept: a
    # hunt's clean seeds never need them.
    from emulator.run.artifacts import run_command, save

    try:
        save(header, result, log, trace, log_steps)
    except BadInput as exc:
        raise BadInput(f"{exc}; the run reproduces with: {run_command(spec)}") from None


def result_dict(header: dict[str, Any], result: RunResult, repro: list[str]) -> dict[str, Any]:
    d = result.outcome.as_dict()
    d["header"] = header
    d["reproduce"] = repro
    return d


@click.command()
@click.argument("name")
@click.option("--seed", type=SEED, default=0, show_default=True, help="0 <= seed < 2**64")
@run_options
@click.option(
    "--schedule",
    default="seeded",
    show_default=True,
    help="seeded, or directed (the spec's numbered bad interleaving first)",
)
@log_trace_options(
    log_help="write the structlog JSON-lines log here",
    trace_help="write the trace file (choices and every step) here",
)
@click.option("--log-steps", is_flag=True, help="also log one event per step (slow)")
@keep_options
@click.option("--json", "as_json", is_flag=True, help="print the outcome as JSON")
@verbosity_options
@interruptible
def run(
    name: str,
    seed: int,
    variant: str,
    strategy: str,
    params: Sequence[str],
    options: Sequence[str],
    budget: int | None,
    mem: str | None,
    schedule: str,
    log: Path | None,
    trace: Path | None,
    log_steps: bool,
    out: Path | None,
    save_dir: Path | None,
    no_save: bool,
    as_json: bool,
) -> None:
    """Run one scenario (a built-in NAME or a path to a scenario script) under one seed."""
    spec = make_spec(name, variant, seed, strategy, params, options, budget, schedule, mem)
    check_outputs(log, trace, name)
    where = out_dir(out, save_dir)
    # A signal ends the run within STOP_EVERY steps (its result is reported nowhere), not
    # after the whole of a long run.
    scen, result = execute(spec, stop=interrupts.interrupted)
    interrupts.check(f"run of seed {seed} stopped; nothing reported or saved")
    if result.outcome.status == ERROR:
        raise crash_error(scen, result)
    header = spec.header(scen)
    log, trace = kept_paths(spec, scen, result.outcome.failed, log, trace, where, no_save)
    keep(spec, header, result, log, trace, log_steps)
    from emulator.run.artifacts import repro_commands

    repro = repro_commands(spec, log, trace)
    if as_json:
        emit_json(result_dict(header, result, repro))
    elif verbosity() < 0:
        click.echo(render_first(header, result))
    else:
        from emulator.debug.explain_report import report, with_sites
        from emulator.debug.explain_text import emit

        emit(report(header, scen, with_sites(spec, result), repro, verbosity() > 0))
    sys.exit(exits.FOUND if result.outcome.failed else exits.CLEAN)


def render_first(header: dict[str, Any], result: RunResult) -> str:
    from emulator.run.report import head

    return head(header, result)[0]


def seed_span(start: int, last: int) -> str:
    return f"{start:,}" if last == start else f"{start:,}\u2013{last:,}"  # an en dash


@click.command()
@recording_arg
@recording_options
@force_option("replay")
@path_option("--out", "old_out", hidden=True, help="(gone: the soak directory is --from DIR)")
@verbosity_options
@interruptible
def replay(
    file: Path | None,
    finding: str | None,
    source: Path | None,
    script: Path | None,
    force: bool,
    old_out: Path | None,
) -> None:
    """Re-run a recorded run (a --log or --trace file, or a soak finding) and check it is
    reproduced exactly. A recording of a user scenario script replays only with --script."""
    if old_out is not None:
        if finding is None or source is not None:
            raise BadInput(
                f"replay --out {str(old_out)!r}: --out is always an output; name the soak "
                f"directory with --from {str(old_out)!r}"
            )
        # The spelling of an earlier version, kept for one version: say what it is now.
        echo_err(f"pcemu: note: replay --finding ID --out DIR is now --from {str(old_out)!r}")
        source = old_out
    from emulator.debug.replay import replay_file

    path = resolve_recording(file, finding, source)
    v = replay_file(path, force, facts=verbosity() >= 0, script=script, stop=interrupts.interrupted)
    interrupts.check("replay stopped; no verdict")
    scen = validate(v.spec)
    if v.result.outcome.status == ERROR and v.end.get("outcome") != ERROR:
        # An error the recording did not have is a bug in scenario or model code, not a
        # divergence; replaying a recorded error (a soak finding) reproduces it as its verdict.
        raise crash_error(scen, v.result)
    if verbosity() <= 0:
        brief_crash(scen, v.result)  # a recorded actor exception: one line, not its traceback
    if verbosity() >= 0:
        from emulator.debug.explain_report import report
        from emulator.debug.explain_text import emit

        emit(report(v.spec.header(scen), scen, v.result, [], verbosity() > 0))
        click.echo("")
    if v.reproduced:
        o = v.result.outcome
        click.echo(f"replay: reproduced ({o.status}, {o.steps} steps, trace {o.trace_hash})")
        sys.exit(exits.CLEAN)
    click.echo("replay: DIVERGED")
    for d in v.differences:
        click.echo(f"  {d}")
    sys.exit(exits.FOUND)
