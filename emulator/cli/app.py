"""The user's surface: ``pcemu list | show | run | hunt | replay``, and the group every other
command joins. Exit status: see ``exits``. Bad input is always one line naming the bad value
and the fix; an error in scenario or model code is one ``emulator-error`` line; SIGINT/SIGTERM
stop at a clean point and say how far the command got.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, NoReturn

import click

from emulator import __version__
from emulator.cli import exits
from emulator.cli.hunting import Seen, parallel, sequential
from emulator.cli.lazy import debug as debug_cmds
from emulator.cli.lazy import soak as soak_cmds
from emulator.cli.output import (
    BoundedInt,
    echo_err,
    emit_json,
    parse_pairs,
    reset_verbosity,
    verbosity,
    verbosity_options,
)
from emulator.cli.recordings import (
    interruptible,
    recording_arg,
    recording_options,
    resolve_recording,
)
from emulator.debug.replay import replay_file
from emulator.engine.config import RunResult
from emulator.engine.violations import ERROR
from emulator.errors import BadInput, Interrupted, ScenarioError
from emulator.run import interrupts
from emulator.run.artifacts import repro_commands, run_command, save
from emulator.run.catalog import builtin, load
from emulator.run.inputs import output_dir, output_file
from emulator.run.progress import plural, progress
from emulator.run.recording import MAX_BUDGET, SEED_LIMIT
from emulator.run.scenario import Scenario
from emulator.run.session import PARAMS, RunSpec, crash_error, execute, param_help, validate

SEED = BoundedInt(0, SEED_LIMIT - 1, "--seed")
LIST_WIDTH = 100


def fail(msg: str, status: int = exits.BAD, prefix: str = "error") -> NoReturn:
    echo_err(f"pcemu: {prefix}: {msg}")
    sys.exit(status)


def parse_params(pairs: Sequence[str], strategy: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in parse_pairs(pairs, "-p", "depth=8").items():
        if k not in PARAMS.get(strategy, {k: None}):
            raise BadInput(f"unknown parameter -p {k}={v}; {param_help(strategy)}")
        try:
            out[k] = int(v, 10)
        except ValueError:
            raise BadInput(
                f"strategy parameter {k}={v[:30]!r} is not an integer; {param_help(strategy)}"
            ) from None
    return out


class Cli(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # `pcemu list | head`: the reader has what it wanted
            _quiet_stdout()
            sys.exit(exits.CLEAN)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pcemu")
@verbosity_options
def cli() -> None:
    """pcemu: seeded, actor-based emulator of Linux page-cache concurrency."""


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 3)] + "..."


def _short_list(items: Sequence[str], width: int) -> str:
    text = "/".join(items)
    if len(text) <= width:
        return text or "-"
    shown: list[str] = []
    for i, it in enumerate(items):
        more = f" +{len(items) - i}"
        if len("/".join([*shown, it])) + len(f" +{len(items) - i - 1}") > width:
            return "/".join(shown) + more
        shown.append(it)
    return "/".join(shown)


@cli.command("list")
@verbosity_options
@click.option("--json", "as_json", is_flag=True, help="print the catalogue as JSON")
def list_cmd(as_json: bool) -> None:
    """List the built-in scenarios (pcemu show NAME: one in full)."""
    table = builtin()
    if as_json:
        emit_json({name: scenario_dict(s) for name, s in table.items()})
        return
    rows = [("NAME", "SPEC", "ERA", "VARIANTS", "BUGGY TRIPS")]
    for s in table.values():
        rows.append(
            (s.name, s.spec_id, s.era, ",".join(s.variants), "/".join(s.expects.get("buggy", ())))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    room = LIST_WIDTH - sum(widths) - 2 * 4
    for r in rows:
        head = "  ".join(c.ljust(widths[i]) for i, c in enumerate(r[:4]))
        cell = r[4] if len(r[4]) <= room else _short_list(r[4].split("/"), room)
        click.echo(_fit(f"{head}  {cell or '-'}", LIST_WIDTH).rstrip())


def scenario_labels(scen: Scenario) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
    """Labels from every variant's directed schedule and chaos windows, and the schedules."""
    labels: list[str] = []
    directed: dict[str, list[tuple[str, str]]] = {}
    from emulator.run.session import build, resolved_options

    opts = resolved_options(scen, {})
    for variant in scen.variants:
        setup = build(scen, variant, opts)
        directed[variant] = [(str(a), str(lab)) for a, lab in setup.directed]
        for _a, lab in setup.directed:
            labels.append(str(lab))
        for a, b in setup.windows:
            labels.extend((str(a), str(b)))
    labels.extend(scen.labels)
    return list(dict.fromkeys(labels)), directed


def scenario_dict(s: Scenario) -> dict[str, Any]:
    return {
        "name": s.name,
        "spec_id": s.spec_id,
        "title": s.title,
        "era": s.era,
        "mem": s.mem,
        "thread": s.thread,
        "commits": s.commits,
        "variants": list(s.variants),
        "expects": {k: list(v) for k, v in s.expects.items()},
        "options": {k: {"default": v[0], "values": list(v)} for k, v in s.options.items()},
        "budget": s.budget,
    }


@cli.command("show")
@click.argument("name")
@verbosity_options
@click.option("--json", "as_json", is_flag=True, help="print it as JSON")
def show(name: str, as_json: bool) -> None:
    """Everything about one scenario: variants, options with defaults, labels, oracles, era,
    thread and commits."""
    scen = load(name)
    labels, directed = scenario_labels(scen)
    if as_json:
        d = scenario_dict(scen)
        d["labels"] = {lab: scen.labels.get(lab, "") for lab in labels}
        d["directed"] = directed
        emit_json(d)
        return
    click.echo(f"{scen.name} ({scen.spec_id}, {scen.era}, mem {scen.mem}): {scen.title}")
    click.echo(f"  thread:    {scen.thread}")
    click.echo(f"  commits:   {scen.commits}")
    for v in scen.variants:
        trips = ", ".join(scen.expects.get(v, ())) or "clean"
        click.echo(f"  variant    {v}: {trips}")
    if not scen.options:
        click.echo("  options:   none")
    for k, vals in scen.options.items():
        others = " | ".join(vals[1:])
        click.echo(
            f"  option     --set {k}={vals[0]} (default)" + (f"; or {others}" if others else "")
        )
    oracles = sorted({o for v in scen.expects.values() for o in v})
    click.echo(f"  oracles:   {', '.join(oracles) or 'none declared'}")
    for v, sched in directed.items():
        steps = " -> ".join(f"{a} {lab}" for a, lab in sched) or "none"
        click.echo(f"  directed   {v}: {steps}")
    if scen.labels:
        for lab in labels:
            if lab in scen.labels:
                click.echo(f"  label      {lab}: {scen.labels[lab]}")
    click.echo(f"  labels:    {' '.join(labels) or 'none'}")
    click.echo(f"  budget:    {scen.budget} steps")


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--variant", default="buggy", show_default=True, help="buggy, fixed, ..."),
        click.option("--strategy", default="chaos", show_default=True, help="chaos | pct | random"),
        click.option(
            "-p",
            "--param",
            "params",
            multiple=True,
            help="strategy parameter KEY=INT (pct: depth, k; chaos: switch, delay_in, delay_out)",
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
    f = click.option("--save-dir", "save_dir", type=click.Path(path_type=Path), hidden=True)(f)
    return click.option(
        "-o",
        "--out",
        "out",
        type=click.Path(path_type=Path),
        default=None,
        help="directory for a failing run's log and trace when --log/--trace are not given "
        "[default: pcemu-runs]",
    )(f)


def out_dir(out: Path | None, save_dir: Path | None) -> Path:
    d = out or save_dir or Path("pcemu-runs")
    if "=" in d.name and not d.exists():
        raise BadInput(
            f"-o/--out {str(d)!r} is an output directory; scenario options are "
            f"--set {d.name} (e.g. --set page_lock_policy=P-OLD)"
        )
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
    output_dir(save_dir, "-o/--out")
    base = save_dir / f"{scen.name}-{spec.variant}-{spec.strategy}-{spec.schedule}-s{spec.seed}"
    return base.with_suffix(".jsonl"), base.with_suffix(".pctrace")


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


def check_outputs(log: Path | None, trace: Path | None) -> None:
    if log is not None:
        output_file(log, "--log")
    if trace is not None:
        output_file(trace, "--trace")
    if log is not None and trace is not None and log.absolute() == trace.absolute():
        raise BadInput(f"--log and --trace are both {str(log)!r}; give two different files")


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
    try:
        save(header, result, log, trace, log_steps)
    except BadInput as exc:
        raise BadInput(f"{exc}; the run reproduces with: {run_command(spec)}") from None


def result_dict(header: dict[str, Any], result: RunResult, repro: list[str]) -> dict[str, Any]:
    d = result.outcome.as_dict()
    d["header"] = header
    d["reproduce"] = repro
    return d


@cli.command()
@click.argument("name")
@click.option("--seed", type=SEED, default=0, show_default=True, help="0 <= seed < 2**64")
@run_options
@click.option(
    "--schedule",
    default="seeded",
    show_default=True,
    help="seeded, or directed (the spec's numbered bad interleaving first)",
)
@click.option(
    "--log",
    "log",
    type=click.Path(path_type=Path),
    default=None,
    help="write the structlog JSON-lines log here",
)
@click.option(
    "--trace",
    "trace",
    type=click.Path(path_type=Path),
    default=None,
    help="write the trace file (choices and every step) here",
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
    check_outputs(log, trace)
    where = out_dir(out, save_dir)
    scen, result = execute(spec)
    interrupts.check(f"run of seed {seed} stopped; nothing reported or saved")
    if result.outcome.status == ERROR:
        raise crash_error(scen, result)
    header = spec.header(scen)
    log, trace = kept_paths(spec, scen, result.outcome.failed, log, trace, where, no_save)
    keep(spec, header, result, log, trace, log_steps)
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


@cli.command()
@click.argument("name")
@click.option(
    "--seeds",
    type=BoundedInt(1, 10**12, "--seeds"),
    default=200,
    show_default=True,
    help="how many seeds to try",
)
@click.option(
    "--start", type=BoundedInt(0, SEED_LIMIT - 1, "--start"), default=0, show_default=True
)
@run_options
@click.option(
    "--log",
    "log",
    type=click.Path(path_type=Path),
    default=None,
    help="write the failing run's log here",
)
@click.option(
    "--trace",
    "trace",
    type=click.Path(path_type=Path),
    default=None,
    help="write the failing run's trace file here",
)
@keep_options
@click.option(
    "--count",
    is_flag=True,
    help="run every seed and count the hits of each oracle (the rate)",
)
@click.option(
    "-j",
    "--jobs",
    type=BoundedInt(1, 256, "-j/--jobs"),
    default=1,
    show_default=True,
    help="processes to run seeds on (same answers as -j 1)",
)
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
@click.option("--shrink", "do_shrink", is_flag=True, help="shrink the failure found, report both")
@verbosity_options
@interruptible
def hunt(
    name: str,
    seeds: int,
    start: int,
    variant: str,
    strategy: str,
    params: Sequence[str],
    options: Sequence[str],
    budget: int | None,
    mem: str | None,
    log: Path | None,
    trace: Path | None,
    out: Path | None,
    save_dir: Path | None,
    no_save: bool,
    count: bool,
    jobs: int,
    as_json: bool,
    do_shrink: bool,
) -> None:
    """Run seeds START.. until one fails; print it and how to reproduce it. With --count, run
    them all and count the hits of each oracle."""
    if start + seeds > SEED_LIMIT:
        raise BadInput(
            f"--start {start} + --seeds {seeds} runs past the last seed (2**64 - 1); "
            "give fewer seeds"
        )
    first = make_spec(name, variant, start, strategy, params, options, budget, mem=mem)
    check_outputs(log, trace)
    where = out_dir(out, save_dir)
    stream = (
        sequential(first, start, seeds, not count)
        if jobs == 1
        else parallel(first, start, seeds, not count, jobs)
    )
    steps = 0
    done = 0
    hits: dict[str, int] = {}
    failing: Seen | None = None
    with progress("hunt", seeds, "seed") as bar:
        for s in stream:
            done += 1
            steps += s.steps
            bar.advance(steps=s.steps, hit=s.failed)
            if s.status == ERROR:
                scen, result = execute(RunSpec(**{**first.__dict__, "seed": s.seed}))
                raise crash_error(scen, result)
            if s.failed:
                hits[s.key] = hits.get(s.key, 0) + 1
                if not count:
                    failing = s
                    break
    sig = interrupts.received()
    if sig is not None:
        if not done:
            raise Interrupted(sig, "hunt: interrupted before the first seed finished")
        span = seed_span(start, start + done - 1)
        what = f"{sum(hits.values())} failing seeds in" if count else "no failure in"
        raise Interrupted(sig, f"hunt: {what} seeds {span}; interrupted")
    if count:
        report_count(hits, seeds, start, steps, as_json)
    if failing is None:
        if as_json:
            emit_json({"seed": None, "seeds": seeds, "start": start, "steps": steps})
        else:
            click.echo(
                f"hunt: {plural(seeds, 'seed')} from {start} clean ({plural(steps, 'step')})"
            )
        sys.exit(exits.CLEAN)
    spec = RunSpec(**{**first.__dict__, "seed": failing.seed})
    scen, result = execute(spec)
    interrupts.check(f"hunt: seed {failing.seed} fails; interrupted before it was saved")
    header = spec.header(scen)
    if do_shrink and trace is None and no_save:
        output_dir(where, "-o/--out")
        trace = where / f"hunt-{failing.seed}.pctrace"  # shrinking reads the failure's trace
    log, trace = kept_paths(spec, scen, True, log, trace, where, no_save)
    keep(spec, header, result, log, trace)
    repro = repro_commands(spec, log, trace)
    if as_json:
        d = result_dict(header, result, repro)
        d.update(seed=failing.seed, seeds=done, steps_total=steps)
        emit_json(d)
    else:
        tried = failing.seed - start + 1
        click.echo(
            f"hunt: seed {failing.seed} fails after {plural(tried, 'seed')} "
            f"({plural(steps, 'step')})"
        )
        if verbosity() >= 0:
            from emulator.debug.explain_report import report, with_sites
            from emulator.debug.explain_text import emit

            emit(report(header, scen, with_sites(spec, result), repro, verbosity() > 0))
        if do_shrink and trace is not None:
            from emulator.cli.debug import shrink_and_report

            click.echo("")
            shrink_and_report(trace, verbosity() > 0)
    sys.exit(exits.FOUND)


def report_count(hits: dict[str, int], seeds: int, start: int, steps: int, as_json: bool) -> None:
    if as_json:
        emit_json(hits)
    else:
        total = sum(hits.values())
        click.echo(f"hunt: {seeds} seeds from {start}: {total} failing ({steps} steps)")
        width = max((len(k) for k in hits), default=0)
        for k, n in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"  {k:<{width}}  {n:>6}  ({100 * n / seeds:.1f}%)")
    sys.exit(exits.FOUND if hits else exits.CLEAN)


@cli.command()
@recording_arg
@recording_options
@click.option("--force", is_flag=True, help="replay a file written by another pcemu version")
@click.option(
    "--out",
    "old_out",
    type=click.Path(path_type=Path),
    default=None,
    hidden=True,
    help="(gone: the soak directory is --from DIR)",
)
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
    path = resolve_recording(file, finding, source)
    v = replay_file(path, force, facts=verbosity() >= 0, script=script)
    interrupts.check("replay stopped; no verdict")
    scen = validate(v.spec)
    if v.result.outcome.status == ERROR and v.end.get("outcome") != ERROR:
        # An error the recording did not have is a bug in scenario or model code, not a
        # divergence; replaying a recorded error (a soak finding) reproduces it as its verdict.
        raise crash_error(scen, v.result)
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


cli.add_command(soak_cmds.soak)
cli.add_command(soak_cmds.findings)
cli.add_command(debug_cmds.shrink)
cli.add_command(debug_cmds.explain_cmd)


# -- commands contributed by installed packages (pcemu litmus) ----------------------------------
def add_plugin_commands() -> None:
    """Commands registered under the ``pcemu.commands`` entry point group: this package never
    imports the domain packages that provide them."""
    for ep in sorted(entry_points(group="pcemu.commands"), key=lambda e: e.name):
        cli.add_command(ep.load())


add_plugin_commands()


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush does
    not fail again (and turn a clean exit into status 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _usage_line(exc: click.UsageError) -> str:
    hint = (
        f" (see pcemu {exc.ctx.info_name} --help)"
        if exc.ctx and exc.ctx.parent
        else " (see pcemu --help)"
    )
    return exc.format_message().replace("\n", " ") + hint


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: every bad input becomes one line on stderr and exit status 2; an error in
    scenario or model code one ``emulator-error`` line and 2; a signal 128 + its number."""
    reset_verbosity()
    try:
        cli.main(
            args=list(argv) if argv is not None else None, prog_name="pcemu", standalone_mode=False
        )
    except BadInput as exc:
        fail(str(exc))
    except ScenarioError as exc:
        if verbosity() > 0 and exc.detail:
            echo_err(exc.detail)
        fail(str(exc), prefix="emulator-error")
    except Interrupted as exc:
        echo_err(exc.progress or "pcemu: interrupted")
        sys.exit(interrupts.exit_status(exc.signum))
    except click.UsageError as exc:
        fail(_usage_line(exc))
    except click.ClickException as exc:
        fail(exc.format_message().replace("\n", " "))
    except click.exceptions.Abort:
        sig = interrupts.received()
        fail("interrupted", interrupts.exit_status(sig) if sig else 130)
    except (KeyboardInterrupt, BaseExceptionGroup) as exc:
        sig = interrupts.received()
        if isinstance(exc, KeyboardInterrupt) or sig is not None:
            echo_err("pcemu: interrupted; nothing reported or saved")
            sys.exit(interrupts.exit_status(sig or 2))
        internal(exc)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(exits.CLEAN)
    except SystemExit:
        raise
    except RecursionError as exc:
        internal(exc)
    except Exception as exc:
        internal(exc)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    sys.exit(exits.CLEAN)


def internal(exc: BaseException) -> NoReturn:
    """A bug in pcemu: still one line (the traceback with -v)."""
    if verbosity() > 0:
        echo_err("".join(traceback.format_exception(exc)).rstrip())
    msg = str(exc).splitlines()[0][:200] if str(exc) else ""
    fail(f"internal error {type(exc).__name__}: {msg} (a bug in pcemu; -v shows the traceback)")


if __name__ == "__main__":
    main()
